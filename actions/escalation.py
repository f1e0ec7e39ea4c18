"""The escalation form and the handoff record: thin Rasa SDK wrappers around bot.contact_checks and
bot.escalations."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import CheckedFormValidation
from bot import contact_checks, escalations
from bot.answers import SUPPORT_PHONE
from bot.clock import Clock
from bot.errors import HelpdeskError
from bot.oncall import current_rota
from bot.settings import Settings

logger = logging.getLogger(__name__)


# What each answer of the form must be; a check raises InvalidAnswer with what to type instead.
CHECKS = {
    "contact_name": lambda text: contact_checks.plain_text(text, "name", contact_checks.MAX_NAME),
    "company": lambda text: contact_checks.optional(text, "company", contact_checks.MAX_NAME) or "not given",
    "callback": contact_checks.callback,
    "product": lambda text: contact_checks.optional(text, "product", contact_checks.MAX_NAME) or "not sure",
    "description": lambda text: contact_checks.plain_text(text, "description", contact_checks.MAX_DESCRIPTION),
}
FORM_SLOTS = tuple(CHECKS)


class ValidateEscalationForm(CheckedFormValidation):
    checks = CHECKS

    def name(self) -> str:
        return "validate_escalation_form"


def transcript(tracker: Tracker) -> list[dict]:
    """The conversation so far, as who said what and when."""
    return [
        {"from": "customer" if event["event"] == "user" else "bot", "text": event.get("text") or "",
         "at": event.get("timestamp")}
        for event in tracker.events
        if event.get("event") in {"user", "bot"} and event.get("text")
    ]


class ActionCreateEscalation(Action):
    def name(self) -> str:
        return "action_create_escalation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        contact = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS if slot != "description"}
        try:
            rota = current_rota(settings.state_db)
            case = escalations.create(settings.state_db, tracker.sender_id, contact,
                                      tracker.get_slot("description") or "", transcript(tracker), rota,
                                      Clock(settings.now).now())
        except HelpdeskError as exc:
            logger.error("could not create an escalation: %s", exc)
            dispatcher.utter_message(text=f"Sorry, I couldn't reach the on-call engineer. Please ring {SUPPORT_PHONE} now.")
            return [SlotSet(slot, None) for slot in FORM_SLOTS]
        minutes = int(rota.ack_timeout.total_seconds() // 60)
        dispatcher.utter_message(
            text=f"Thanks, {contact['contact_name']}. Your reference is {case.ref}. I've paged the on-call engineer, "
                 f"who will contact you on {contact['callback']}. If nobody has been in touch within {minutes} "
                 f"minutes, ring {SUPPORT_PHONE} and quote {case.ref}.")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]
