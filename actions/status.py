"""Answers about the live status of the migrations: thin Rasa SDK wrapper around bot.status.status_replies."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction
from bot.answers.urgency import mentions_trouble
from bot.status import phase_status, status_replies
from bot.status.products import find_product
from bot.status.schedule import phase_in_text
from bot.wording import Reply
from core.errors import HelpdeskError
from core.settings import Settings
from faq_index.search import searcher_for


def live_status_reply(intent: str, text: str, settings: Settings) -> Reply:
    """The reply to a live-status question; the clock is HELPDESK_NOW when set."""
    status = phase_status.snapshot(settings)
    migrations, now, all_states = status.migrations, status.now, status.states
    if intent == "ask_phase_status":
        phase = phase_in_text(migrations, text, searcher_for(settings.faq_db).mentioned_documents(text))
        if phase is not None:
            state = next(s for s in all_states if s.phase == phase)
            return status_replies.phase_reply(state, all_states, migrations, now)
    if intent == "ask_product_status":
        product = find_product(text)
        if product is not None:
            return status_replies.product_status(product, all_states, migrations, now)
    if intent == "ask_next_window":
        return status_replies.next_window(all_states, migrations, now)
    if intent == "ask_window_end":
        return status_replies.window_end(all_states, migrations, now)
    return status_replies.status_now(all_states, migrations, now)


class ActionLiveStatus(HelpdeskAction):
    def name(self) -> str:
        return "action_live_status"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or ""
        text = tracker.latest_message.get("text") or ""
        reply = live_status_reply(intent, text, Settings.from_env())
        dispatcher.utter_message(response=reply.response, **reply.values)
        if mentions_trouble(text):  # the maintenance may not explain what they see: a person is one tap away
            dispatcher.utter_message(response="utter_status_offer_engineer")
        return []

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        dispatcher.utter_message(response="utter_status_unavailable")
        return []
