"""helpdesk escalations, oncall, contacts: urgent cases, who is paged for them, and customers' own engineers."""

from __future__ import annotations

import click
from click_default_group import DefaultGroup

from bot.cli.common import StateDb, with_state
from bot.escalation import customer_contacts, escalations, oncall
from bot.status.status_replies import when
from bot.table import format_table
from core.clock import parse_instant
from core.settings import Settings


@click.group(name="escalations", cls=DefaultGroup, default="list", default_if_no_args=True)
def escalations_group() -> None:
    """Urgent cases handed to the on-call engineer (list, show, ack, snooze, reassign, resolve).

    \b
    Example:
        helpdesk escalations --open
        helpdesk escalations ack ESC-0001 --by tama
    """


@escalations_group.command(name="list")
@click.option("--open", "open_only", is_flag=True, help="Only those not resolved.")
@with_state
def list_escalations(settings: Settings, db: StateDb, open_only: bool) -> None:
    """Every escalation, oldest first (the default)."""
    rows = [
        (
            e.ref,
            e.status,
            e.priority,
            e.contact.get("contact_name", ""),
            e.contact.get("company", ""),
            when(e.created_at),
            e.summary[:60],
        )
        for e in escalations.listing(db, open_only=open_only)
    ]
    click.echo(format_table(("ref", "status", "priority", "name", "company", "created", "summary"), rows))


@escalations_group.command()
@click.argument("ref")
@with_state
def show(settings: Settings, db: StateDb, ref: str) -> None:
    """One escalation (REF, e.g. ESC-0042): contact, history and transcript."""
    case = escalations.get(db, ref)
    click.echo(f"{case.ref}  {case.status}  priority {case.priority}  conversation {case.conversation_id}")
    for key, value in case.contact.items():
        click.echo(f"  {key}: {value}")
    click.echo(f"  summary: {case.summary}")
    click.echo("timeline:")
    for event in escalations.history(db, case.ref):
        click.echo(
            f"  {event['at']}  {_since(case, event['at']):>7}  {event['what']}"
            + (f" by {event['by']}" if event["by"] else "")
            + (f": {event['detail']}" if event["detail"] else "")
        )
    click.echo("transcript:")
    for line in case.transcript:
        click.echo(f"  {line['from']}: {line['text']}")


@escalations_group.command()
@click.argument("ref")
@click.option("--by", required=True, help="Who acknowledges it.")
@with_state
def ack(settings: Settings, db: StateDb, ref: str, by: str) -> None:
    """Acknowledge REF: paging stops and the engineer joins the customer's chat."""
    click.echo(f"{escalations.acknowledge(db, ref, by, settings.clock.now()).ref} is acknowledged")


def _since(case: escalations.Escalation, at: str) -> str:
    """How long after the case was opened, as +MMm or +HhMMm."""
    minutes = max(0, int((parse_instant(at) - case.created_at).total_seconds() // 60))
    return f"+{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"+{minutes}m"


@escalations_group.command()
@click.argument("ref")
@click.option("--by", required=True, help="Who is looking at it.")
@with_state
def snooze(settings: Settings, db: StateDb, ref: str, by: str) -> None:
    """Hold REF's next page for 15 minutes: someone is looking at it (the customer is told)."""
    case = escalations.snooze(db, ref, by, settings.clock.now())
    click.echo(f"{case.ref}: the next page is held until {when(case.snoozed_until)}")


@escalations_group.command()
@click.argument("ref")
@click.option("--to", "slack_user", required=True, help="The Slack user ID to page now, e.g. U0TAMA.")
@click.option("--by", required=True, help="Who reassigns it.")
@with_state
def reassign(settings: Settings, db: StateDb, ref: str, slack_user: str, by: str) -> None:
    """Page someone else now for REF, which nobody has acknowledged; the chain goes on from there."""
    click.echo(
        f"{escalations.reassign(db, ref, slack_user, by, settings.clock.now()).ref} is reassigned to {slack_user}"
    )


@escalations_group.command()
@click.argument("ref")
@click.option("--by", required=True, help="Who resolves it.")
@with_state
def resolve(settings: Settings, db: StateDb, ref: str, by: str) -> None:
    """Resolve REF: the case is closed and the customer's chat is handed back to the bot."""
    click.echo(f"{escalations.resolve(db, ref, by, settings.clock.now()).ref} is resolved")


@click.group(name="oncall", cls=DefaultGroup, default="show", default_if_no_args=True)
def oncall_group() -> None:
    """The on-call rota: who is paged, in order (show, set).

    \b
    Example:
        helpdesk oncall --at 2020-09-08T22:30+12:00
        helpdesk oncall set 1 "Mere" --slack-user U0MERE --phone "+64 21 555 0100" --by tama
    """


@oncall_group.command(name="show")
@click.option("--at", "at", metavar="INSTANT", help="Who would be paged then (ISO 8601; default: now).")
@with_state
def show_rota(settings: Settings, db: StateDb, at: str | None) -> None:
    """Who is paged now (or --at an instant), in order, and the paging policy (the default)."""
    instant = parse_instant(at, setting="--at") if at else settings.clock.now()
    rota = oncall.rota_in_force(settings.faq_db, db, instant)
    click.echo(f"The {rota.name} rota, at {when(instant)}:")
    rows = [(n, step.role, step.name, step.slack_user, step.phone) for n, step in enumerate(rota.steps, start=1)]
    click.echo(format_table(("step", "role", "name", "slack user", "phone"), rows))
    click.echo(rota.policy())


@oncall_group.command(name="set")
@click.argument("step", type=click.IntRange(1))
@click.argument("name")
@click.option("--slack-user", default="", help="Their Slack user ID (default: keep the step's).")
@click.option("--phone", default="", help="Their phone (default: keep the step's).")
@click.option("--by", required=True, help="Who makes the change.")
@with_state
def set_step(settings: Settings, db: StateDb, step: int, name: str, slack_user: str, phone: str, by: str) -> None:
    """Put NAME on STEP of the rota (1 = primary, 2 = secondary, ...)."""
    rota = oncall.change_step(db, step, name, slack_user, phone, by, settings.clock.now())
    changed = rota.steps[step - 1]
    click.echo(f"step {step} ({changed.role}) is now {changed.name} ({changed.slack_user}, {changed.phone})")


@click.command()
@with_state
def contacts(settings: Settings, db: StateDb) -> None:
    """Customers' own on-call engineers, as they gave them to the bot."""
    rows = [(c.company, c.name, c.phone, c.email, when(c.saved_at)) for c in customer_contacts.listing(db)]
    click.echo(format_table(("company", "on-call engineer", "phone", "email", "saved"), rows))


COMMANDS = [escalations_group, oncall_group, contacts]
