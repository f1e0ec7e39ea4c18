"""The escalation form and the handoff record: thin Rasa SDK wrappers around bot.contact_checks and
bot.escalations."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import contact_checks, escalations
from bot.clock import Clock
from bot.errors import HelpdeskError
from bot.oncall import load_rota
from bot.settings import Settings

logger = logging.getLogger(__name__)


def _checked(slot: str, value: Any, dispatcher: CollectingDispatcher, check) -> dict[str, Any]:
    """Run `check` on the answer; on a bad answer say why and ask again (the slot stays empty)."""
    try:
        return {slot: check(str(value or ""))}
    except contact_checks.InvalidAnswer as problem:
        dispatcher.utter_message(text=str(problem))
        return {slot: None}


# What each answer of the form must be; a check raises InvalidAnswer with what to type instead.
CHECKS = {
    "contact_name": lambda text: contact_checks.plain_text(text, "name", contact_checks.MAX_NAME),
    "company": lambda text: contact_checks.optional(text, "company", contact_checks.MAX_NAME) or "not given",
    "callback": contact_checks.callback,
    "product": lambda text: contact_checks.optional(text, "product", contact_checks.MAX_NAME) or "not sure",
    "description": lambda text: contact_checks.plain_text(text, "description", contact_checks.MAX_DESCRIPTION),
}
FORM_SLOTS = tuple(CHECKS)


class ValidateEscalationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_escalation_form"

    def __getattr__(self, name: str):
        # Rasa asks for a `validate_<slot>` method per slot; one table of checks answers them all.
        slot = name.removeprefix("validate_")
        if name.startswith("validate_") and slot in CHECKS:
            return lambda value, dispatcher, tracker, domain: _checked(slot, value, dispatcher, CHECKS[slot])
        raise AttributeError(name)


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
            rota = load_rota()
            case = escalations.create(settings.state_db, tracker.sender_id, contact,
                                      tracker.get_slot("description") or "", transcript(tracker), rota,
                                      Clock(settings.now).now())
        except HelpdeskError as exc:
            logger.error("could not create an escalation: %s", exc)
            dispatcher.utter_message(text="Sorry, I couldn't reach the on-call engineer. Please ring 0800 77 66 22 "
                                          "(+64 4 498 6000) now.")
            return [SlotSet(slot, None) for slot in FORM_SLOTS]
        minutes = int(rota.ack_timeout.total_seconds() // 60)
        dispatcher.utter_message(
            text=f"Thanks, {contact['contact_name']}. Your reference is {case.ref}. I've paged the on-call engineer, "
                 f"who will contact you on {contact['callback']}. If nobody has been in touch within {minutes} "
                 f"minutes, ring 0800 77 66 22 (+64 4 498 6000) and quote {case.ref}.")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]
