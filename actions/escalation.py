"""The escalation form, the handoff record and the customer's side of a waiting case (its updates, cancelling
it): thin Rasa SDK wrappers around bot.escalation.contact_checks and bot.escalation.escalations."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import customer_contact
from actions.edge import HelpdeskAction
from actions.forms import CheckedFormValidation
from bot.escalation import contact_checks, escalations
from bot.escalation.leaving import named_ref
from bot.escalation.oncall import rota_in_force
from core.db import write_transaction
from core.errors import HelpdeskError, StorageError
from core.schema import state_database
from core.settings import Settings

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
        {
            "from": "customer" if event["event"] == "user" else "bot",
            "text": event.get("text") or "",
            "at": event.get("timestamp"),
        }
        for event in tracker.events
        if event.get("event") in {"user", "bot"} and event.get("text")
    ]


RETRY_OFFER = "utter_offer_escalation_retry"  # the rules: "yes" runs this action again, "no" forgets the answers


def case_notice(view: dict | None) -> dict:
    """A custom message for the web chat's case line (escalations.customer_view). Rasa's socket.io channel passes
    a custom message's keys to socket.io's emit(), so what the browser receives goes under "data"."""
    return {"data": {"case": view}}


def forget_answers() -> list[dict]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


def forget_both_forms() -> list[dict]:
    return forget_answers() + [SlotSet(slot, None) for slot in customer_contact.FORM_SLOTS]


class ActionCreateEscalation(HelpdeskAction):
    """Records the case from the form's answers and says what happens next, truthfully: whether the engineer
    can be paged, whether it was added to the conversation's open case. A database fault keeps the answers
    and offers to try again; the limits of bot.escalation.escalations clear them."""

    def name(self) -> str:
        return "action_create_escalation"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        now = settings.clock.now()
        contact = {slot: tracker.get_slot(slot) for slot in FORM_SLOTS if slot != "description"}
        # One unit of work: whether paging is healthy, read under the write lock, and the record that says
        # whether this reply tells the customer nobody could be paged.
        with state_database(settings.state_store) as db, write_transaction(db):
            rota = rota_in_force(settings.faq_db, db, now)
            paged = escalations.paging_healthy(db, settings.slack.enabled, now)
            filed = escalations.create(
                db,
                tracker.sender_id,
                contact,
                tracker.get_slot("description") or "",
                transcript(tracker),
                rota,
                now,
                customer_told_not_paged=not paged,
                limits=escalations.Limits(settings.escalations_per_conversation, settings.escalations_per_ten_minutes),
            )
        response = {
            (True, True): "utter_escalation_created",
            (True, False): "utter_escalation_created_not_paged",
            (False, True): "utter_escalation_added",
            (False, False): "utter_escalation_added_not_paged",
        }
        dispatcher.utter_message(
            response=response[filed.new, paged],
            ref=filed.case.ref,
            contact_name=contact["contact_name"],
            callback=contact["callback"],
            minutes=int(rota.ack_timeout.total_seconds() // 60),
            update_minutes=int(rota.customer_update.total_seconds() // 60),
            json_message=case_notice(escalations.customer_view(filed.case)),
        )
        return forget_answers()

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        if isinstance(error, escalations.EscalationLimit):
            dispatcher.utter_message(response="utter_escalation_limit")
            return forget_answers()
        if isinstance(error, StorageError):  # nothing was recorded; the same answers can be tried again
            return [FollowupAction(RETRY_OFFER)]  # its text gives the phone number to ring now
        dispatcher.utter_message(response="utter_escalation_not_recorded")
        return forget_answers()

    def after_fault(self, tracker: Tracker) -> list[dict]:
        return forget_answers()


class ActionForgetFormAnswers(HelpdeskAction):
    """Empties both forms' answers: run before a form starts (it must never submit stale answers) and when the
    customer declines to try a failed escalation again."""

    def name(self) -> str:
        return "action_forget_form_answers"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return forget_both_forms()


class ActionStopForm(HelpdeskAction):
    """The customer called the form off ("cancel", "never mind"): nothing is sent or saved, the answers go."""

    def name(self) -> str:
        return "action_stop_form"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        dispatcher.utter_message(response="utter_form_stopped")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + forget_both_forms()


class ActionCancelEscalation(HelpdeskAction):
    """The customer calls off their waiting case ("cancel", "never mind"): escalations.cancel_by_customer."""

    def name(self) -> str:
        return "action_cancel_escalation"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        named = named_ref((tracker.latest_message or {}).get("text") or "")
        with state_database(settings.state_store) as db:
            case = escalations.cancel_by_customer(db, tracker.sender_id, settings.clock.now(), ref=named)
            if case is None:  # none waits (or not the one named): never was, or acknowledged or closed already
                latest = escalations.latest_case(db, tracker.sender_id)
                dispatcher.utter_message(
                    response="utter_nothing_to_cancel", json_message=case_notice(escalations.customer_view(latest))
                )
                return forget_both_forms()  # answers kept for a retry offer go too: the customer called it off
        dispatcher.utter_message(
            response="utter_case_cancelled", ref=case.ref, json_message=case_notice(escalations.customer_view(case))
        )
        return forget_both_forms()

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        dispatcher.utter_message(response="utter_cancel_failed")
        return []


# The updates bot.escalation sends (tell_customer's `update`), each answered by utter_case_<update>.
UPDATES = frozenset({"moved_on", "waiting", "paging_down", "chain_ended", "reassigned", "looking"})


class ActionCaseUpdate(HelpdeskAction):
    """Tells the customer where their waiting case stands (EXTERNAL_case_update, from the worker): the chain moved
    on or ended, staff reassigned or are looking at it, or it still waits; each says the number to ring. An update
    that arrives late (it waited out a delivery failure) about a case no longer waiting is dropped: it would say
    someone is being paged after the customer cancelled or an engineer joined."""

    def name(self) -> str:
        return "action_case_update"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        values = {
            name: next(tracker.get_latest_entity_values(name), "") for name in ("ref", "update", "role", "minutes")
        }
        if values["update"] not in UPDATES or not values["ref"]:
            return []  # not one of ours: the worker only sends these
        settings = Settings.from_env()
        with state_database(settings.state_store) as db:
            case = escalations.get(db, values["ref"])
        if case.status != "triggered":
            return []
        dispatcher.utter_message(
            response=f"utter_case_{values['update']}",
            ref=case.ref,
            role=values["role"] or "next engineer on the rota",
            minutes=values["minutes"],
            json_message=case_notice(escalations.customer_view(case)),
        )
        return []
