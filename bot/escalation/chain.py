"""The paging chain: what the worker does each round for the open cases (PagerDuty's escalation policy with
num_loops, Opsgenie's if-not-acknowledged and if-not-closed rules).

- A page not acknowledged within the rota's ack timeout moves to the next step; after the last step the whole
  rota is paged again from the first, `repeat` more times (each pass is a round).
- When the last round's last step goes unacknowledged too, the chain has ended: the support channel and the
  rota's final contact are told once that a person must take the case.
- An acknowledged case still open `resolve_timeout` after its acknowledgement (or after the last reminder)
  re-pages whoever acknowledged it.
- The customer of a case nobody has acknowledged hears where it stands when the chain moves on or ends, and
  every `customer_update` (10 min) in between, each time with the number to ring (escalations.tell_customer).

Each change is written with the page or notice it causes in one transaction, under an outbox key naming the
case, the round and the step (escalations.page_key), so a repeated round, or two workers at once, page nobody
twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.escalation import escalations
from bot.escalation.escalations import Escalation
from bot.escalation.oncall import Rota
from core import outbox
from core.db import Database, write_transaction


@dataclass
class ChainReport:
    paged: list[str] = field(default_factory=list)  # cases paged at their next step or round
    ended: list[str] = field(default_factory=list)  # cases whose chain ran out: support channel told
    reminded: list[str] = field(default_factory=list)  # acknowledged cases whose acknowledger was re-paged
    updated: list[str] = field(default_factory=list)  # waiting customers told where their case stands


def next_page(case: Escalation, rota: Rota) -> tuple[int, int] | None:
    """(round, step) of the page after the case's last one, or None when the chain has run out."""
    if case.step + 1 < len(rota.steps):
        return case.round, case.step + 1
    if case.round < rota.repeat:
        return case.round + 1, 0
    return None


def advance(db: Database, rota: Rota, now: datetime) -> ChainReport:
    """Page, end or remind every open case that is due at `now`."""
    report = ChainReport()
    for case in escalations.listing(db, open_only=True):
        if case.status == "triggered" and _unanswered(case, rota, now):
            _move_on(db, case, rota, now, report)
        elif case.status == "triggered" and _customer_update_due(case, rota, now):
            _update_customer(db, case, rota, now, report)
        elif case.status == "acknowledged" and _unresolved(case, rota, now):
            _remind(db, case, rota, now, report)
    return report


def next_page_due(case: Escalation, rota: Rota) -> datetime | None:
    """When the next page goes out unless someone acknowledges: the ack timeout, or later when snoozed."""
    if case.status != "triggered" or case.paged_at is None or case.chain_ended_at is not None:
        return None
    due = case.paged_at + rota.ack_timeout
    return max(due, case.snoozed_until) if case.snoozed_until else due


def _unanswered(case: Escalation, rota: Rota, now: datetime) -> bool:
    due = next_page_due(case, rota)
    return due is not None and now >= due


def _unresolved(case: Escalation, rota: Rota, now: datetime) -> bool:
    since = case.reminded_at or case.acknowledged_at
    return rota.resolve_timeout is not None and since is not None and now - since >= rota.resolve_timeout


def _customer_update_due(case: Escalation, rota: Rota, now: datetime) -> bool:
    """While the chain runs (once it has ended, the customer has been told to ring) and the case is not snoozed
    (they were told someone is looking)."""
    since = case.customer_told_at or case.created_at
    snoozed = case.snoozed_until is not None and now < case.snoozed_until
    return case.chain_ended_at is None and not snoozed and now - since >= rota.customer_update


def _minutes(timeout: timedelta) -> int:
    return int(timeout.total_seconds() // 60)


def _move_on(db: Database, case: Escalation, rota: Rota, now: datetime, report: ChainReport) -> None:
    with write_transaction(db):
        current = escalations.get(db, case.ref)
        if not _unanswered(current, rota, now) or current.paged_at != case.paged_at:
            return  # acknowledged, snoozed or moved on by another worker since the listing was read
        following = next_page(current, rota)
        why = f"no acknowledgement in {_minutes(rota.ack_timeout)} min"
        if following is None:
            _end(db, current, rota, why, now)
            report.ended.append(case.ref)
            return
        round_, step = following
        detail = f"{rota.steps[step].role} ({why}{f'; round {round_ + 1} of {rota.repeat + 1}' if round_ else ''})"
        values = {"step": step, "round": round_, "paged_at": now.isoformat()}
        escalations.record_chain_step(db, case.ref, values, "paged", detail, now)
        escalations.queue_page(db, current, rota, step, now, round_)
        role = rota.steps[step].role
        escalations.tell_customer_paging(db, current, "moved_on", f"the {role} is paged now", now, role=role)
        report.paged.append(case.ref)


def _update_customer(db: Database, case: Escalation, rota: Rota, now: datetime, report: ChainReport) -> None:
    with write_transaction(db):
        current = escalations.get(db, case.ref)
        if current.status != "triggered" or not _customer_update_due(current, rota, now):
            return  # acknowledged, ended or told by another worker since the listing was read
        if escalations.customer_update_pending(db, current.ref):
            return  # the last one has not reached the chat (Rasa down): no pile of stale updates when it is back
        waited = str(_minutes(now - current.created_at))
        detail = f"still waiting after {waited} min"
        escalations.tell_customer_paging(db, current, "waiting", detail, now, minutes=waited)
        report.updated.append(case.ref)


def _end(db: Database, case: Escalation, rota: Rota, why: str, now: datetime) -> None:
    final = rota.final_contact
    rounds = rota.repeat + 1
    detail = f"{why} after {rounds} round{'s' if rounds > 1 else ''}; the support channel and {final.role} told"
    escalations.record_chain_step(db, case.ref, {"chain_ended_at": now.isoformat()}, "chain ended", detail, now)
    payload = {
        "ref": case.ref,
        "rounds": rounds,
        "role": final.role,
        "slack_user": final.slack_user,
        "phone": final.phone,
    }
    outbox.add(db, f"chain_ended:{case.ref}", "chain_ended", payload, now)
    escalations.tell_customer(db, case, "chain_ended", "nobody answered; told to ring the support line", now)


def _remind(db: Database, case: Escalation, rota: Rota, now: datetime, report: ChainReport) -> None:
    with write_transaction(db):
        current = escalations.get(db, case.ref)
        if current.status != "acknowledged" or current.reminded_at != case.reminded_at:
            return  # resolved, or reminded by another worker, since the listing was read
        since = current.reminded_at or current.acknowledged_at
        minutes = int((now - current.acknowledged_at).total_seconds() // 60) if current.acknowledged_at else 0
        detail = f"{current.acknowledged_by}: acknowledged {minutes} min ago, still open"
        escalations.record_chain_step(db, case.ref, {"reminded_at": now.isoformat()}, "reminded", detail, now)
        payload = {"ref": case.ref, "acknowledged_by": current.acknowledged_by, "minutes": minutes}
        outbox.add(db, f"resolve_reminder:{case.ref}:{since.isoformat()}", "resolve_reminder", payload, now)
        report.reminded.append(case.ref)
