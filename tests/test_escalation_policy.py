"""The customer's words steering a case (actions/escalation_policy.py), on trackers built without a server."""

from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.escalation_policy import CANCEL_ACTION, LEAVE_ACTION, RELAY_ACTION, STOP_FORM_ACTION, next_action
from core.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


def tracker(domain: Domain, text: str, *before, intent: str = "faq") -> DialogueStateTracker:
    events = [
        ActionExecuted("action_listen"),
        *before,
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": intent}),
    ]
    return DialogueStateTracker.from_events("web-1", events, domain.slots)


IN_THE_FORM = (ActionExecuted("escalation_form"), ActiveLoop("escalation_form"), SlotSet("requested_slot", "company"))
IN_HANDOFF = (SlotSet("handoff_ref", "ESC-0042"),)


@pytest.mark.parametrize("text", ["never mind", "Cancel", "forget it"])
def test_never_mind_inside_the_escalation_form_stops_it(domain, text):
    assert next_action(tracker(domain, text, *IN_THE_FORM)) == STOP_FORM_ACTION


def test_an_answer_inside_the_form_is_left_to_the_form(domain):
    assert next_action(tracker(domain, "Kiwi Texts", *IN_THE_FORM)) is None


@pytest.mark.parametrize("text", ["never mind", "cancel my case", "Cancel ESC-0042 please"])
def test_outside_a_form_the_customer_calls_their_case_off(domain, text):
    assert next_action(tracker(domain, text)) == CANCEL_ACTION  # the action finds the case, or says there is none


def test_a_question_about_cancelling_is_left_to_the_rules(domain):
    assert next_action(tracker(domain, "how do I cancel a scheduled campaign?")) is None


def test_in_a_live_chat_stop_leaves_it_and_never_mind_goes_to_the_engineer(domain):
    assert next_action(tracker(domain, "stop", *IN_HANDOFF)) == LEAVE_ACTION
    assert next_action(tracker(domain, "never mind", *IN_HANDOFF)) == RELAY_ACTION


def test_the_bot_listens_after_the_form_is_stopped(domain):
    stopped = tracker(domain, "never mind", *IN_THE_FORM)
    stopped.update(ActionExecuted(STOP_FORM_ACTION))
    assert next_action(stopped) == "action_listen"


def test_the_workers_events_are_left_to_the_rules(domain):
    assert next_action(tracker(domain, "", intent="EXTERNAL_case_update")) is None
