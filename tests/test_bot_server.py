"""The real Rasa server and action server, over HTTP."""

from __future__ import annotations

import os
import stat
import subprocess

from conftest import HELPDESK

from bot.answers.training import rasa_executable
from core.settings import PROJECT_ROOT


def test_the_bot_greets_back(bot):
    replies = bot.ask("hello", sender="greeting-test")
    assert replies and "migration helpdesk bot" in replies[0]["text"]


def test_helpdesk_ask_prints_the_greeting(bot):
    env = {**os.environ, **{k: str(v) for k, v in bot.env.items()}}
    result = subprocess.run([HELPDESK, "ask", "hi there"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "migration helpdesk bot" in result.stdout


def test_doctor_is_all_ok_when_the_servers_run(bot, web, tmp_path):
    from slack_standin import SlackStandIn

    standin = SlackStandIn()  # Slack on: without it the on-call engineer cannot be paged, and doctor says so
    # A state database of its own: the session's other tests leave pages that no Slack app delivers.
    env = {
        **bot.env,
        "HELPDESK_DB": str(tmp_path / "helpdesk.db"),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "SLACK_API_URL": standin.api_url,
        "SLACK_ONCALL_CHANNEL": "C0ONCALL",
        "SLACK_UPDATES_CHANNEL": "C0UPDATES",
    }
    try:
        result = subprocess.run([HELPDESK, "doctor"], env=env, capture_output=True, text=True, timeout=60)
    finally:
        standin.close()
    assert result.returncode == 0, result.stdout
    assert all(line.startswith("ok") for line in result.stdout.splitlines())
    assert "paging" in result.stdout and "took a test write" in result.stdout


def test_the_conversation_is_kept_in_the_sqlite_tracker_store(bot):
    bot.ask("hello", sender="tracker-test")
    assert bot.settings.tracker_db.is_file()
    import sqlite3

    with sqlite3.connect(bot.settings.tracker_db) as db:
        rows = db.execute("select count(*) from events where sender_id = 'tracker-test'").fetchone()[0]
    assert rows > 0


def test_rasa_data_validate_passes():
    result = subprocess.run(
        [rasa_executable(), "data", "validate", "--data", "data/nlu", "data/rules.yml", "data/stories.yml"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_databases_with_conversations_are_readable_by_their_owner_only(bot):
    bot.escalate("file-modes")  # a transcript, a phone number: in both databases
    for database in (bot.settings.tracker_db, bot.settings.state_db):
        assert stat.S_IMODE(database.stat().st_mode) == 0o600, database
