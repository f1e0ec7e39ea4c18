"""Escalations: a tracked handoff of an urgent case to the on-call engineer.

A record (ESC-0042) holds the contact, the transcript and every step in its history. The policy
pages the rota's first step through the outbox, and the next step when a page is not acknowledged
in time; acknowledging or resolving stops it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlite_utils

from bot import outbox
from bot.db import connect, ensure_table, write_transaction
from bot.errors import HelpdeskError
from bot.oncall import Rota

STATUSES = ("triggered", "acknowledged", "resolved")


class EscalationError(HelpdeskError):
    """An escalation that does not exist, or a change its status does not allow."""


@dataclass(frozen=True)
class Escalation:
    ref: str
    status: str
    priority: str
    conversation_id: str
    contact: dict
    summary: str
    transcript: list
    step: int  # index into the rota of the last step paged
    created_at: datetime
    paged_at: datetime | None


def _tables(db: sqlite_utils.Database) -> tuple[sqlite_utils.db.Table, sqlite_utils.db.Table]:
    records = ensure_table(db, "escalations", {
        "id": int, "ref": str, "status": str, "priority": str, "conversation_id": str, "contact": str,
        "summary": str, "transcript": str, "step": int, "created_at": str, "paged_at": str,
        "acknowledged_at": str, "acknowledged_by": str, "resolved_at": str, "resolved_by": str})
    events = ensure_table(db, "escalation_events",
                          {"id": int, "ref": str, "at": str, "what": str, "by": str, "detail": str})
    return records, events


def _record(row: dict) -> Escalation:
    return Escalation(row["ref"], row["status"], row["priority"], row["conversation_id"], json.loads(row["contact"]),
                      row["summary"], json.loads(row["transcript"]), row["step"],
                      datetime.fromisoformat(row["created_at"]),
                      datetime.fromisoformat(row["paged_at"]) if row["paged_at"] else None)


def _log(events: sqlite_utils.db.Table, ref: str, now: datetime, what: str, by: str = "", detail: str = "") -> None:
    events.insert({"ref": ref, "at": now.isoformat(), "what": what, "by": by, "detail": detail})


def _page(state_db: Path, escalation: Escalation, rota: Rota, step: int, now: datetime) -> None:
    person = rota.steps[step]
    outbox.enqueue(state_db, f"page:{escalation.ref}:{step}", "page", {
        "ref": escalation.ref, "step": step, "role": person.role, "slack_user": person.slack_user,
        "phone": person.phone, "summary": escalation.summary, "contact": escalation.contact,
        "priority": escalation.priority, "conversation_id": escalation.conversation_id,
    }, now)


def create(state_db: Path, conversation_id: str, contact: dict, summary: str, transcript: list,
           rota: Rota, now: datetime, priority: str = "high") -> Escalation:
    """Record a new escalation and page the first step of the rota."""
    db = connect(state_db)
    with write_transaction(db):
        records, events = _tables(db)
        row_id = records.insert({
            "ref": "", "status": "triggered", "priority": priority, "conversation_id": conversation_id,
            "contact": json.dumps(contact), "summary": summary, "transcript": json.dumps(transcript), "step": 0,
            "created_at": now.isoformat(), "paged_at": now.isoformat()}).last_pk
        ref = f"ESC-{row_id:04d}"
        records.update(row_id, {"ref": ref})
        _log(events, ref, now, "triggered", detail=summary)
        _log(events, ref, now, "paged", detail=rota.steps[0].role)
    escalation = get(state_db, ref)
    _page(state_db, escalation, rota, 0, now)
    return escalation


def get(state_db: Path, ref: str) -> Escalation:
    records, _ = _tables(connect(state_db))
    row = next(records.rows_where("ref = ?", [ref.strip().upper()]), None)
    if row is None:
        raise EscalationError(f"there is no escalation {ref!r}; `helpdesk escalations` lists them.")
    return _record(row)


def listing(state_db: Path, open_only: bool = False) -> list[Escalation]:
    records, _ = _tables(connect(state_db))
    rows = list(records.rows_where("status != 'resolved'" if open_only else None, order_by="id"))
    return [_record(row) for row in rows]


def history(state_db: Path, ref: str) -> list[dict]:
    _, events = _tables(connect(state_db))
    return list(events.rows_where("ref = ?", [ref], order_by="id"))


def _change(state_db: Path, ref: str, status: str, by: str, now: datetime) -> Escalation:
    current = get(state_db, ref)
    allowed = {"acknowledged": {"triggered"}, "resolved": {"triggered", "acknowledged"}}[status]
    if current.status not in allowed:
        raise EscalationError(f"{current.ref} is {current.status}; it cannot be {status} now.")
    if not by.strip():
        raise EscalationError(f"say who {status} {current.ref} (--by NAME).")
    db = connect(state_db)
    with write_transaction(db):
        records, events = _tables(db)
        row = next(records.rows_where("ref = ?", [current.ref]))
        records.update(row["id"], {"status": status, f"{status}_at": now.isoformat(), f"{status}_by": by.strip()})
        _log(events, current.ref, now, status, by=by.strip())
    return get(state_db, current.ref)


def acknowledge(state_db: Path, ref: str, by: str, now: datetime) -> Escalation:
    return _change(state_db, ref, "acknowledged", by, now)


def resolve(state_db: Path, ref: str, by: str, now: datetime) -> Escalation:
    return _change(state_db, ref, "resolved", by, now)


def escalate_unanswered(state_db: Path, rota: Rota, now: datetime) -> list[str]:
    """Page the next step for every page not acknowledged within the rota's timeout; returns the refs."""
    moved = []
    for escalation in listing(state_db, open_only=True):
        if escalation.status != "triggered" or escalation.paged_at is None:
            continue
        if now - escalation.paged_at < rota.ack_timeout or escalation.step + 1 >= len(rota.steps):
            continue
        step = escalation.step + 1
        db = connect(state_db)
        with write_transaction(db):
            records, events = _tables(db)
            row = next(records.rows_where("ref = ?", [escalation.ref]))
            records.update(row["id"], {"step": step, "paged_at": now.isoformat()})
            _log(events, escalation.ref, now, "paged", detail=f"{rota.steps[step].role} (no acknowledgement in "
                                                              f"{int(rota.ack_timeout.total_seconds() // 60)} min)")
        _page(state_db, escalation, rota, step, now)
        moved.append(escalation.ref)
    return moved


def record_delivery_failure(state_db: Path, message: outbox.OutboxMessage, error: str, now: datetime) -> None:
    """Outbox hook: a page that could not be delivered shows in its escalation's history."""
    ref = message.payload.get("ref")
    if ref:
        db = connect(state_db)
        with write_transaction(db):
            _, events = _tables(db)
            _log(events, ref, now, "delivery failed", detail=f"attempt {message.attempts + 1}: {error}")
