"""Answers FAQ questions: thin Rasa SDK wrapper around bot.answers.faq."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction
from bot.answers.faq import CHOICE_INTENT, FaqReply, answer_entry, answer_question, choice_payload
from bot.answers.intent_vectors import SEMANTIC_RANKING, UNTAUGHT, faq_share, untaught_entries
from bot.answers.urgency import FAQ_MISSES_BEFORE_OFFER
from core.errors import HelpdeskError
from core.settings import Settings
from faq_index.search import searcher_for


def _classifier_ranking(tracker: Tracker) -> dict[str, float]:
    """The sentence-vector classifier's probability per FAQ entry id (actions/nlu_components.py)."""
    ranking = (tracker.latest_message or {}).get(SEMANTIC_RANKING) or []
    return faq_share({item["name"]: float(item.get("confidence") or 0.0) for item in ranking if item.get("name")})


def _untaught(tracker: Tracker) -> frozenset[str]:
    """The FAQ entries the classifier learnt from generated examples only (a new document's)."""
    return frozenset(untaught_entries((tracker.latest_message or {}).get(UNTAUGHT) or []))


def _after(reply: FaqReply, tracker: Tracker) -> list[dict]:
    """Count 'I don't know' answers in a row; after a few, offer a person."""
    if reply.kind != "unknown":
        return [SlotSet("faq_misses", 0)]
    misses = int(tracker.get_slot("faq_misses") or 0) + 1
    if misses >= FAQ_MISSES_BEFORE_OFFER:
        return [SlotSet("faq_misses", 0), FollowupAction("utter_offer_engineer")]
    return [SlotSet("faq_misses", misses)]


RESPONSES = {"choices": "utter_faq_choices", "unknown": "utter_faq_unknown"}  # an answer is the entry's own text


def _send(dispatcher: CollectingDispatcher, reply: FaqReply) -> None:
    buttons = [{"title": title, "payload": choice_payload(entry_id)} for title, entry_id in reply.buttons()]
    # `faq` lands in the bot event's metadata in the tracker store (what `helpdesk review` reads); channels ignore it.
    if reply.kind == "answer":
        dispatcher.utter_message(text=reply.text, buttons=buttons or None, faq=reply.record())
    else:
        dispatcher.utter_message(response=RESPONSES[reply.kind], buttons=buttons or None, faq=reply.record())


class ActionAnswerFaq(HelpdeskAction):
    def name(self) -> str:
        return "action_answer_faq"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text = (tracker.latest_message.get("text") or "").strip()
        searcher = searcher_for(Settings.from_env().faq_db)
        if (tracker.latest_message.get("intent") or {}).get("name") == CHOICE_INTENT:
            entry_id = next(tracker.get_latest_entity_values("faq_entry"), None)
            reply = answer_entry(searcher, entry_id or "")
        elif not text:
            dispatcher.utter_message(response="utter_faq_empty")
            return []
        else:
            reply = answer_question(searcher, text, _classifier_ranking(tracker), _untaught(tracker))
        _send(dispatcher, reply)
        return _after(reply, tracker)

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        dispatcher.utter_message(response="utter_faq_unavailable")
        return []


class ActionOutOfScope(HelpdeskAction):
    """The out-of-scope reply, counted with the 'I don't know' answers towards offering a person."""

    def name(self) -> str:
        return "action_out_of_scope"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return _after(FaqReply("unknown"), tracker)
