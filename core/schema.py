"""The state database's schema as named migrations, applied in order (the way simonw/llm keeps its own).

Each migration runs once, in the transaction that records its name in `_migrations`; `open_state_db` applies
those a database has not had yet, so every process finds the tables it needs. Add a change as a new function at
the end of the list; never edit one that has shipped. The same migrations run on a SQLite file and on Postgres
(HELPDESK_DATABASE_URL): they use the table API both offer (core/postgres.py), or plain SQL both take.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Callable, Iterator

from core.db import Database, Location, open_database, write_transaction

Migration = Callable[[Database], None]
MIGRATIONS: list[Migration] = []
APPLIED = "_migrations"


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


def _create(db: Database, name: str, columns: dict, pk: str = "id", unique: tuple[str, ...] = ()) -> None:
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
def m001_initial(db: Database) -> None:
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
def m002_outbox_claims(db: Database) -> None:
    """Who is sending an outbox message, and until when (core/outbox.py: claim), so several workers share it."""
    _create(db, "outbox", {"claimed_by": str, "claimed_until": str})


@migration
def m003_outbox_senders(db: Database) -> None:
    """Which sender has its turn at a group of kinds, and until when (core/outbox.py: take_turn)."""
    _create(db, "outbox_senders", {"kinds": str, "holder": str, "until": str}, pk="kinds")


@migration
def m004_paging_chain(db: Database) -> None:
    """Where an escalation's paging chain is (bot/escalation/chain.py): its round, when it ran out, when the
    acknowledger was last reminded."""
    _create(db, "escalations", {"round": int, "chain_ended_at": str, "reminded_at": str})


@migration
def m005_rota_changes_by_rota(db: Database) -> None:
    """Which rota a staff change to a step was made to (data/oncall.yml can have several, by time of day)."""
    _create(db, "oncall_changes", {"rota": str})


@migration
def m006_escalation_snooze(db: Database) -> None:
    """Until when staff have held an unacknowledged case's next page (bot/escalation/escalations.py: snooze)."""
    _create(db, "escalations", {"snoozed_until": str})


@migration
def m007_customer_updates(db: Database) -> None:
    """When the customer of a waiting case was last told where it stands (bot/escalation/chain.py)."""
    _create(db, "escalations", {"customer_told_at": str})


def applied(db: Database) -> list[str]:
    """Names of the migrations this database has had, in the order they ran."""
    if not db[APPLIED].exists():
        return []
    return [row[0] for row in db.execute(f"SELECT name FROM {APPLIED} ORDER BY id")]


def migrate(db: Database) -> list[str]:
    """Apply the migrations `db` has not had, with their records, in one transaction; the names applied."""
    done = set(applied(db))
    if all(m.__name__ in done for m in MIGRATIONS):
        return []
    ran = []
    with write_transaction(db):  # the write lock first: another process may be migrating the same file
        _create(db, APPLIED, {"id": int, "name": str, "applied_at": str}, unique=("name",))
        done = set(applied(db))
        for step in MIGRATIONS:
            if step.__name__ not in done:
                step(db)
                at = datetime.now(timezone.utc).isoformat()  # wall-clock: when the schema really changed
                db.execute(f"INSERT INTO {APPLIED} (name, applied_at) VALUES (?, ?)", [step.__name__, at])
                ran.append(step.__name__)
    return ran


def open_state_db(location: Location) -> Database:
    """The state database at `location` (a SQLite file, created if needed, or a postgresql:// URL), its schema
    up to date."""
    db = open_database(location)
    try:
        migrate(db)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def state_database(location: Location) -> Iterator[Database]:
    """open_state_db for the length of a request or a command, closed after it. Domain functions take the
    database from their caller, so one transaction (write_transaction) can span several of them."""
    db = open_state_db(location)
    try:
        yield db
    finally:
        db.close()
