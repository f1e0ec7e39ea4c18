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
    acknowledged_by: str = ""
    slack_channel: str = ""  # where the page was posted: its thread is the live handoff's
    slack_ts: str = ""


def _tables(db: sqlite_utils.Database) -> tuple[sqlite_utils.db.Table, sqlite_utils.db.Table]:
    records = ensure_table(db, "escalations", {
        "id": int, "ref": str, "status": str, "priority": str, "conversation_id": str, "contact": str,
        "summary": str, "transcript": str, "step": int, "created_at": str, "paged_at": str,
        "acknowledged_at": str, "acknowledged_by": str, "resolved_at": str, "resolved_by": str,
        "slack_channel": str, "slack_ts": str})
    events = ensure_table(db, "escalation_events",
                          {"id": int, "ref": str, "at": str, "what": str, "by": str, "detail": str})
    return records, events


def _record(row: dict) -> Escalation:
    return Escalation(row["ref"], row["status"], row["priority"], row["conversation_id"], json.loads(row["contact"]),
                      row["summary"], json.loads(row["transcript"]), row["step"],
                      datetime.fromisoformat(row["created_at"]),
                      datetime.fromisoformat(row["paged_at"]) if row["paged_at"] else None,
                      row["acknowledged_by"] or "", row["slack_channel"] or "", row["slack_ts"] or "")


def _update(records: sqlite_utils.db.Table, ref: str, values: dict) -> None:
    records.update(next(records.rows_where("ref = ?", [ref]))["id"], values)


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
        _update(records, current.ref, {"status": status, f"{status}_at": now.isoformat(), f"{status}_by": by.strip()})
        _log(events, current.ref, now, status, by=by.strip())
    # The customer's chat learns of it: an engineer joins the conversation, or hands it back to the bot.
    outbox.enqueue(state_db, f"handoff:{current.ref}:{status}", "handoff", {
        "ref": current.ref, "conversation_id": current.conversation_id, "status": status, "by": by.strip()}, now)
    return get(state_db, current.ref)


def acknowledge(state_db: Path, ref: str, by: str, now: datetime) -> Escalation:
    return _change(state_db, ref, "acknowledged", by, now)


def resolve(state_db: Path, ref: str, by: str, now: datetime) -> Escalation:
    return _change(state_db, ref, "resolved", by, now)


def set_slack_thread(state_db: Path, ref: str, channel: str, ts: str) -> None:
    """Remember the Slack message of the first page: replies in its thread reach the customer."""
    case = get(state_db, ref)
    db = connect(state_db)
    with write_transaction(db):
        records, _ = _tables(db)
        _update(records, case.ref, {"slack_channel": channel, "slack_ts": ts})


def find_by_thread(state_db: Path, channel: str, ts: str) -> Escalation | None:
    records, _ = _tables(connect(state_db))
    row = next(records.rows_where("slack_channel = ? and slack_ts = ?", [channel, ts]), None)
    return _record(row) if row else None


def in_handoff(state_db: Path, conversation_id: str) -> Escalation | None:
    """The escalation whose engineer is talking with this conversation now, if any."""
    records, _ = _tables(connect(state_db))
    row = next(records.rows_where("conversation_id = ? and status = 'acknowledged'", [conversation_id],
                                  order_by="id desc"), None)
    return _record(row) if row else None


def relay_from_customer(state_db: Path, conversation_id: str, text: str, message_id: str, now: datetime) -> Escalation:
    """Queue what the customer wrote for the engineer's Slack thread (once per message id)."""
    case = in_handoff(state_db, conversation_id)
    if case is None:
        raise EscalationError("no engineer is talking with this conversation now.")
    if outbox.enqueue(state_db, f"relay:customer:{message_id}", "relay_to_engineer", {"ref": case.ref, "text": text}, now):
        record_event(state_db, case.ref, "customer wrote", text, now)
    return case


def relay_from_engineer(state_db: Path, ref: str, text: str, by: str, message_id: str, now: datetime) -> Escalation:
    """Queue the engineer's reply for the customer's chat (once per message id)."""
    case = get(state_db, ref)
    if case.status != "acknowledged":
        raise EscalationError(f"{case.ref} is {case.status}; acknowledge it before replying to the customer.")
    if not text.strip():
        raise EscalationError("the reply is empty; type what the customer should read.")
    if outbox.enqueue(state_db, f"relay:engineer:{message_id}", "relay_to_customer",
                      {"ref": case.ref, "conversation_id": case.conversation_id, "text": text.strip(), "by": by}, now):
        record_event(state_db, case.ref, "engineer wrote", text.strip(), now, by=by)
    return case


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
            _update(records, escalation.ref, {"step": step, "paged_at": now.isoformat()})
            _log(events, escalation.ref, now, "paged", detail=f"{rota.steps[step].role} (no acknowledgement in "
                                                              f"{int(rota.ack_timeout.total_seconds() // 60)} min)")
        _page(state_db, escalation, rota, step, now)
        moved.append(escalation.ref)
    return moved


def record_event(state_db: Path, ref: str, what: str, detail: str, now: datetime, by: str = "") -> None:
    """Add a step to an escalation's history (a delivery, a relay)."""
    db = connect(state_db)
    with write_transaction(db):
        _, events = _tables(db)
        _log(events, ref, now, what, by=by, detail=detail)


def record_delivery_failure(state_db: Path, message: outbox.OutboxMessage, error: str, now: datetime) -> None:
    """Outbox hook: a message about an escalation that could not be delivered shows in its history."""
    ref = message.payload.get("ref")
    if ref:
        record_event(state_db, ref, "delivery failed", f"{message.kind}, attempt {message.attempts + 1}: {error}", now)
