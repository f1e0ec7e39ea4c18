"""Outgoing notifications (pages, relays, notices) go through an outbox table: a failed delivery is
retried with back-off, a message is queued once per idempotency key, and nothing accepted is lost."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Collection

from core.clock import Clock
from core.db import Database, Table, write_transaction
from core.errors import redact
from core.retry import Backoff

DELIVERY_RETRY = Backoff(first=timedelta(seconds=15), longest=timedelta(minutes=10))
# How long a sender's claim on a message holds: longer than any one delivery takes (Slack's and Rasa's clients
# give up within seconds), so only a sender that died lets it go.
CLAIM_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    key: str  # idempotency key: enqueuing the same key again does nothing
    kind: str  # what the sender does with it: "page", "relay", "notice", ...
    payload: dict
    attempts: int


@dataclass
class DrainReport:
    sent: list[str]
    failed: list[tuple[str, str]]  # (key, error)


def _table(db: Database) -> Table:
    return db["outbox"]


def add(db: Database, key: str, kind: str, payload: dict, now: datetime) -> bool:
    """Queue a message in the caller's open transaction, so it is committed with the change that causes
    it or not at all; unless one with `key` was queued before. True when it was queued now."""
    table = _table(db)
    if next(table.rows_where("key = ?", [key]), None):
        return False
    table.insert(
        {
            "key": key,
            "kind": kind,
            "payload": json.dumps(payload),
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now.isoformat(),
            "last_error": "",
            "created_at": now.isoformat(),
            "sent_at": None,
        }
    )
    return True


def find(db: Database, key: str) -> dict | None:
    """The message queued with `key` (pending or sent), read through `db` (e.g. in the caller's transaction)."""
    return next(_table(db).rows_where("key = ?", [key]), None)


def enqueue(db: Database, key: str, kind: str, payload: dict, now: datetime) -> bool:
    """Queue a message that is a change of its own (a notice), in a transaction of its own."""
    with write_transaction(db):
        return add(db, key, kind, payload, now)


def pending(db: Database, kinds: Collection[str] | None = None) -> list[dict]:
    """Messages not delivered yet, oldest first (only of `kinds`, when given)."""
    where, params = "status = 'pending'", []
    if kinds is not None:
        if not kinds:
            return []
        where += f" and kind in {_placeholders(kinds)}"
        params = list(kinds)
    return list(_table(db).rows_where(where, params, order_by="id"))


def undelivered_since(db: Database, kind: str, before: datetime) -> list[dict]:
    """Messages of `kind` queued before `before` and still not delivered (whether tried and failed, or never
    tried because nothing is delivering them)."""
    return [row for row in pending(db, [kind]) if datetime.fromisoformat(row["created_at"]) < before]


def failing(db: Database, kind: str) -> list[dict]:
    """Messages of `kind` still not delivered whose delivery was tried and failed at least once."""
    return [row for row in pending(db, [kind]) if row["attempts"] > 0]


def _placeholders(values: Collection[str]) -> str:
    """'(?, ?, …)' for an SQL `in` over `values`, which go in as parameters, never as SQL."""
    return "(" + ", ".join("?" * len(values)) + ")"


def queued_keys(db: Database, keys: Collection[str]) -> set[str]:
    """Which of `keys` were ever queued (pending or sent)."""
    if not keys:
        return set()
    table = _table(db)
    return {row["key"] for row in table.rows_where(f"key in {_placeholders(keys)}", list(keys), select="key")}


def claim(db: Database, row: dict, claimant: str, until: datetime, now: datetime) -> bool:
    """Take a pending message (`row`, as read) for sending, unless another sender holds an unexpired claim on it
    or has tried it since it was read: one conditional write, so of several workers (or Slack apps) draining one
    outbox only one sends each message, and a failed message waits out its back-off."""
    with write_transaction(db):
        cursor = db.execute(
            "UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id = ? AND status = 'pending'"
            " AND attempts = ? AND (claimed_until IS NULL OR claimed_until < ?)",
            [claimant, until.isoformat(), row["id"], row["attempts"], now.isoformat()],
        )
        return cursor.rowcount == 1


def take_turn(db: Database, kinds: str, holder: str, until: datetime, now: datetime) -> bool:
    """Become the one sender of `kinds` until `until`, unless another sender has the turn and has not let it go
    or died (its turn expired): one conditional write. One sender at a time keeps a conversation's messages in
    the order they were queued (an engineer's joining before their first words)."""
    with write_transaction(db):
        db.execute(
            "INSERT INTO outbox_senders (kinds, holder, until) VALUES (?, '', '') ON CONFLICT DO NOTHING", [kinds]
        )
        cursor = db.execute(
            "UPDATE outbox_senders SET holder = ?, until = ? WHERE kinds = ? AND (holder = ? OR until < ?)",
            [holder, until.isoformat(), kinds, holder, now.isoformat()],
        )
        return cursor.rowcount == 1


def end_turn(db: Database, kinds: str, holder: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE outbox_senders SET until = '' WHERE kinds = ? AND holder = ?", [kinds, holder])


def drain(
    db: Database,
    send: Callable[[OutboxMessage], None],
    now: datetime,
    on_failure: Callable[[OutboxMessage, str, datetime], None] | None = None,
    kinds: Collection[str] | None = None,
) -> DrainReport:
    """Send every message (of `kinds`) that is due; a failure is kept for a later try and reported to
    `on_failure`. Each process drains the kinds it can deliver; of several such processes one at a time has the
    turn (take_turn), and it claims each message before sending it (claim), so no message has two senders at
    once and messages leave in the order they were queued. A sender that dies while sending leaves its turn and
    its claim to expire (CLAIM_LEASE), and the message is sent again: at least once, never twice but for that."""
    report = DrainReport([], [])
    if not any(datetime.fromisoformat(row["next_attempt_at"]) <= now for row in pending(db, kinds)):
        return report  # nothing due: no turn taken, so an idle sender never takes the write lock
    claimant = f"{socket.gethostname()}:{os.getpid()}"
    group = ",".join(sorted(kinds)) if kinds is not None else "*"
    # Turns and claims run on the real clock: HELPDESK_NOW may hold the helpdesk's clock still, not a dead sender's.
    wall = Clock().now()
    if not take_turn(db, group, claimant, wall + CLAIM_LEASE, wall):
        return report  # another sender is draining these kinds now
    try:
        _send_due(db, send, now, on_failure, kinds, claimant, report)
    finally:
        end_turn(db, group, claimant)
    return report


def _send_due(
    db: Database,
    send: Callable[[OutboxMessage], None],
    now: datetime,
    on_failure: Callable[[OutboxMessage, str, datetime], None] | None,
    kinds: Collection[str] | None,
    claimant: str,
    report: DrainReport,
) -> None:
    for row in pending(db, kinds):
        if datetime.fromisoformat(row["next_attempt_at"]) > now:
            continue
        wall = Clock().now()
        if not claim(db, row, claimant, wall + CLAIM_LEASE, wall):
            continue
        message = OutboxMessage(row["id"], row["key"], row["kind"], json.loads(row["payload"]), row["attempts"])
        try:
            send(message)
        except Exception as exc:  # any delivery failure: keep the message, try again later
            attempts = row["attempts"] + 1
            error = redact(f"{type(exc).__name__}: {exc}")[:500]
            with write_transaction(db):
                _table(db).update(
                    row["id"],
                    {
                        "attempts": attempts,
                        "last_error": error,
                        "next_attempt_at": (now + DELIVERY_RETRY.wait(attempts)).isoformat(),
                        "claimed_until": None,
                    },
                )
            report.failed.append((message.key, error))
            if on_failure:
                on_failure(message, error, now)
            continue
        with write_transaction(db):
            _table(db).update(
                row["id"],
                {"status": "sent", "attempts": row["attempts"] + 1, "sent_at": now.isoformat(), "claimed_until": None},
            )
        report.sent.append(message.key)
