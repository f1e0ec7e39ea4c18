"""helpdesk status: the migrations' phases, windows and state now; staff reports and the notices they cause."""

from __future__ import annotations

import os

import click
from click_default_group import DefaultGroup

from bot.cli.common import StateDb, with_settings, with_state
from bot.status import notices, phase_status, schedule
from bot.status.status_replies import STATUS_HEADERS, status_rows, when
from bot.table import format_table
from core.clock import parse_instant
from core.settings import Settings


@click.group(cls=DefaultGroup, default="show", default_if_no_args=True)
def status() -> None:
    """The migrations' phases, windows and state now (set, history, notices).

    \b
    Example:
        helpdesk status
        helpdesk status set 2 extended --until 2020-09-09T02:00+12:00 --note "Copy is slow" --by alice
    """


@status.command()
@with_settings
def show(settings: Settings) -> None:
    """Every phase's window (NZ and UTC) and state now (the default)."""
    snapshot = phase_status.snapshot(settings)
    click.echo(f"As of {when(snapshot.now)}")
    click.echo(format_table(STATUS_HEADERS, status_rows(snapshot.states)))


@status.command(name="set")
@click.argument("phase")
@click.argument("state")
@click.option("--until", help="New end (extended, delayed): ISO 8601 with Z or an offset.")
@click.option("--start", help="New start (delayed): ISO 8601 with Z or an offset.")
@click.option("--note", default="", help="What customers and staff should know.")
@click.option("--by", default=os.environ.get("USER", "unknown"), show_default="$USER", help="Who reports it.")
@with_state
def set_state(
    settings: Settings, db: StateDb, phase: str, state: str, until: str | None, start: str | None, note: str, by: str
) -> None:
    """Report PHASE's STATE (kept in the history, never overwritten).

    PHASE is a phase number (the most recent migration), MIGRATION:N, or part of its name; STATE one of
    started, extended, completed, delayed, rolled_back.

    \b
    Example:
        helpdesk status set "messaging core" completed --by bob
        helpdesk status set run-the-red:1 rolled_back --note "Carrier issue"
    """
    found = schedule.find_phase(schedule.load_migrations(settings.faq_db), phase)
    new_end = parse_instant(until, setting="--until") if until else None
    new_start = parse_instant(start, setting="--start") if start else None
    phase_status.report(db, found, state, settings.clock.now(), by=by, note=note, until=new_end, start=new_start)
    click.echo(f"recorded: {found.label} ({found.migration}) {state}" + (f" until {when(new_end)}" if new_end else ""))


@status.command()
@with_state
def history(settings: Settings, db: StateDb) -> None:
    """Every report, oldest first."""
    rows = [
        (e["at"], e["phase"], e["state"], e["start"] or "", e["until"] or "", e["by"], e["note"])
        for e in phase_status.history(db)
    ]
    click.echo(format_table(("at (UTC)", "phase", "state", "start", "until", "by", "note"), rows))


@status.command(name="notices")
@click.option("--due", is_flag=True, help="Only those due now and not queued yet.")
@with_state
def list_notices(settings: Settings, db: StateDb, due: bool) -> None:
    """The maintenance notices for the Slack updates channel."""
    now = settings.clock.now()
    migrations = schedule.load_migrations(settings.faq_db)
    found = notices.notices_due(db, migrations, now) if due else notices.schedule_of_notices(db, migrations, now)
    click.echo(format_table(("due", "key", "notice"), [(when(n.due), n.key, n.text) for n in found]))


COMMANDS = [status]
