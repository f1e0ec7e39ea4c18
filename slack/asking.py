"""Staff ask the bot in a direct message or by @mentioning it; the Rasa bot answers in the thread."""

from __future__ import annotations

import json
import logging
import re

from slack_sdk import WebClient

from bot.ops import rasa_client
from bot.wording import support_contact
from core.errors import BotUnavailable
from helpdesk_slack import blocks
from helpdesk_slack.context import AppContext
from helpdesk_slack.text import escape

logger = logging.getLogger(__name__)
MENTION = re.compile(r"<@[A-Z0-9]+(\|[^>]*)?>")
UNAVAILABLE = "The bot is not answering right now; try again in a minute. Customers can ring {phone}."


def conversation_id(user: str, thread_ts: str) -> str:
    """One Rasa conversation per Slack user and thread."""
    return f"slack-{user}-{thread_ts}"


def ask_and_reply(app: AppContext, client: WebClient, channel: str, thread_ts: str, sender: str, text: str) -> None:
    """Send `text` to the Rasa bot and post its reply in the thread."""
    try:
        messages = rasa_client.send_message(app.settings, text, sender=sender)
    except BotUnavailable as exc:
        logger.warning("asking the bot from Slack failed: %s", exc)
        client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=escape(UNAVAILABLE.format(phone=support_contact()[0]))
        )
        return
    fallback, reply_blocks = blocks.bot_reply(messages, sender, thread_ts)
    client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=fallback, blocks=reply_blocks)


def answer_event(app: AppContext, event: dict, client: WebClient) -> None:
    """A DM or a mention: the question is the text without the mention of the bot."""
    text = MENTION.sub("", event.get("text") or "").strip()
    thread_ts = event.get("thread_ts") or event["ts"]
    ask_and_reply(app, client, event["channel"], thread_ts, conversation_id(event["user"], thread_ts), text)


def answer_button(app: AppContext, body: dict, client: WebClient) -> None:
    """A button under a bot reply: its payload goes back to the same Rasa conversation."""
    value = json.loads(body["actions"][0]["value"])
    ask_and_reply(app, client, body["channel"]["id"], value["thread_ts"], value["sender"], value["payload"])
