"""Answers FAQ questions: thin Rasa SDK wrapper around bot.answers."""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.answers import SUPPORT_CONTACT, FaqReply, answer_entry, answer_question
from bot.errors import HelpdeskError
from bot.settings import Settings
from faq_index.search import searcher_for

logger = logging.getLogger(__name__)
EMPTY_PROMPT = "What would you like to know about the migrations? Ask me a question, or say 'help'."


def _selector_ranking(tracker: Tracker) -> dict[str, float]:
    """The ResponseSelector's confidence per FAQ entry id, when the classifier took the message for an FAQ."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") not in {"faq", "nlu_fallback"}:
        return {}
    ranking = ((message.get("response_selector") or {}).get("faq") or {}).get("ranking") or []
    return {
        item["intent_response_key"].split("/", 1)[1]: float(item.get("confidence") or 0.0)
        for item in ranking
        if "/" in (item.get("intent_response_key") or "")
    }


def _send(dispatcher: CollectingDispatcher, reply: FaqReply) -> None:
    buttons = [
        {"title": title, "payload": "/faq_choice" + json.dumps({"faq_entry": entry_id})}
        for title, entry_id in reply.buttons()
    ]
    dispatcher.utter_message(text=reply.text, buttons=buttons or None)


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = (tracker.latest_message.get("text") or "").strip()
        try:
            searcher = searcher_for(Settings.from_env().faq_db)
            if (tracker.latest_message.get("intent") or {}).get("name") == "faq_choice":
                entry_id = next(tracker.get_latest_entity_values("faq_entry"), None)
                _send(dispatcher, answer_entry(searcher, entry_id or ""))
            elif not text:
                dispatcher.utter_message(text=EMPTY_PROMPT)
            else:
                _send(dispatcher, answer_question(searcher, text, _selector_ranking(tracker)))
        except HelpdeskError as exc:
            logger.error("FAQ lookup failed: %s", exc)
            dispatcher.utter_message(text=f"Sorry, I can't look that up right now. Please {SUPPORT_CONTACT}.")
        return []
