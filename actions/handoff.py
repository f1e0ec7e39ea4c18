"""The live handoff: while an on-call engineer has the case, the bot relays instead of answering.

The engineer's side arrives as external intents (bot.rasa_client.trigger_intent from the worker);
the customer's messages are routed here by actions.handoff_policy. Thin wrappers over bot.escalations.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot import escalations
from bot.answers import SUPPORT_PHONE
from bot.clock import Clock
from bot.errors import HelpdeskError
from bot.settings import Settings

logger = logging.getLogger(__name__)


def _entity(tracker: Tracker, name: str) -> str:
    return str(next(tracker.get_latest_entity_values(name), "") or "")


def _notice(change: str, ref: str, engineer: str) -> dict:
    """A custom message the web chat shows as a notice. Rasa's socket.io channel passes a custom message's
    keys to socket.io's emit(), so what the browser receives goes under "data"."""
    return {"data": {"handoff": change, "ref": ref, "engineer": engineer}}


class ActionHandoffStarted(Action):
    def name(self) -> str:
        return "action_handoff_started"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        ref, engineer = _entity(tracker, "ref"), _entity(tracker, "engineer") or "An engineer"
        dispatcher.utter_message(text=f"{engineer} from the on-call team has joined this chat about {ref}. "
                                      "Everything you type now goes to them.",
                                 json_message=_notice("joined", ref, engineer))
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("handoff_ref", ref)]


class ActionHandoffEnded(Action):
    def name(self) -> str:
        return "action_handoff_ended"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        ref, engineer = _entity(tracker, "ref"), _entity(tracker, "engineer") or "The engineer"
        dispatcher.utter_message(text=f"{engineer} has marked {ref} resolved and left the chat. You're talking to "
                                      "the helpdesk bot again; ask me anything about the migrations.",
                                 json_message=_notice("left", ref, engineer))
        return [SlotSet("handoff_ref", None)]


class ActionRelayToCustomer(Action):
    """Says what the engineer wrote in Slack, as plain text with their name."""

    def name(self) -> str:
        return "action_relay_to_customer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        text, engineer = _entity(tracker, "text"), _entity(tracker, "engineer") or "Engineer"
        if text:
            dispatcher.utter_message(text=f"{engineer} (on-call engineer): {text}")
        return []


class ActionRelayToEngineer(Action):
    """Passes the customer's message to the engineer's Slack thread; the bot itself says nothing."""

    def name(self) -> str:
        return "action_relay_to_engineer"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        settings = Settings.from_env()
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        if not text:
            return []
        message_id = message.get("message_id") or f"{tracker.sender_id}:{len(tracker.events)}"
        try:
            escalations.relay_from_customer(settings.state_db, tracker.sender_id, text, message_id,
                                            Clock(settings.now).now())
        except escalations.EscalationError:
            # The engineer resolved the case a moment ago; the notice is on its way.
            dispatcher.utter_message(text="The engineer has closed this case. Ask me again, or ring "
                                          f"{SUPPORT_PHONE} if you still need a person.")
            return [SlotSet("handoff_ref", None)]
        except HelpdeskError as exc:
            logger.error("could not relay a message to the engineer: %s", exc)
            dispatcher.utter_message(text=f"Sorry, your message could not reach the engineer. Please ring {SUPPORT_PHONE}.")
        return []
