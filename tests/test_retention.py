"""Retention of Rasa's tracker store: conversations silent for longer than HELPDESK_TRACKER_RETENTION_DAYS go.

The tracker databases here are written by Rasa's own SQLTrackerStore, as the Rasa server writes them.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import settings_env
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.tracker_store import database_arguments
from bot import cli
from bot.ops import worker
from bot.ops.retention import prune_tracker
from core.db import Location
from core.errors import ConfigError
from core.settings import Settings

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
RETENTION = timedelta(days=90)


def rasa_store(location: Location) -> SQLTrackerStore:
    """Rasa's own SQL tracker store on a SQLite file or a Postgres database (the URL Settings.conversations gives)."""
    url = location if isinstance(location, str) else f"sqlite:///{location}"
    return SQLTrackerStore(domain=Domain.empty(), **database_arguments(url))


def save_conversation(store: SQLTrackerStore, sender_id: str, *ages: timedelta, now: datetime = NOW) -> None:
    """A conversation of one customer message (and the bot's reply) per age, the oldest first."""
    events = []
    for n, age in enumerate(ages):
        at = (now - age).timestamp()
        events += [UserUttered(f"question {n}", timestamp=at), BotUttered(f"answer {n}", timestamp=at + 1)]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender_id, events)))


def said(store: SQLTrackerStore, sender_id: str) -> list[str] | None:
    """Every text of the conversation as Rasa reads it back (None: Rasa has no such conversation)."""
    tracker = asyncio.run(store.retrieve_full_tracker(sender_id))
    return None if tracker is None else [event.text for event in tracker.events]


@pytest.fixture
def tracker_db(tmp_path: Path) -> Path:
    return tmp_path / "tracker.db"


@pytest.fixture
def conversations(state_location: Location) -> Location:
    """Rasa's conversations in a SQLite file, then in Postgres (where they share the state's database)."""
    return state_location


def test_a_conversation_silent_for_longer_than_the_retention_is_deleted(conversations: Location):
    store = rasa_store(conversations)
    save_conversation(store, "old", timedelta(days=200), timedelta(days=95))
    save_conversation(store, "recent", timedelta(days=3))

    report = prune_tracker(conversations, RETENTION, NOW)

    assert (report.conversations, report.events) == (1, 4)
    assert report.cutoff == NOW - RETENTION
    assert said(store, "old") is None
    assert said(store, "recent") == ["question 0", "answer 0"]
    assert asyncio.run(store.keys()) == ["recent"]


def test_a_conversation_still_in_use_keeps_its_whole_history(conversations: Location):
    store = rasa_store(conversations)
    save_conversation(store, "regular", timedelta(days=400), timedelta(days=200), timedelta(days=1))

    report = prune_tracker(conversations, RETENTION, NOW)

    assert (report.conversations, report.events) == (0, 0)
    assert said(store, "regular") == ["question 0", "answer 0", "question 1", "answer 1", "question 2", "answer 2"]


def test_pruning_twice_removes_nothing_the_second_time(conversations: Location):
    store = rasa_store(conversations)
    save_conversation(store, "old", timedelta(days=100))
    save_conversation(store, "recent", timedelta(days=10))

    first = prune_tracker(conversations, RETENTION, NOW)
    second = prune_tracker(conversations, RETENTION, NOW)

    assert (first.conversations, first.events) == (1, 2)
    assert (second.conversations, second.events) == (0, 0)
    assert said(store, "recent") == ["question 0", "answer 0"]


def test_a_missing_tracker_file_has_nothing_to_prune_and_is_not_created(tracker_db: Path):
    report = prune_tracker(tracker_db, RETENTION, NOW)

    assert (report.conversations, report.events) == (0, 0)
    assert not tracker_db.exists()


def test_a_tracker_file_without_rasas_events_table_has_nothing_to_prune(tracker_db: Path):
    sqlite3.connect(tracker_db).close()

    report = prune_tracker(tracker_db, RETENTION, NOW)

    assert (report.conversations, report.events) == (0, 0)


def worker_settings(tmp_path: Path, tracker_db: Path, **overrides: str) -> Settings:
    return Settings.from_env(settings_env(tmp_path / "var", RASA_TRACKER_DB=str(tracker_db), **overrides))


def test_the_worker_prunes_at_most_once_an_hour_and_logs_what_it_deleted(tmp_path: Path, tracker_db: Path, caplog):
    settings = worker_settings(tmp_path, tracker_db)
    store = rasa_store(tracker_db)
    save_conversation(store, "first", timedelta(days=91))
    caplog.set_level(logging.INFO, logger="bot.ops.worker")

    pruned_at = worker.prune_tracker_if_due(settings, NOW, None)
    assert pruned_at == NOW and said(store, "first") is None
    assert "deleted 1 conversations (2 events) silent for more than 90 days" in caplog.text

    save_conversation(store, "second", timedelta(days=91))
    later = NOW + timedelta(minutes=59)
    assert worker.prune_tracker_if_due(settings, later, pruned_at) == NOW
    assert said(store, "second") == ["question 0", "answer 0"]

    an_hour_later = NOW + timedelta(hours=1)
    assert worker.prune_tracker_if_due(settings, an_hour_later, pruned_at) == an_hour_later
    assert said(store, "second") is None


def test_the_worker_logs_nothing_when_nothing_was_pruned(tmp_path: Path, tracker_db: Path, caplog):
    save_conversation(rasa_store(tracker_db), "recent", timedelta(days=1))
    caplog.set_level(logging.INFO, logger="bot.ops.worker")

    worker.prune_tracker_if_due(worker_settings(tmp_path, tracker_db), NOW, None)

    assert "deleted" not in caplog.text


def test_a_failed_prune_is_logged_and_the_worker_keeps_paging(
    tmp_path: Path, tracker_db: Path, caplog, monkeypatch: pytest.MonkeyPatch
):
    tracker_db.write_bytes(b"not a database " * 100)
    settings = worker_settings(tmp_path, tracker_db, HELPDESK_WORKER_INTERVAL="0.01")
    stop, rounds = threading.Event(), []

    def one_round(settings: Settings, now: datetime) -> worker.RoundReport:
        rounds.append(now)
        if len(rounds) == 3:
            stop.set()
        return worker.RoundReport()

    monkeypatch.setattr(worker, "run_round", one_round)
    worker.run(settings, stop)

    assert len(rounds) == 3
    failures = [r for r in caplog.records if "pruning the tracker store" in r.getMessage()]
    assert len(failures) == 1  # tried once, not every round
    assert str(tracker_db) in failures[0].getMessage()


def test_helpdesk_tracker_prune_prints_the_counts(tmp_path: Path, tracker_db: Path, monkeypatch, capsys):
    now = datetime.now(timezone.utc)  # the command uses the real time, as Rasa does
    store = rasa_store(tracker_db)
    save_conversation(store, "last-year", timedelta(days=365), now=now)
    save_conversation(store, "last-month", timedelta(days=40), now=now)
    save_conversation(store, "yesterday", timedelta(days=1), now=now)
    for name, value in settings_env(
        tmp_path / "var", HELPDESK_HOME=str(tmp_path), RASA_TRACKER_DB=str(tracker_db)
    ).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HELPDESK_NOW", raising=False)
    monkeypatch.delenv("HELPDESK_TRACKER_RETENTION_DAYS", raising=False)

    assert cli.main(["tracker", "prune"]) == 0
    assert capsys.readouterr().out.startswith(
        f"deleted 1 conversations (2 events) from {tracker_db}: no activity for 90 days"
    )

    assert cli.main(["tracker", "prune", "--days", "30"]) == 0
    assert capsys.readouterr().out.startswith("deleted 1 conversations (2 events)")
    assert said(store, "last-month") is None and said(store, "yesterday") == ["question 0", "answer 0"]

    assert cli.main(["tracker", "prune", "--days", "30"]) == 0
    assert capsys.readouterr().out.startswith("deleted 0 conversations (0 events)")


@pytest.mark.parametrize("days", ["0", "-3", "thirty", "1.5"])
def test_helpdesk_tracker_prune_refuses_days_that_are_not_a_positive_whole_number(days: str, capsys):
    assert cli.main(["tracker", "prune", "--days", days]) == 2  # a usage error: nothing is deleted
    assert "--days" in capsys.readouterr().err


def test_the_retention_is_90_days_unless_set(tmp_path: Path):
    assert Settings.from_env({"HELPDESK_HOME": str(tmp_path)}).tracker_retention_days == 90
    settings = Settings.from_env({"HELPDESK_HOME": str(tmp_path), "HELPDESK_TRACKER_RETENTION_DAYS": "30"})
    assert settings.tracker_retention_days == 30


@pytest.mark.parametrize("value", ["0", "-1", "ninety", "1.5", "99999"])
def test_a_bad_retention_names_the_setting_and_the_fix(value: str):
    with pytest.raises(
        ConfigError, match=r"HELPDESK_TRACKER_RETENTION_DAYS=.*whole number from 1 to 36500.*set it to e\.g\. 90"
    ):
        Settings.from_env({"HELPDESK_TRACKER_RETENTION_DAYS": value})
