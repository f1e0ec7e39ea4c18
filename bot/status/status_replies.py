"""Answers about the live status of the migrations, in NZ local time with UTC beside it: which response of
domain.yml to say (utter_status_*), filled with the phases' own sentences."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.status.phase_status import PhaseState
from bot.status.products import impact_on
from bot.status.schedule import Migration
from bot.wording import Reply
from faq_index.dates import LOCAL_ZONE

ACTIVE = {"in progress", "overrunning"}


def when(instant: datetime) -> str:
    """'Tue 8 September 2020 21:00 NZST (09:00 UTC)'."""
    local = instant.astimezone(LOCAL_ZONE)
    utc_day = "" if local.date() == instant.date() else f"{instant:%a} "
    return f"{local:%a %-d %B %Y %H:%M} {local.tzname()} ({utc_day}{instant:%H:%M} UTC)"


def countdown(now: datetime, then: datetime) -> str:
    """'in 1 day 10 hours', 'in 45 minutes'."""
    minutes = max(0, int((then - now) / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n
    ]
    return "in " + " ".join(parts[:2]) if parts else "now"


def _migration_of(state: PhaseState, migrations: list[Migration]) -> Migration:
    return next(m for m in migrations if m.key == state.phase.migration)


def describe(state: PhaseState, migrations: list[Migration], now: datetime) -> str:
    """One phase's state in a sentence, naming its migration."""
    phase, title = state.phase, _migration_of(state, migrations).title
    who = f"{phase.label} ({title})"
    reported = " (reported by the support team)" if state.reported else ""
    note = f" Note: {state.note}" if state.note else ""
    if state.state == "in progress":
        until = f" until {when(state.end)}" if state.end else ""
        return f"{who} is in progress{until}{reported}.{note}"
    if state.state == "overrunning":
        return f"{who} is still in progress: its window ended at {when(state.end)} and it is not reported complete yet.{note}"
    if state.state == "scheduled":
        return f"{who} is scheduled for {when(state.start)} to {when(state.end)}, {countdown(now, state.start)}{reported}.{note}"
    window = f" (window {when(state.start)} to {when(state.end)})" if state.start and state.end else ""
    if state.state == "completed":
        return f"{who} is completed{reported}{window}.{note}"
    if state.state == "rolled back":
        return f"{who} was rolled back{reported}{window}.{note}"
    if state.state == "window ended":
        return f"{who}: its window ran from {when(state.start)} to {when(state.end)}.{note}"
    if state.state == "open":
        return f"{who} is open until {when(state.end)}, {countdown(now, state.end)}.{note}"
    if state.state == "deadline passed":
        return f"{who}: its deadline of {when(state.end)} has passed.{note}"
    return f"{who} has no date in the FAQ.{note}"


def _latest_first(states: list[PhaseState], migrations: list[Migration]) -> list[PhaseState]:
    order = {m.key: index for index, m in enumerate(migrations)}
    return sorted(states, key=lambda s: -order[s.phase.migration])


def _running(states: list[PhaseState], migrations: list[Migration]) -> list[PhaseState]:
    return [s for s in _latest_first(states, migrations) if s.state in ACTIVE]


def next_windows(states: list[PhaseState], now: datetime) -> list[PhaseState]:
    return sorted((s for s in states if s.state == "scheduled" and s.start and s.start > now), key=lambda s: s.start)


def _what_is_next(states: list[PhaseState], migrations: list[Migration], now: datetime) -> str:
    """The next window, or, when none is planned, where the most recent migration stands."""
    upcoming = next_windows(states, now)
    if upcoming:
        return f"The next maintenance window: {describe(upcoming[0], migrations, now)}"
    latest = _latest_first(states, migrations)
    newest = [s for s in latest if s.phase.migration == latest[0].phase.migration]
    done = "; ".join(f"{s.phase.label}: {s.state}" for s in newest)
    return (
        f"No further maintenance window is planned. The most recent migration is "
        f"{_migration_of(newest[0], migrations).title}: {done}."
    )


def status_now(states: list[PhaseState], migrations: list[Migration], now: datetime) -> Reply:
    """Is anything under maintenance now? The running window(s) and their impact, else what is next."""
    running = _running(states, migrations)
    if running:
        lines = [
            describe(s, migrations, now) + (f" Impact: {s.phase.impact}" if s.phase.impact else "") for s in running
        ]
        return Reply("utter_status_running", {"as_of": when(now), "running": " ".join(lines)})
    return Reply("utter_status_quiet", {"as_of": when(now), "next": _what_is_next(states, migrations, now)})


def next_window(states: list[PhaseState], migrations: list[Migration], now: datetime) -> Reply:
    """What is next, saying first that nothing runs now when nothing does."""
    response = "utter_status_next" if _running(states, migrations) else "utter_status_quiet"
    return Reply(response, {"as_of": when(now), "next": _what_is_next(states, migrations, now)})


def window_end(states: list[PhaseState], migrations: list[Migration], now: datetime) -> Reply:
    running = _running(states, migrations)
    if not running:
        return status_now(states, migrations, now)
    ends = " ".join(
        f"{s.phase.label} ends {when(s.end)}, {countdown(now, s.end)}."
        if s.end and s.end > now
        else describe(s, migrations, now)
        for s in running
    )
    return Reply("utter_status_window_end", {"as_of": when(now), "ends": ends})


def phase_reply(state: PhaseState, states: list[PhaseState], migrations: list[Migration], now: datetime) -> Reply:
    """Where one phase stands; while no window runs, that nothing does and what is next (unless it is this phase)."""
    phase = describe(state, migrations, now)
    if _running(states, migrations):
        return Reply("utter_status_phase", {"as_of": when(now), "phase": phase})
    upcoming = next_windows(states, now)
    after = "" if upcoming and upcoming[0].phase == state.phase else _what_is_next(states, migrations, now)
    return Reply("utter_status_phase_quiet", {"as_of": when(now), "phase": phase, "next": after})


def product_status(product: str, states: list[PhaseState], migrations: list[Migration], now: datetime) -> Reply:
    """Can I use PRODUCT now? From the impact of the running phase(s)."""
    running = _running(states, migrations)
    if not running:
        values = {"as_of": when(now), "product": product, "next": _what_is_next(states, migrations, now)}
        return Reply("utter_status_product_quiet", values)
    lines = []
    for state in running:
        impact = impact_on(product, state.phase.impact)
        if impact.status == "not mentioned":
            lines.append(f"{state.phase.label} is in progress; its notice does not list {product} as affected.")
        else:
            lines.append(f"{state.phase.label} is in progress: {product} is {impact.status}. {impact.evidence}")
    until = min(s.end for s in running if s.end)
    return Reply("utter_status_product_running", {"as_of": when(now), "impacts": " ".join(lines), "until": when(until)})


def window_text(state: PhaseState) -> str:
    """A phase's window in force, or its deadline."""
    if state.start and state.end:
        return f"{when(state.start)} – {when(state.end)}"
    return f"by {when(state.end)}" if state.end else "not dated"


STATUS_HEADERS = ("migration", "phase", "window (NZ time, UTC)", "state now")


def status_rows(states: list[PhaseState]) -> list[tuple[str, str, str, str]]:
    """The status table (one row per phase), as `helpdesk status` and Slack's /phase show it."""
    return [
        (s.phase.migration, s.phase.label, window_text(s), s.state + (" (reported)" if s.reported else ""))
        for s in states
    ]


BANNER_LOOKAHEAD = timedelta(days=7)  # a window further off than this is not worth a banner


def banner(states: list[PhaseState], migrations: list[Migration], now: datetime) -> tuple[str, str]:
    """(level, text) for a website's status banner: 'maintenance' while a window runs, 'upcoming' for the
    next window within a week, else ('none', '')."""
    running = _running(states, migrations)
    if running:
        parts = []
        for state in running:
            until = f" until {when(state.end)}" if state.end and state.end > now else " (running late)"
            impact = f" {state.phase.impact}" if state.phase.impact else ""
            parts.append(f"{state.phase.label} ({_migration_of(state, migrations).title}){until}.{impact}")
        return "maintenance", "Maintenance in progress: " + " ".join(parts)
    upcoming = [s for s in next_windows(states, now) if s.start - now <= BANNER_LOOKAHEAD]
    if upcoming:
        state = upcoming[0]
        return "upcoming", (
            f"Planned maintenance: {state.phase.label} ({_migration_of(state, migrations).title}) "
            f"{when(state.start)} to {when(state.end)}, {countdown(now, state.start)}."
        )
    return "none", ""
