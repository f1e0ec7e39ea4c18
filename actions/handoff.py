"""The live handoff: while an on-call engineer has the case, the bot relays instead of answering.

The engineer's side arrives as external intents (bot.ops.rasa_client.trigger_intent from the worker);
the customer's messages are routed here by actions.escalation_policy. Thin wrappers over bot.escalation.escalations.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction
from bot.escalation import escalations
from core.errors import HelpdeskError
from core.schema import state_database
from core.settings import Settings

RESTART_INTENT = "restart"


def _entity(tracker: Tracker, name: str) -> str:
    return str(next(tracker.get_latest_entity_values(name), "") or "")


def _notice(change: str, ref: str, engineer: str) -> dict:
    """A custom message the web chat shows as a notice. Rasa's socket.io channel passes a custom message's
    keys to socket.io's emit(), so what the browser receives goes under "data"."""
    return {"data": {"handoff": change, "ref": ref, "engineer": engineer}}


class ActionHandoffStarted(HelpdeskAction):
    def name(self) -> str:
        return "action_handoff_started"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        ref, engineer = _entity(tracker, "ref"), _entity(tracker, "engineer") or "An engineer"
        dispatcher.utter_message(
            response="utter_handoff_started", ref=ref, engineer=engineer, json_message=_notice("joined", ref, engineer)
        )
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("handoff_ref", ref)]


class ActionHandoffEnded(HelpdeskAction):
    def name(self) -> str:
        return "action_handoff_ended"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        ref, engineer = _entity(tracker, "ref"), _entity(tracker, "engineer") or "The engineer"
        dispatcher.utter_message(
            response="utter_handoff_ended", ref=ref, engineer=engineer, json_message=_notice("left", ref, engineer)
        )
        return self.after_fault(tracker)

    def after_fault(self, tracker: Tracker) -> list[dict]:
        return [SlotSet("handoff_ref", None)]  # the engineer has gone whatever failed here


class ActionRelayToCustomer(HelpdeskAction):
    """Says what the engineer wrote in Slack, as plain text with their name (their words, not the bot's)."""

    def name(self) -> str:
        return "action_relay_to_customer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text, engineer = _entity(tracker, "text"), _entity(tracker, "engineer") or "Engineer"
        if text:
            dispatcher.utter_message(response="utter_engineer_says", engineer=engineer, said=text)
        return []


def _said_at(tracker: Tracker) -> float:
    """When the customer's latest message was said: with the conversation, it names the message (the Rasa server
    sends actions only the recent events, so their count does not)."""
    return max((float(e.get("timestamp") or 0) for e in tracker.events if e.get("event") == "user"), default=0.0)


class ActionRelayToEngineer(HelpdeskAction):
    """Passes the customer's message to the engineer's Slack thread; the bot itself says nothing."""

    def name(self) -> str:
        return "action_relay_to_engineer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if not text:
            return []
        message_id = message.get("message_id") or f"{tracker.sender_id}:{_said_at(tracker)}"
        try:
            with state_database(settings.state_store) as db:
                escalations.relay_from_customer(db, tracker.sender_id, text, message_id, settings.clock.now())
        except escalations.EscalationError:
            # The engineer resolved the case a moment ago; the notice is on its way.
            dispatcher.utter_message(response="utter_handoff_case_closed")
            return [SlotSet("handoff_ref", None)]
        return []

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        dispatcher.utter_message(response="utter_relay_failed")
        return []


class ActionLeaveHandoff(HelpdeskAction):
    """The customer ends the live handoff ('stop', or /restart): the case is resolved as theirs to close and
    the engineer is told (bot.escalation.escalations.customer_left), the bot answers again, and /restart then restarts.
    The customer is never kept in the handoff: if the engineer cannot be told, they are still let out."""

    def name(self) -> str:
        return "action_leave_handoff"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        with state_database(settings.state_store) as db:
            case = escalations.customer_left(db, tracker.sender_id, settings.clock.now())
        ref = case.ref if case else (tracker.get_slot("handoff_ref") or "")
        engineer = (case.acknowledged_by if case else "") or "The engineer"
        dispatcher.utter_message(response="utter_handoff_left", ref=ref, json_message=_notice("left", ref, engineer))
        return self.after_fault(tracker)

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        ref = tracker.get_slot("handoff_ref") or ""
        dispatcher.utter_message(
            response="utter_handoff_left_engineer_not_told", ref=ref, json_message=_notice("left", ref, "The engineer")
        )
        return self.after_fault(tracker)

    def after_fault(self, tracker: Tracker) -> list[dict]:
        events: list[dict] = [SlotSet("handoff_ref", None)]
        if ((tracker.latest_message or {}).get("intent") or {}).get("name") == RESTART_INTENT:
            events.append(FollowupAction("action_restart"))
        return events
