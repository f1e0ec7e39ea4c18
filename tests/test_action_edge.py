"""The actions' one edge (actions/edge.py): every action stands behind it, and nothing escapes it."""

from __future__ import annotations

import asyncio
import logging

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from actions.edge import FAULT_RESPONSE, HelpdeskAction
from core.errors import DatabaseBusy


def tracker() -> Tracker:
    return Tracker("edge-test", {}, {"text": "hi", "intent": {"name": "greet"}}, [], False, None, {}, "action_listen")


def test_every_custom_action_runs_behind_the_edge():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert "action_create_escalation" in executor.actions and "validate_escalation_form" in executor.actions
    ours = [run.__self__ for run in executor.actions.values() if type(run.__self__).__module__.startswith("actions.")]
    assert len(ours) == 17 and all(isinstance(action, HelpdeskAction) for action in ours)


class Broken(HelpdeskAction):
    error: Exception = KeyError("boom")

    def name(self) -> str:
        return "action_broken"

    def act(self, dispatcher, tracker, domain):
        raise self.error

    def after_fault(self, tracker):
        return [SlotSet("faq_misses", 0)]


def test_an_unexpected_error_is_logged_with_its_traceback_and_the_customer_gets_the_phone_response(caplog):
    dispatcher = CollectingDispatcher()
    with caplog.at_level(logging.ERROR):
        events = asyncio.run(Broken().run(dispatcher, tracker(), {}))
    assert [m["response"] for m in dispatcher.messages] == [FAULT_RESPONSE]
    assert events == [SlotSet("faq_misses", 0)]
    assert "action_broken failed unexpectedly" in caplog.text and "KeyError: 'boom'" in caplog.text  # the traceback


def test_a_helpdesk_error_gets_the_actions_own_handling():
    class Busy(Broken):
        error = DatabaseBusy("locked")

        def name(self) -> str:
            return "action_busy"

        def failed(self, error, dispatcher, tracker):
            dispatcher.utter_message(response="utter_busy")
            return []

    dispatcher = CollectingDispatcher()
    assert asyncio.run(Busy().run(dispatcher, tracker(), {})) == []
    assert [m["response"] for m in dispatcher.messages] == ["utter_busy"]
