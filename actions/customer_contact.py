"""The form for a customer's own on-call engineer: thin Rasa SDK wrapper around bot.customer_contacts."""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import CheckedFormValidation, checked_answer
from bot import contact_checks, customer_contacts
from bot.clock import Clock
from bot.errors import HelpdeskError
from bot.settings import Settings

logger = logging.getLogger(__name__)
SKIPPED = "skipped"  # a slot must hold something for the form to move on


def _optional(check):
    return lambda text: SKIPPED if contact_checks.optional(text, "answer", 300) is None else check(text)


CHECKS = {
    "oncall_company": lambda text: contact_checks.plain_text(text, "company", contact_checks.MAX_NAME),
    "oncall_name": lambda text: contact_checks.plain_text(text, "on-call engineer's name", contact_checks.MAX_NAME),
    "oncall_phone": _optional(contact_checks.phone),
    "oncall_email": _optional(contact_checks.email),
}
FORM_SLOTS = tuple(CHECKS)


class ValidateCustomerContactForm(CheckedFormValidation):
    checks = CHECKS

    def name(self) -> str:
        return "validate_customer_contact_form"

    def validate_oncall_email(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: dict[str, Any]) -> dict[str, Any]:
        result = checked_answer("oncall_email", value, dispatcher, CHECKS["oncall_email"])
        if result["oncall_email"] == SKIPPED and tracker.get_slot("oncall_phone") in (None, SKIPPED):
            dispatcher.utter_message(text="We need a phone number or an email address to reach them. "
                                          "Please type an email address.")
            return {"oncall_email": None}
        return result


class ActionSaveCustomerContact(Action):
    def name(self) -> str:
        return "action_save_customer_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        answers = {slot: tracker.get_slot(slot) or "" for slot in FORM_SLOTS}
        answers = {slot: "" if value == SKIPPED else value for slot, value in answers.items()}
        try:
            contact = customer_contacts.save(settings.state_db, answers["oncall_company"], answers["oncall_name"],
                                             answers["oncall_phone"], answers["oncall_email"], tracker.sender_id,
                                             Clock(settings.now).now())
        except HelpdeskError as exc:
            logger.error("could not save a customer's on-call contact: %s", exc)
            dispatcher.utter_message(text="Sorry, I couldn't save those details. Please email them to "
                                          "support@modicagroup.com.")
            return [SlotSet(slot, None) for slot in FORM_SLOTS]
        reach = " and ".join(part for part in (contact.phone, contact.email) if part)
        dispatcher.utter_message(text=f"Thanks. The support team now has {contact.name} as {contact.company}'s on-call "
                                      f"engineer, reachable on {reach}. Tell me again whenever it changes.")
        return [SlotSet(slot, None) for slot in FORM_SLOTS]
