"""The state database's schema: named migrations applied once, in order (core/schema.py)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from core.db import Location, connect, open_database
from core.errors import StorageError
from core.schema import MIGRATIONS, applied, migrate, open_state_db


def test_a_new_database_gets_every_migration_once(state_location: Location):
    db = open_state_db(state_location)
    assert applied(db) == [m.__name__ for m in MIGRATIONS]
    assert {"outbox", "escalations", "escalation_events", "status_events"} <= set(db.table_names())
    assert migrate(open_state_db(state_location)) == []  # opening again changes nothing


def test_a_database_from_before_migrations_keeps_its_rows_and_gets_missing_columns(tmp_path: Path):
    old = connect(tmp_path / "state.db")
    old["escalations"].insert({"id": 1, "ref": "ESC-0001", "status": "triggered"}, pk="id")  # columns of long ago
    db = open_state_db(tmp_path / "state.db")
    assert db["escalations"].get(1)["ref"] == "ESC-0001"
    assert {"slack_channel", "slack_ts", "resolved_by"} <= set(db["escalations"].columns_dict)


def test_the_outbox_refuses_a_second_message_with_the_same_key(state_location: Location):
    db = open_state_db(state_location)
    db.execute("INSERT INTO outbox (key, kind, status) VALUES ('page:ESC-0001:0', 'page', 'pending')")
    with pytest.raises(StorageError, match="(?i)unique"):
        db.execute("INSERT INTO outbox (key, kind, status) VALUES ('page:ESC-0001:0', 'page', 'pending')")
    assert db["outbox"].count == 1


def test_migration_names_are_unique_and_ordered():
    names = [m.__name__ for m in MIGRATIONS]
    assert len(set(names)) == len(names) and names == sorted(names)


def test_two_processes_opening_a_new_database_at_once_migrate_it_once(state_location: Location):
    with multiprocessing.Pool(2) as pool:
        ran = pool.map(_migrations_run, [state_location, state_location])
    assert sorted(ran, key=len) == [[], [m.__name__ for m in MIGRATIONS]]


def _migrations_run(location: Location) -> list[str]:
    db = open_database(location)
    try:
        return migrate(db)
    finally:
        db.close()
