"""The Rasa server's launcher (actions/rasa_server.py) hands `rasa run` the arguments it can parse."""

from __future__ import annotations

import argparse
import asyncio

import pytest
from rasa.cli.arguments.run import add_server_arguments

from actions.rasa_server import rasa_arguments


@pytest.mark.parametrize("token", ["plainToken123", "-starts-with-a-dash", "--looks-like-an-option"])
def test_any_random_api_token_reaches_rasa_whole(token: str):
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    assert parser.parse_args(rasa_arguments(["--port", "5005"], token)).auth_token == token


def test_without_a_token_rasa_gets_none():
    assert rasa_arguments(["--port", "5005"], "") == ["--port", "5005"]


@pytest.fixture
def counted_parses(monkeypatch):
    """Rasa's MessageProcessor with a parse that counts its calls, then remember_parses() over it."""
    from rasa.core.processor import MessageProcessor

    from actions.rasa_server import remember_parses

    calls: list[str] = []

    async def parse(self, message, tracker=None, only_output_properties=True):
        calls.append(message.text)
        return {"text": message.text, "intent": {"name": "faq", "confidence": 0.9}, "entities": []}

    monkeypatch.setattr(MessageProcessor, "parse_message", parse)
    remember_parses()  # patches the class again: monkeypatch restores Rasa's own afterwards
    return MessageProcessor, calls


def test_the_same_text_is_parsed_once_per_model_and_each_caller_gets_its_own_copy(counted_parses):
    from rasa.core.channels.channel import UserMessage

    processor_class, calls = counted_parses
    first_model, next_model = processor_class.__new__(processor_class), processor_class.__new__(processor_class)

    def parse(processor, text: str) -> dict:
        return asyncio.run(processor.parse_message(UserMessage(text)))

    one = parse(first_model, "is the api down now?")
    one["intent"]["name"] = "changed by the caller"
    two = parse(first_model, "is the api down now?")
    parse(first_model, "/faq_choice")
    parse(first_model, "/faq_choice")
    parse(next_model, "is the api down now?")
    assert two["intent"]["name"] == "faq"
    assert calls == ["is the api down now?", "/faq_choice", "/faq_choice", "is the api down now?"]


def test_action_replies_are_still_checked_against_rasas_schema(monkeypatch):
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction

    from actions.rasa_server import check_action_replies_quickly

    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    check_action_replies_quickly()
    action = RemoteAction("action_answer_faq", None)
    assert action._validate_action_result({"events": [{"event": "slot", "name": "faq_misses", "value": 0}]})
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result({"events": [{"event": "no such event"}], "responses": []})


def test_actions_get_the_recent_events_and_the_escalation_gets_the_whole_conversation(monkeypatch):
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from actions.rasa_server import RECENT_EVENTS, send_recent_events_only

    monkeypatch.setattr(RemoteAction, "_action_call_format", RemoteAction._action_call_format)
    send_recent_events_only()
    events = [ActionExecuted("action_listen")]
    for n in range(RECENT_EVENTS):
        events += [
            UserUttered(f"question {n}", intent={"name": "faq", "confidence": 1.0}),
            ActionExecuted("action_listen"),
        ]
    tracker = DialogueStateTracker.from_events("ana", events)

    def sent(action: str) -> dict:
        return RemoteAction(action, None)._action_call_format(tracker, Domain.empty())["tracker"]

    faq, escalation = sent("action_answer_faq"), sent("action_create_escalation")
    assert len(faq["events"]) == RECENT_EVENTS and faq["events"][-2]["text"] == f"question {RECENT_EVENTS - 1}"
    assert faq["latest_message"]["text"] == f"question {RECENT_EVENTS - 1}"
    assert len(escalation["events"]) == len(events)
