"""A customer's vote on an answer (the web chat's thumbs up or down: /feedback_positive, /feedback_negative).

The vote is kept: it is a user event in Rasa's tracker store, which `helpdesk review` reads. It is not
answered (the widget shows its own thanks), and it changes nothing in the conversation: this action rewinds
it (UserUtteranceReverted, as Rasa's own fallback does), so the dialogue is where it was before the vote: a
form still waits for its answer and the offer of the engineer still for its yes or no. Rewinding puts the
conversation back to just after the bot's last action; a vote that is the first message of its session (or
after a restart) has nothing before it to go back to, and is simply left in place.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction

STARTS = frozenset({"restart", "session_started"})  # nothing before these is part of the dialogue now
NOT_THE_BOTS = frozenset({"action_listen", "action_session_start"})


def bot_acted_before_the_vote(events: list[dict]) -> bool:
    """Whether the bot did anything in this session before the latest user message (the vote)."""
    last_user = max((n for n, event in enumerate(events) if event.get("event") == "user"), default=0)
    start = max((n for n, event in enumerate(events[:last_user]) if event.get("event") in STARTS), default=-1)
    return any(
        event.get("event") == "action" and event.get("name") not in NOT_THE_BOTS
        for event in events[start + 1 : last_user]
    )


class ActionTakeFeedback(HelpdeskAction):
    def name(self) -> str:
        return "action_take_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return [UserUtteranceReverted()] if bot_acted_before_the_vote(tracker.events) else []
