"""The state database's schema as named migrations, applied in order (the way simonw/llm keeps its own).

Each migration runs once, in the transaction that records its name in `_migrations`; `open_state_db` applies
those a file has not had yet, so every process finds the tables it needs. Add a change as a new function at
the end of the list; never edit one that has shipped. The statements are plain SQL that Postgres also takes.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import sqlite_utils

from core.db import connect, write_transaction

Migration = Callable[[sqlite_utils.Database], None]
MIGRATIONS: list[Migration] = []
APPLIED = "_migrations"


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


def _create(db: sqlite_utils.Database, name: str, columns: dict, pk: str = "id", unique: tuple[str, ...] = ()) -> None:
    """Create `name`, or give a table made before migrations existed the columns it lacks."""
    table = db[name]
    if table.exists():
        for column in [c for c in columns if c not in table.columns_dict]:
            table.add_column(column, columns[column])
    else:
        table.create(columns, pk=pk)
    for column in unique:
        table.create_index([column], unique=True, if_not_exists=True)


@migration
def m001_initial(db: sqlite_utils.Database) -> None:
    """Every table as it stood when migrations replaced creating tables on first use."""
    _create(
        db,
        "outbox",
        {
            "id": int,
            "key": str,
            "kind": str,
            "payload": str,
            "status": str,
            "attempts": int,
            "next_attempt_at": str,
            "last_error": str,
            "created_at": str,
            "sent_at": str,
        },
        unique=("key",),
    )
    _create(
        db,
        "escalations",
        {
            "id": int,
            "ref": str,
            "status": str,
            "priority": str,
            "conversation_id": str,
            "contact": str,
            "summary": str,
            "transcript": str,
            "step": int,
            "created_at": str,
            "paged_at": str,
            "acknowledged_at": str,
            "acknowledged_by": str,
            "resolved_at": str,
            "resolved_by": str,
            "slack_channel": str,
            "slack_ts": str,
        },
    )
    _create(db, "escalation_events", {"id": int, "ref": str, "at": str, "what": str, "by": str, "detail": str})
    _create(
        db,
        "oncall_changes",
        {"id": int, "step": int, "name": str, "slack_user": str, "phone": str, "by": str, "at": str},
    )
    _create(
        db,
        "status_events",
        {"id": int, "phase": str, "state": str, "until": str, "start": str, "note": str, "by": str, "at": str},
    )
    _create(
        db,
        "customer_contacts",
        {"id": int, "company": str, "name": str, "phone": str, "email": str, "conversation_id": str, "saved_at": str},
    )
    _create(db, "slack_events_seen", {"event_id": str, "seen_at": str}, pk="event_id")
    _create(db, "slack_home_viewers", {"user": str}, pk="user")
    _create(db, "slack_teach_offers", {"key": str, "text": str, "target": str, "shown_at": str}, pk="key")


@migration
def m002_outbox_claims(db: sqlite_utils.Database) -> None:
    """Who is sending an outbox message, and until when (core/outbox.py: claim), so several workers share it."""
    _create(db, "outbox", {"claimed_by": str, "claimed_until": str})


@migration
def m003_outbox_senders(db: sqlite_utils.Database) -> None:
    """Which sender has its turn at a group of kinds, and until when (core/outbox.py: take_turn)."""
    _create(db, "outbox_senders", {"kinds": str, "holder": str, "until": str}, pk="kinds")


def applied(db: sqlite_utils.Database) -> list[str]:
    """Names of the migrations this database has had, in the order they ran."""
    if not db[APPLIED].exists():
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {APPLIED} ORDER BY id")]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations `db` has not had, with their records, in one transaction; the names applied."""
    done = set(applied(db))
    if all(m.__name__ in done for m in MIGRATIONS):
        return []
    ran = []
    with write_transaction(db):  # the write lock first: another process may be migrating the same file
        db.execute(f"CREATE TABLE IF NOT EXISTS {APPLIED} (id INTEGER PRIMARY KEY, name TEXT UNIQUE, applied_at TEXT)")
        done = set(applied(db))
        for step in MIGRATIONS:
            if step.__name__ not in done:
                step(db)
                db.execute(f"INSERT INTO {APPLIED} (name, applied_at) VALUES (?, datetime('now'))", [step.__name__])
                ran.append(step.__name__)
    return ran


def open_state_db(path: Path) -> sqlite_utils.Database:
    """The state database at `path` (created if needed), its schema up to date."""
    db = connect(path)
    migrate(db)
    return db


@contextmanager
def state_database(path: Path) -> Iterator[sqlite_utils.Database]:
    """open_state_db for the length of a request or a command, closed after it. Domain functions take the
    database from their caller, so one transaction (write_transaction) can span several of them."""
    db = open_state_db(path)
    try:
        yield db
    finally:
        db.close()
