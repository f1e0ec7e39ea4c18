"""A message sent again is answered again, not handled again.

A client that got no answer to a message (the connection dropped, the Rasa server that had it was killed)
cannot know whether it was handled, so it sends it again, with the same message id. Handling it twice would
fill the form's next slot with it or open a second case; so the Rasa server looks for the id in the
conversation first, inside the conversation's lock (a copy that arrives while the first is still being handled
waits for it), and answers a known id with the replies the first copy got.

What it cannot see: a Rasa server killed after the actions of a turn ran but before the turn was saved leaves no
trace of the message, so its copy is handled again (the escalation, for one, then adds to the case the first
copy opened: bot/escalation/escalations.create). And a turn longer than Rasa's 60 s lock lets a copy in.

rasa_sdk imports every module of the `actions` package into the action server, this one too: it only defines
functions there.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from rasa.core.agent import Agent
from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, Event, UserUttered

from core.errors import HelpdeskError, InvalidMessage

MESSAGE_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")  # a client's uuid or similar: no markup, no spaces
REPLY_PARTS = ("text", "buttons", "quick_replies", "image", "attachment", "elements", "custom")


class MessageIdReused(InvalidMessage):
    """The id names an earlier message with other text: the client reused an id it should not have."""


class NotReady(HelpdeskError):
    """No model is loaded yet (the server is starting): nothing was handled."""


def message_id(value: Any) -> str | None:
    """The client's id of a message, checked; None when the client sent none (the message is then never
    taken for a copy)."""
    if value is None:
        return None
    if not isinstance(value, str) or not MESSAGE_ID.fullmatch(value):
        raise InvalidMessage('"message_id" must be 8 to 64 letters, digits or ._:- (a uuid is fine), or left out')
    return value


def earlier_replies(events: Iterable[Event], message: UserMessage) -> list[dict] | None:
    """The replies the conversation's earlier copy of `message` got (as the channel's messages), or None when
    the conversation has no message with its id."""
    replies: list[dict] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break  # the replies end where the next message (or injected intent) begins
            if event.message_id == message.message_id:
                if event.text != message.text:
                    raise MessageIdReused(
                        f"message_id {message.message_id} was already used for another message; "
                        "send each new message with a new id"
                    )
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            parts = {"text": event.text, **(event.data or {})}
            replies.append({part: parts[part] for part in REPLY_PARTS if parts.get(part)})
    return replies


async def handle_once(agent: Agent, message: UserMessage, sent_by_client: bool) -> list[dict] | None:
    """Handle `message` as Agent.handle_message does (its replies go to its output channel) and return None; or,
    for a copy of one already handled (same id and text, from a client that chose the id), handle nothing and
    return the first copy's replies, for the channel to send as it sends copies."""
    if not agent.is_ready():
        raise NotReady("The helpdesk bot is starting up; please send your message again in a minute.")
    async with agent.lock_store.lock(message.sender_id):
        if sent_by_client:
            tracker = await agent.tracker_store.retrieve(message.sender_id)
            replies = earlier_replies(tracker.events, message) if tracker else None
            if replies is not None:
                return replies
        await agent.processor.handle_message(message)  # type: ignore[union-attr]
        return None


async def send_all(channel: OutputChannel, recipient_id: str, replies: list[dict]) -> None:
    """Send replies in earlier_replies' form through a channel."""
    for reply in replies:
        await channel.send_response(recipient_id, dict(reply))  # send_response takes the dict apart
