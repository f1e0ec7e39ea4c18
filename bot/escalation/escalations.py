"""Escalations: a tracked handoff of an urgent case to the on-call engineer.

A record (ESC-0042) holds the contact, the transcript and every step in its history. A new case pages
the rota's first step through the outbox; bot/escalation/chain.py pages the next ones when nobody
acknowledges; acknowledging or resolving stops it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.escalation.oncall import Rota
from core import outbox
from core.db import Database, Table, write_transaction
from core.errors import HelpdeskError

STATUSES = ("triggered", "acknowledged", "resolved")
OPEN = ("triggered", "acknowledged")


class EscalationError(HelpdeskError):
    """An escalation that does not exist, or a change its status does not allow."""


class EscalationLimit(EscalationError):
    """Too many escalations from one conversation, or from everyone at once; nothing was recorded."""


@dataclass(frozen=True)
class Limits:
    """How many requests for the on-call engineer are taken: a runaway script must not page the rota 31 times."""

    per_conversation: int = 3  # new cases or additions, per conversation per hour
    overall: int = 30  # new cases from everyone in ten minutes
    conversation_window: timedelta = timedelta(hours=1)
    overall_window: timedelta = timedelta(minutes=10)


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
    round: int = 0  # how many times the whole rota has been paged before this pass (bot/escalation/chain.py)
    acknowledged_at: datetime | None = None
    chain_ended_at: datetime | None = None  # the last round went unanswered: the support channel was told
    reminded_at: datetime | None = None  # the acknowledger was last re-paged about the open case
    snoozed_until: datetime | None = None  # staff held the next page until then
    resolved_by: str = ""  # "customer" when the customer cancelled the case or ended the chat
    customer_told_at: datetime | None = None  # the customer last heard where their waiting case stands


def _tables(db: Database) -> tuple[Table, Table]:
    records, events = db["escalations"], db["escalation_events"]
    return records, events


def _record(row: dict) -> Escalation:
    return Escalation(
        row["ref"],
        row["status"],
        row["priority"],
        row["conversation_id"],
        json.loads(row["contact"]),
        row["summary"],
        json.loads(row["transcript"]),
        row["step"],
        datetime.fromisoformat(row["created_at"]),
        datetime.fromisoformat(row["paged_at"]) if row["paged_at"] else None,
        row["acknowledged_by"] or "",
        row["slack_channel"] or "",
        row["slack_ts"] or "",
        row.get("round") or 0,
        _instant(row.get("acknowledged_at")),
        _instant(row.get("chain_ended_at")),
        _instant(row.get("reminded_at")),
        _instant(row.get("snoozed_until")),
        row.get("resolved_by") or "",
        _instant(row.get("customer_told_at")),
    )


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _update(records: Table, ref: str, values: dict) -> None:
    records.update(next(records.rows_where("ref = ?", [ref]))["id"], values)


def _log(events: Table, ref: str, now: datetime, what: str, by: str = "", detail: str = "") -> None:
    events.insert({"ref": ref, "at": now.isoformat(), "what": what, "by": by, "detail": detail})


def page_key(ref: str, step: int, round_: int = 0) -> str:
    """The outbox key of a page (PagerDuty's dedup_key): the case, the round, the step, so a retry pages nobody
    twice. Pages of the first round keep the key they had before rounds existed."""
    return f"page:{ref}:{step}" if round_ == 0 else f"page:{ref}:{round_}:{step}"


def queue_page(db: Database, escalation: Escalation, rota: Rota, step: int, now: datetime, round_: int = 0) -> None:
    """Queue the page of `step` (in `round_`) in the caller's transaction."""
    person = rota.steps[step]
    outbox.add(
        db,
        page_key(escalation.ref, step, round_),
        "page",
        {
            "ref": escalation.ref,
            "step": step,
            "round": round_,
            "role": person.role,
            "name": person.name,
            "slack_user": person.slack_user,
            "phone": person.phone,
            "summary": escalation.summary,
            "contact": escalation.contact,
            "priority": escalation.priority,
            "conversation_id": escalation.conversation_id,
        },
        now,
    )


def tell_customer(db: Database, case: Escalation, update: str, detail: str, now: datetime, **values: str) -> None:
    """Queue an update for the customer's chat about their waiting case (`update` names the reply:
    actions/escalation.py ActionCaseUpdate) and record it in the case's history, in the caller's transaction."""
    records, events = _tables(db)
    event_id = events.insert(
        {"ref": case.ref, "at": now.isoformat(), "what": "customer updated", "by": "", "detail": detail}
    ).last_pk
    _update(records, case.ref, {"customer_told_at": now.isoformat()})
    payload = {"ref": case.ref, "conversation_id": case.conversation_id, "update": update, **values}
    outbox.add(db, f"case_update:{case.ref}:{event_id}", "case_update", payload, now)


def tell_customer_paging(
    db: Database, case: Escalation, update: str, detail: str, now: datetime, **values: str
) -> None:
    """tell_customer for an update that says someone is being paged; while pages are not getting through
    (pages_flowing), the customer is told to ring instead ("paging_down"), never that someone is paged."""
    if pages_flowing(db, now):
        tell_customer(db, case, update, detail, now, **values)
    else:
        tell_customer(db, case, "paging_down", "pages are not getting through", now)


def customer_update_pending(db: Database, ref: str) -> bool:
    """Whether an update about `ref` is still waiting to reach the customer's chat."""
    return any(json.loads(m["payload"]).get("ref") == ref for m in outbox.pending(db, ["case_update"]))


def record_chain_step(db: Database, ref: str, values: dict, what: str, detail: str, now: datetime) -> None:
    """Move a case's paging chain (its step, round, reminders) and say so in its history, in one transaction."""
    with write_transaction(db):
        records, events = _tables(db)
        _update(records, ref, values)
        _log(events, ref, now, what, detail=detail)


@dataclass(frozen=True)
class Filed:
    """What a request for the engineer became: a new case, or an addition to the conversation's open one."""

    case: Escalation
    new: bool


def _check_limits(db: Database, conversation_id: str, now: datetime, limits: Limits) -> None:
    since_conversation = (now - limits.conversation_window).isoformat()
    mine = db.execute(
        "select count(*) from escalation_events e join escalations r on r.ref = e.ref "
        "where r.conversation_id = ? and e.what in ('triggered', 'customer added') and e.at > ?",
        [conversation_id, since_conversation],
    ).fetchone()[0]
    if mine >= limits.per_conversation:
        raise EscalationLimit(
            f"this conversation has asked for the on-call engineer {mine} times in the last "
            f"{int(limits.conversation_window.total_seconds() // 60)} minutes."
        )
    everyone = db.execute(
        "select count(*) from escalations where created_at > ?", [(now - limits.overall_window).isoformat()]
    ).fetchone()[0]
    if everyone >= limits.overall:
        raise EscalationLimit(
            f"{everyone} cases were opened in the last {int(limits.overall_window.total_seconds() // 60)} minutes."
        )


def create(
    db: Database,
    conversation_id: str,
    contact: dict,
    summary: str,
    transcript: list,
    rota: Rota,
    now: datetime,
    priority: str = "high",
    limits: Limits = Limits(),
    customer_told_not_paged: bool = False,
) -> Filed:
    """Record a new escalation and queue the page of the rota's first step, in one transaction; or, when this
    conversation already has an open case, add the new request to it (the engineer's thread is told).
    `customer_told_not_paged`: the reply tells the customer that nobody could be paged automatically (paging is
    not healthy), so the history says so and the worker does not tell them again (tell_customers_of_failed_pages).
    Raises EscalationLimit, recording nothing, past the limits."""
    with write_transaction(db):
        records, events = _tables(db)
        _check_limits(db, conversation_id, now, limits)
        row = next(
            records.rows_where(
                "conversation_id = ? and status in ('triggered', 'acknowledged')", [conversation_id], order_by="id desc"
            ),
            None,
        )
        if row is not None:
            case = _record(row)
            event_id = events.insert(
                {"ref": case.ref, "at": now.isoformat(), "what": "customer added", "by": "", "detail": summary}
            ).last_pk
            outbox.add(
                db,
                f"update:{case.ref}:{event_id}",
                "relay_to_engineer",
                {"ref": case.ref, "text": f"(asked for the on-call engineer again) {summary}"},
                now,
            )
            if customer_told_not_paged:
                _log(events, case.ref, now, TOLD_PAGE_FAILED, detail=TOLD_AT_ONCE)
            return Filed(case, new=False)
        row_id = records.insert(
            {
                "ref": "",
                "status": "triggered",
                "priority": priority,
                "conversation_id": conversation_id,
                "contact": json.dumps(contact),
                "summary": summary,
                "transcript": json.dumps(transcript),
                "step": 0,
                "created_at": now.isoformat(),
                "paged_at": now.isoformat(),
            }
        ).last_pk
        ref = f"ESC-{row_id:04d}"
        records.update(row_id, {"ref": ref})
        _log(events, ref, now, "triggered", detail=summary)
        _log(events, ref, now, "paged", detail=rota.steps[0].role)
        if customer_told_not_paged:
            _log(events, ref, now, TOLD_PAGE_FAILED, detail=TOLD_AT_ONCE)
        case = _record(records.get(row_id))
        queue_page(db, case, rota, 0, now)
    return Filed(case, new=True)


PAGE_DELIVERY_GRACE = timedelta(minutes=2)  # a page still undelivered after this means paging is failing
TOLD_PAGE_FAILED = "customer told page failed"  # history: the customer knows to ring, nobody was paged for them
TOLD_AT_ONCE = "in the reply that gave the reference: paging was not working"


def paging_healthy(db: Database, slack_enabled: bool, now: datetime) -> bool:
    """Whether a page queued now can be expected to reach the on-call engineer: pages go out through Slack, so
    not when Slack is off, nor while an earlier page is undelivered after a failed attempt (from the first
    failure, not only after the grace), nor while one is still undelivered PAGE_DELIVERY_GRACE after it was
    queued (nothing is delivering them)."""
    return slack_enabled and pages_flowing(db, now)


def pages_flowing(db: Database, now: datetime) -> bool:
    """Whether pages are reaching Slack: none failing, none undelivered PAGE_DELIVERY_GRACE after it was queued."""
    return not outbox.failing(db, "page") and not outbox.undelivered_since(db, "page", now - PAGE_DELIVERY_GRACE)


def _page_failed_untold(db: Database, case: Escalation, now: datetime) -> bool:
    """Whether the customer of `case` must now be told that their page did not go out: the case is open and
    unacknowledged, its first page has not reached Slack PAGE_DELIVERY_GRACE after it was queued, and they have
    not been told (by the reply that gave the reference, or by an earlier round)."""
    if case.status != "triggered" or case.slack_ts:
        return False
    page = outbox.find(db, f"page:{case.ref}:0")
    if page is None or page["status"] != "pending":
        return False
    if now - datetime.fromisoformat(page["created_at"]) < PAGE_DELIVERY_GRACE:
        return False
    _, events = _tables(db)
    return next(events.rows_where("ref = ? and what = ?", [case.ref, TOLD_PAGE_FAILED]), None) is None


def tell_customers_of_failed_pages(db: Database, now: datetime) -> list[str]:
    """For every case whose customer must now be told that their page did not go out (_page_failed_untold):
    record it in the case's history and queue the message for their chat (kind "page_failed", once per case),
    in one transaction. Returns the refs."""
    told = []
    for case in listing(db, open_only=True):
        if not _page_failed_untold(db, case, now):
            continue
        with write_transaction(db):
            current = get(db, case.ref)
            if not _page_failed_untold(db, current, now):
                continue  # acknowledged, delivered or told since the listing was read
            _log(
                _tables(db)[1],
                current.ref,
                now,
                TOLD_PAGE_FAILED,
                detail=f"the first page was not delivered within {int(PAGE_DELIVERY_GRACE.total_seconds() // 60)} min",
            )
            outbox.add(
                db,
                f"page_failed:{current.ref}",
                "page_failed",
                {"ref": current.ref, "conversation_id": current.conversation_id},
                now,
            )
        told.append(case.ref)
    return told


def get(db: Database, ref: str) -> Escalation:
    """The escalation `ref`."""
    records, _ = _tables(db)
    row = next(records.rows_where("ref = ?", [ref.strip().upper()]), None)
    if row is None:
        raise EscalationError(f"there is no escalation {ref!r}; `helpdesk escalations` lists them.")
    return _record(row)


def listing(db: Database, open_only: bool = False) -> list[Escalation]:
    records, _ = _tables(db)
    rows = list(records.rows_where("status != 'resolved'" if open_only else None, order_by="id"))
    return [_record(row) for row in rows]


def history(db: Database, ref: str) -> list[dict]:
    _, events = _tables(db)
    return list(events.rows_where("ref = ?", [ref], order_by="id"))


def _change(db: Database, ref: str, status: str, by: str, now: datetime) -> Escalation:
    if not by.strip():
        raise EscalationError(f"say who {status} {ref} (--by NAME).")
    allowed = {"acknowledged": {"triggered"}, "resolved": {"triggered", "acknowledged"}}[status]
    with write_transaction(db):  # read and change under the write lock: two clicks cannot both win
        records, events = _tables(db)
        current = get(db, ref)
        if current.status not in allowed:
            raise EscalationError(f"{current.ref} is {current.status}; it cannot be {status} now.")
        _update(records, current.ref, {"status": status, f"{status}_at": now.isoformat(), f"{status}_by": by.strip()})
        _log(events, current.ref, now, status, by=by.strip())
        # The customer's chat learns of it: an engineer joins the conversation, or hands it back to the bot.
        outbox.add(
            db,
            f"handoff:{current.ref}:{status}",
            "handoff",
            {"ref": current.ref, "conversation_id": current.conversation_id, "status": status, "by": by.strip()},
            now,
        )
    return get(db, current.ref)


SNOOZE = timedelta(minutes=15)
SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,20}")  # it goes into a page's <@...> mention


def snooze(db: Database, ref: str, by: str, now: datetime, length: timedelta = SNOOZE) -> Escalation:
    """Hold an unacknowledged case's next page until `now + length` (someone is looking; nobody else is paged)."""
    if not by.strip():
        raise EscalationError(f"say who snoozes {ref} (--by NAME).")
    with write_transaction(db):
        current = get(db, ref)
        if current.status != "triggered" or current.chain_ended_at:
            raise EscalationError(f"{current.ref} is not waiting for an acknowledgement; there is no page to hold.")
        until = now + length
        records, events = _tables(db)
        _update(records, current.ref, {"snoozed_until": until.isoformat()})
        _log(events, current.ref, now, "snoozed", by=by.strip(), detail=f"next page held until {until.isoformat()}")
        tell_customer(db, current, "looking", "someone is looking at the case", now)
    return get(db, current.ref)


def reassign(db: Database, ref: str, slack_user: str, by: str, now: datetime) -> Escalation:
    """Page `slack_user` now for a case nobody has acknowledged, instead of waiting for the chain; they have the
    rota's ack timeout to acknowledge before the chain goes on from where it was."""
    if not slack_user.strip() or not by.strip():
        raise EscalationError(f"say whom {ref} goes to, and who reassigns it.")
    if not SLACK_USER.fullmatch(slack_user.strip()):
        raise EscalationError(
            f"{slack_user.strip()!r} is not a Slack user ID; give one like U0TAMA (the person's profile, Copy member ID)."
        )
    with write_transaction(db):
        current = get(db, ref)
        if current.status != "triggered":
            raise EscalationError(
                f"{current.ref} is {current.status}; only a case waiting for an acknowledgement is reassigned."
            )
        records, events = _tables(db)
        earlier = sum(1 for event in history(db, current.ref) if event["what"] == "reassigned")
        _update(records, current.ref, {"paged_at": now.isoformat(), "snoozed_until": None, "chain_ended_at": None})
        _log(events, current.ref, now, "reassigned", by=by.strip(), detail=slack_user.strip())
        payload = {
            "ref": current.ref,
            "step": current.step,
            "round": current.round,
            "role": "Reassigned",
            "name": slack_user.strip(),
            "slack_user": slack_user.strip(),
            "phone": "",
            "reassigned_by": by.strip(),
        }
        outbox.add(db, f"page:{current.ref}:reassigned:{earlier}", "page", payload, now)
        tell_customer_paging(db, current, "reassigned", "passed to another engineer", now)
    return get(db, current.ref)


def acknowledge(db: Database, ref: str, by: str, now: datetime) -> Escalation:
    return _change(db, ref, "acknowledged", by, now)


def resolve(db: Database, ref: str, by: str, now: datetime) -> Escalation:
    return _change(db, ref, "resolved", by, now)


def first_page_posted(db: Database, ref: str, channel: str, ts: str, role: str, now: datetime) -> None:
    """The first page reached Slack: remember its message (replies in its thread reach the customer) and
    queue the transcript for that thread, in one transaction."""
    with write_transaction(db):
        if get(db, ref).slack_ts == ts:
            return  # recorded already (the sender is repeating a round whose end it could not record)
        records, events = _tables(db)
        _update(records, ref, {"slack_channel": channel, "slack_ts": ts})
        _log(events, ref, now, "page delivered", detail=f"{role} in Slack")
        outbox.add(db, f"transcript:{ref}", "transcript", {"ref": ref}, now)


def find_by_thread(db: Database, channel: str, ts: str) -> Escalation | None:
    records, _ = _tables(db)
    row = next(records.rows_where("slack_channel = ? and slack_ts = ?", [channel, ts]), None)
    return _record(row) if row else None


def _latest_of(db: Database, conversation_id: str, status: str | None = None) -> Escalation | None:
    """The conversation's most recent case (in `status`, when given)."""
    records, _ = _tables(db)
    where, values = "conversation_id = ?", [conversation_id]
    if status:
        where, values = where + " and status = ?", values + [status]
    row = next(records.rows_where(where, values, order_by="id desc", limit=1), None)
    return _record(row) if row else None


def in_handoff(db: Database, conversation_id: str) -> Escalation | None:
    """The escalation whose engineer is talking with this conversation now, if any."""
    return _latest_of(db, conversation_id, "acknowledged")


def relay_from_customer(db: Database, conversation_id: str, text: str, message_id: str, now: datetime) -> Escalation:
    """Queue what the customer wrote for the engineer's Slack thread (once per message id)."""
    case = in_handoff(db, conversation_id)
    if case is None:
        raise EscalationError("no engineer is talking with this conversation now.")
    with write_transaction(db):
        if outbox.add(db, f"relay:customer:{message_id}", "relay_to_engineer", {"ref": case.ref, "text": text}, now):
            _log(_tables(db)[1], case.ref, now, "customer wrote", detail=text)
    return case


def customer_left(db: Database, conversation_id: str, now: datetime) -> Escalation | None:
    """The customer ended the live handoff (restart, 'stop'): the case is resolved as theirs to close, and
    the page in Slack is told (kind "closed_by_customer"), in one transaction. None when no engineer was talking
    with them."""
    with write_transaction(db):  # read under the write lock: an engineer resolving at once cannot both win
        case = in_handoff(db, conversation_id)
        if case is None:
            return None
        records, events = _tables(db)
        _update(records, case.ref, {"status": "resolved", "resolved_at": now.isoformat(), "resolved_by": "customer"})
        _log(events, case.ref, now, "resolved", by="customer", detail="the customer ended the chat")
        outbox.add(db, f"closed_by_customer:{case.ref}", "closed_by_customer", {"ref": case.ref, "how": "left"}, now)
    return get(db, case.ref)


def waiting_case(db: Database, conversation_id: str) -> Escalation | None:
    """The conversation's case that nobody has acknowledged yet, if any."""
    return _latest_of(db, conversation_id, "triggered")


def cancel_by_customer(db: Database, conversation_id: str, now: datetime, ref: str | None = None) -> Escalation | None:
    """The customer cancelled their waiting case from the chat ('cancel', 'never mind', 'cancel ESC-0042'): it is
    resolved as cancelled by them, nobody else is paged, and the page in Slack is told (kind "closed_by_customer"),
    in one transaction. None when the conversation has no case waiting (or none named `ref`)."""
    with write_transaction(db):
        case = waiting_case(db, conversation_id)
        if case is None or (ref and case.ref != ref.upper()):
            return None
        records, events = _tables(db)
        _update(records, case.ref, {"status": "resolved", "resolved_at": now.isoformat(), "resolved_by": "customer"})
        _log(events, case.ref, now, "cancelled", by="customer", detail="from the chat, before anyone acknowledged")
        payload = {"ref": case.ref, "how": "cancelled"}
        outbox.add(db, f"closed_by_customer:{case.ref}", "closed_by_customer", payload, now)
    return get(db, case.ref)


def latest_case(db: Database, conversation_id: str) -> Escalation | None:
    """The conversation's most recent case, whatever its state."""
    return _latest_of(db, conversation_id)


def customer_view(case: Escalation | None) -> dict | None:
    """What the customer's chat shows of their case (the web widget's case line): its reference and whether it
    waits for the on-call team, is with an engineer, or is closed. None: no case."""
    if case is None:
        return None
    state = {"triggered": "waiting", "acknowledged": "with_engineer"}.get(case.status, "closed")
    return {"ref": case.ref, "state": state, "engineer": case.acknowledged_by if state == "with_engineer" else ""}


def relay_from_engineer(db: Database, ref: str, text: str, by: str, message_id: str, now: datetime) -> Escalation:
    """Queue the engineer's reply for the customer's chat (once per message id)."""
    case = get(db, ref)
    if case.status != "acknowledged":
        raise EscalationError(f"{case.ref} is {case.status}; acknowledge it before replying to the customer.")
    if not text.strip():
        raise EscalationError("the reply is empty; type what the customer should read.")
    with write_transaction(db):
        if outbox.add(
            db,
            f"relay:engineer:{message_id}",
            "relay_to_customer",
            {"ref": case.ref, "conversation_id": case.conversation_id, "text": text.strip(), "by": by},
            now,
        ):
            _log(_tables(db)[1], case.ref, now, "engineer wrote", by=by, detail=text.strip())
    return case


def record_event(db: Database, ref: str, what: str, detail: str, now: datetime, by: str = "") -> None:
    """Add a step to an escalation's history (a delivery, a relay)."""
    with write_transaction(db):
        _, events = _tables(db)
        _log(events, ref, now, what, by=by, detail=detail)


def record_delivery_failure(db: Database, message: outbox.OutboxMessage, error: str, now: datetime) -> None:
    """Outbox hook: a message about an escalation that could not be delivered shows in its history."""
    ref = message.payload.get("ref")
    if ref:
        record_event(db, ref, "delivery failed", f"{message.kind}, attempt {message.attempts + 1}: {error}", now)
