"""The form for a customer's own on-call engineer: thin Rasa SDK wrapper around bot.escalation.customer_contacts."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction
from actions.forms import CheckedFormValidation, checked_answer
from bot.escalation import contact_checks, customer_contacts
from core.errors import HelpdeskError
from core.schema import state_database
from core.settings import Settings

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

    def validate_oncall_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        result = checked_answer("oncall_email", value, dispatcher, CHECKS["oncall_email"])
        if result["oncall_email"] == SKIPPED and tracker.get_slot("oncall_phone") in (None, SKIPPED):
            dispatcher.utter_message(
                text="We need a phone number or an email address to reach them. Please type an email address."
            )
            return {"oncall_email": None}
        return result


class ActionSaveCustomerContact(HelpdeskAction):
    """Stores the details; whatever happens, the answers are emptied (nothing stale is kept for later)."""

    def name(self) -> str:
        return "action_save_customer_contact"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        answers = {slot: tracker.get_slot(slot) or "" for slot in FORM_SLOTS}
        answers = {slot: "" if value == SKIPPED else value for slot, value in answers.items()}
        with state_database(settings.state_store) as db:
            contact = customer_contacts.save(
                db,
                answers["oncall_company"],
                answers["oncall_name"],
                answers["oncall_phone"],
                answers["oncall_email"],
                tracker.sender_id,
                settings.clock.now(),
            )
        reach = " and ".join(part for part in (contact.phone, contact.email) if part)
        dispatcher.utter_message(
            response="utter_customer_contact_saved",
            engineer_name=contact.name,
            contact_company=contact.company,
            reach=reach,
        )
        return self.after_fault(tracker)

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        dispatcher.utter_message(response="utter_customer_contact_not_saved")  # nothing was recorded: it says so
        return self.after_fault(tracker)

    def after_fault(self, tracker: Tracker) -> list[dict]:
        return [SlotSet(slot, None) for slot in FORM_SLOTS]
