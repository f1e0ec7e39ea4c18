"""The Rasa SDK actions on their own (no server): a tracker from a dict, a CollectingDispatcher, and what the
action chose to say."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import settings_env
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from actions.handoff import ActionRelayToCustomer
from actions.status import ActionLiveStatus
from bot.chat.chat_input import screen
from core.settings import PROJECT_ROOT


@pytest.fixture(autouse=True)
def helpdesk_env(tmp_path: Path, shipped_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in settings_env(tmp_path, HELPDESK_FAQ_DB=str(shipped_index)).items():
        monkeypatch.setenv(name, value)


def tracker(text: str, intent: str = "faq", entities: list[dict] | None = None, **parse: object) -> Tracker:
    message = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], **parse}
    return Tracker.from_dict(
        {"sender_id": "action-test", "slots": {}, "latest_message": message, "events": [], "paused": False}
    )


def run(action, tracker: Tracker) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher.messages, events


def test_a_clear_faq_question_is_answered_with_the_entry_and_its_source():
    messages, events = run(ActionAnswerFaq(), tracker("what is the rollback plan?"))
    assert "(Source: Prepare AWS Migration - More information)" in messages[0]["text"]
    assert messages[0]["faq"]["kind"] == "answer"
    assert {"event": "slot", "name": "faq_misses", "value": 0, "timestamp": None} in events


def test_a_question_the_faq_cannot_answer_chooses_the_dont_know_response():
    messages, _ = run(ActionAnswerFaq(), tracker("zxqv plorb wuggle"))
    assert messages[0]["response"] == "utter_faq_unknown" and messages[0]["text"] is None


def test_an_empty_message_gets_the_prompt_response():
    messages, events = run(ActionAnswerFaq(), tracker("   "))
    assert [m["response"] for m in messages] == ["utter_faq_empty"] and events == []


def test_the_engineers_words_are_relayed_as_response_variables_never_as_markup():
    said = "<b>on it</b> {support_phone}"
    entities = [{"entity": "text", "value": said}, {"entity": "engineer", "value": "Tama"}]
    messages, _ = run(
        ActionRelayToCustomer(), tracker("/EXTERNAL_engineer_message", "EXTERNAL_engineer_message", entities)
    )
    assert messages[0]["response"] == "utter_engineer_says"
    assert messages[0]["said"] == said and messages[0]["engineer"] == "Tama"


def test_the_live_status_at_a_fixed_instant_names_the_running_phase(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HELPDESK_NOW", "2020-09-08T22:30:00+12:00")
    messages, _ = run(ActionLiveStatus(), tracker("is it down right now?", "ask_status_now"))
    assert messages[0]["response"] == "utter_status_running"
    assert messages[0]["as_of"].startswith("Tue 8 September 2020 22:30 NZST") and "Phase 2" in messages[0]["running"]


def test_a_status_question_that_speaks_of_trouble_is_offered_the_on_call_engineer(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HELPDESK_NOW", "2020-09-02T22:30:00+12:00")  # no window runs
    messages, _ = run(
        ActionLiveStatus(), tracker("our API calls are erroring, is that the migration?", "ask_status_now")
    )
    assert [m["response"] for m in messages] == ["utter_status_quiet", "utter_status_offer_engineer"]


def test_a_plain_status_question_gets_the_status_alone(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HELPDESK_NOW", "2020-09-02T22:30:00+12:00")
    messages, _ = run(ActionLiveStatus(), tracker("what's happening with the migration right now?", "ask_status_now"))
    assert [m["response"] for m in messages] == ["utter_status_quiet"]


def test_every_button_the_domain_gives_passes_the_chat_channels_screen_as_it_is():
    responses = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]
    payloads = {b["payload"] for variants in responses.values() for v in variants for b in v.get("buttons") or []}
    assert "/urgent_problem" in payloads  # the offer after the live status starts the urgent flow
    assert {screen(payload, limit=2000) for payload in payloads} == payloads


def test_the_action_server_runs_every_custom_action_of_the_domain_without_loading_rasa():
    listed = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["actions"]
    custom = sorted(next(iter(a)) if isinstance(a, dict) else a for a in listed)
    probe = (
        "import sys; from rasa_sdk.executor import ActionExecutor; e = ActionExecutor(); "
        "e.register_package('actions.catalogue'); "
        "print(sorted(e.actions), 'rasa' in sys.modules, 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"{custom} False False"
