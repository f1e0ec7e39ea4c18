"""Live status through the real Rasa server and action server, with the clock fixed by HELPDESK_NOW."""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import HELPDESK


def ask(bot, text: str, instant: str | None, sender: str) -> str:
    bot.set_clock(instant)
    return "\n".join(reply.get("text", "") for reply in bot.ask(text, sender=sender))


def test_at_2230_nzst_phase_two_is_in_progress_and_api_and_omni_are_down(bot):
    text = ask(bot, "is anything under maintenance now?", "2020-09-08T10:30:00Z", "status-2230")
    assert "Phase 2: Messaging Core Migration" in text and "is in progress" in text
    assert "API and Omni will be unavailable" in text
    assert "until Wed 9 September 2020 01:00 NZST (Tue 13:00 UTC)" in text


@pytest.mark.parametrize(
    "instant, expected",
    [
        (
            "2020-09-01T00:00:00Z",
            "The next maintenance window: Phase 1: Carrier Connection Migrations",
        ),  # before the migration
        (
            "2020-09-08T09:00:00Z",
            "Phase 2: Messaging Core Migration (Prepare AWS Migration - More information) is in progress",
        ),  # exact start
        (
            "2020-09-08T13:00:00Z",
            "The next maintenance window: Phase 3: Omni Web Interface Migration",
        ),  # exact end: between windows
        ("2020-12-01T00:00:00Z", "No further maintenance window is planned"),  # after the last window
    ],
)
def test_the_status_now_at_the_edges_and_between_the_windows(bot, instant: str, expected: str):
    assert expected in ask(bot, "what's the migration status?", instant, f"status-{instant}")


def test_during_phase_three_web2sms_is_down_but_existing_api_applications_work(bot):
    web2sms = ask(bot, "can I use Web2SMS now?", "2020-09-09T10:00:00Z", "status-web2sms")
    assert "Web2SMS is unavailable" in web2sms
    api = ask(bot, "are API requests working?", "2020-09-09T10:00:00Z", "status-api")
    assert "API is partly available" in api and "existing API applications should work normally" in api


def test_the_next_window_has_a_countdown(bot):
    text = ask(bot, "when is the next window?", "2020-09-07T08:00:00Z", "status-next")
    assert "Phase 1: Carrier Connection Migrations" in text and "in 1 hour" in text


def test_when_the_running_window_ends(bot):
    text = ask(bot, "when does the current window end?", "2020-09-10T11:00:00Z", "status-end")
    assert "Phase 4: API End-Point Migration ends Fri 11 September 2020 01:00 NZST (Thu 13:00 UTC), in 2 hours" in text


def test_a_named_phase(bot):
    text = ask(bot, "is phase 1 done?", "2020-09-08T10:30:00Z", "status-phase")
    assert (
        "Phase 1: Carrier Connection Migrations" in text
        and "its window ran from Mon 7 September 2020 21:00 NZST" in text
    )


def test_a_reported_state_changes_the_next_answer_without_a_restart(bot):
    instant = "2020-09-08T11:00:00Z"
    assert "is in progress" in ask(bot, "is phase 2 done?", instant, "status-report")
    env = {**os.environ, **bot.env, "HELPDESK_NOW": "2020-09-08T10:45:00Z"}
    done = subprocess.run(
        [HELPDESK, "status", "set", "2", "completed", "--note", "Core moved early", "--by", "ops"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    text = ask(bot, "is phase 2 done?", instant, "status-report")
    assert "is completed (reported by the support team)" in text and "Core moved early" in text
