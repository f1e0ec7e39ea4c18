"""Live phase status: what staff report, kept as history, combined with the clock.

Reported state wins over the clock; where nothing is reported, the schedule and the clock decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.status.schedule import Migration, Phase, load_migrations
from core.db import Database, Table, write_transaction
from core.errors import HelpdeskError
from core.schema import state_database
from core.settings import Settings

STATES = ("started", "extended", "completed", "delayed", "rolled_back")


class StatusError(HelpdeskError):
    """A status report that cannot be accepted."""


@dataclass(frozen=True)
class PhaseState:
    phase: Phase
    state: str  # "scheduled", "in progress", "completed", "rolled back", "window ended", "open", "deadline passed"
    start: datetime | None  # the window in force (a delay or an extension moves it)
    end: datetime | None
    reported: bool  # True when a staff report decided it
    note: str = ""


def _events(db: Database) -> Table:
    return db["status_events"]


def report(
    db: Database,
    phase: Phase,
    state: str,
    now: datetime,
    by: str,
    note: str = "",
    until: datetime | None = None,
    start: datetime | None = None,
) -> dict:
    """Record a staff report; it is appended to the history, never overwriting an earlier one."""
    if state not in STATES:
        raise StatusError(f"unknown state {state!r}; use one of: {', '.join(STATES)}.")
    if state == "extended" and until is None:
        raise StatusError("an extension needs its new end: add --until TIME (e.g. 2020-09-09T02:00+12:00).")
    if state == "delayed" and (until is None or start is None):
        raise StatusError("a delay needs the new window: add --start TIME and --until TIME.")
    if until and start and until <= start:
        raise StatusError("the new window ends before it starts; check --start and --until.")
    if len(note) > 2000:
        raise StatusError("the note is longer than 2,000 characters; shorten it.")
    row = {
        "phase": phase.ref,
        "state": state,
        "until": until.isoformat() if until else None,
        "start": start.isoformat() if start else None,
        "note": note.strip(),
        "by": by.strip() or "unknown",
        "at": now.isoformat(),
    }
    with write_transaction(db):
        _events(db).insert(row)
    return row


def history(db: Database, phase: Phase | None = None) -> list[dict]:
    table = _events(db)
    where, args = ("phase = ?", [phase.ref]) if phase else (None, None)
    return list(table.rows_where(where, args, order_by="id"))


def _at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def state_of(phase: Phase, events: list[dict], now: datetime) -> PhaseState:
    """The phase's state now: the latest report first, then the (possibly moved) window and the clock."""
    start, end = phase.start, phase.end
    for event in events:  # delays and extensions move the window, in the order they were reported
        if event["state"] == "delayed":
            start, end = _at(event["start"]), _at(event["until"])
        elif event["state"] == "extended":
            end = _at(event["until"])
    latest = events[-1] if events else None
    note = latest["note"] if latest else ""
    if latest and latest["state"] == "completed":
        return PhaseState(phase, "completed", start, end, True, note)
    if latest and latest["state"] == "rolled_back":
        return PhaseState(phase, "rolled back", start, end, True, note)
    if latest and latest["state"] in {"started", "extended"}:
        if end is None or now < end:
            return PhaseState(phase, "in progress", start, end, True, note)
        return PhaseState(phase, "overrunning", start, end, True, note)
    reported = latest is not None  # a delay: the clock decides within the new window
    if start and end:
        if now < start:
            return PhaseState(phase, "scheduled", start, end, reported, note)
        if now < end:
            return PhaseState(phase, "in progress", start, end, reported, note)
        return PhaseState(phase, "window ended", start, end, reported, note)
    if phase.deadline:
        return PhaseState(
            phase, "open" if now < phase.deadline else "deadline passed", None, phase.deadline, reported, note
        )
    return PhaseState(phase, "unscheduled", None, None, reported, note)


def states(db: Database, phases: list[Phase], now: datetime) -> list[PhaseState]:
    """Every phase's state at `now`; reports made after `now` (when the clock is fixed) are not seen."""
    return states_from(history(db), phases, now)


def states_from(events: list[dict], phases: list[Phase], now: datetime) -> list[PhaseState]:
    """As `states`, from the history already read."""
    known = [event for event in events if _at(event["at"]) <= now]
    return [state_of(phase, [e for e in known if e["phase"] == phase.ref], now) for phase in phases]


RUNNING = ("in progress", "overrunning")


def windows_running(db: Database, migrations: list[Migration], now: datetime) -> list[str]:
    """The refs of the phases whose maintenance window runs at `now` (staff reports included)."""
    return [s.phase.ref for s in states(db, [p for m in migrations for p in m.phases], now) if s.state in RUNNING]


@dataclass(frozen=True)
class Snapshot:
    """The migrations and every phase's state at one instant: what every status view shows."""

    now: datetime
    migrations: list[Migration]
    states: list[PhaseState]


def snapshot(settings: Settings) -> Snapshot:
    """The status at the helpdesk's clock (HELPDESK_NOW when set)."""
    migrations = load_migrations(settings.faq_db)
    now = settings.clock.now()
    with state_database(settings.state_store) as db:
        return Snapshot(now, migrations, states(db, [p for m in migrations for p in m.phases], now))
