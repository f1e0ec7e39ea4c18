"""Slash commands: /faq (search), /phase (status; `set` for staff) and /oncall (rota; `set` for staff).

Each answers in the `ack()` itself, visible only to the person who typed it; the work is local and fast.
"""

from __future__ import annotations

import re
from typing import Callable

from slack_sdk import WebClient

from bot.answers.faq import answer_entry
from bot.escalation import escalations, oncall
from bot.status import phase_status, schedule
from bot.status.status_replies import STATUS_HEADERS, status_rows, when
from bot.table import format_table
from core.clock import parse_instant
from core.errors import HelpdeskError
from core.schema import state_database
from faq_index.search import Hit
from helpdesk_slack import blocks
from helpdesk_slack.context import AppContext
from helpdesk_slack.staff import REFUSAL
from helpdesk_slack.text import escape

Ack = Callable[..., None]
MAX_QUERY = 500
USER_MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|([^>]*))?>$")
PHASE_USAGE = (
    "Usage: /phase (the status now), or /phase set PHASE STATE [until TIME] [note]. States: "
    + ", ".join(phase_status.STATES)
    + "."
)
ONCALL_USAGE = "Usage: /oncall (who is on call), or /oncall set STEP @person [phone]."
ENTRY_GONE = "That FAQ entry is no longer in the index (the documents changed); search again with /faq."


def faq(app: AppContext, command: dict, ack: Ack) -> None:
    query = " ".join((command.get("text") or "").split())
    if not query:
        ack(response_type="ephemeral", text="Usage: /faq words to search for, e.g. /faq rollback plan")
        return
    if len(query) > MAX_QUERY:
        ack(response_type="ephemeral", text=f"That search is too long; keep it under {MAX_QUERY} characters.")
        return
    result = app.searcher.search(query, k=3)
    hits: list[Hit] = list(result.hits)
    ack(
        response_type="ephemeral",
        text=escape(f"FAQ matches for: {query}"),
        blocks=blocks.faq_matches(query, hits, result.good),
    )


def post_faq_answer(app: AppContext, body: dict, client: WebClient) -> None:
    """The /faq result's button: the entry's answer, with its source, posted to the channel for everyone."""
    reply = answer_entry(app.searcher, body["actions"][0]["value"])
    if reply.kind != "answer":
        client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], text=ENTRY_GONE)
        return
    client.chat_postMessage(
        channel=body["channel"]["id"], text=escape(reply.text), blocks=blocks.faq_answer(reply.text, body["user"]["id"])
    )


def status_table(app: AppContext) -> tuple[str, str]:
    status = phase_status.snapshot(app.settings)
    return format_table(STATUS_HEADERS, status_rows(status.states)), when(status.now)


def phase(app: AppContext, command: dict, ack: Ack) -> None:
    words = (command.get("text") or "").split()
    if not words:
        table, as_of = status_table(app)
        ack(response_type="ephemeral", text=escape(table), blocks=blocks.status_table(table, as_of))
        return
    if words[0] != "set" or len(words) < 3:
        ack(response_type="ephemeral", text=PHASE_USAGE)
        return
    if not app.staff.is_staff(command["user_id"]):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    ref, state, rest = words[1], words[2].lower(), words[3:]
    try:
        until = None
        if rest[:1] == ["until"] and len(rest) >= 2:
            until, rest = parse_instant(rest[1], setting="until"), rest[2:]
        found = schedule.find_phase(schedule.load_migrations(app.settings.faq_db), ref)
        with state_database(app.settings.state_store) as db:
            phase_status.report(
                db, found, state, app.settings.clock.now(), by=command["user_id"], note=" ".join(rest), until=until
            )
    except HelpdeskError as exc:
        ack(response_type="ephemeral", text=escape(f"Nothing recorded: {exc}"))
        return
    ack(
        response_type="ephemeral",
        text=escape(
            f"Recorded: {found.label} ({found.migration}) {state}." + (f" Until {when(until)}." if until else "")
        ),
    )


def escalations_command(app: AppContext, command: dict, ack: Ack) -> None:
    """/escalations: the open cases and where each one's paging stands (staff only: they hold customers' details)."""
    if not app.staff.is_staff(command["user_id"]):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    with state_database(app.settings.state_store) as db:
        cases = escalations.listing(db, open_only=True)
        rota = oncall.current_rota(db)
    ack(response_type="ephemeral", text=blocks.open_cases(cases, rota, app.settings.clock.now()))


def oncall_command(app: AppContext, command: dict, ack: Ack) -> None:
    words = (command.get("text") or "").split()
    if not words:
        with state_database(app.settings.state_store) as db:
            rota = oncall.rota_in_force(app.settings.faq_db, db, app.settings.clock.now())
        ack(response_type="ephemeral", text=blocks.rota_text(rota))
        return
    mention = USER_MENTION.match(words[2]) if len(words) >= 3 else None
    if words[0] != "set" or not words[1].isdigit() or not mention:
        ack(response_type="ephemeral", text=ONCALL_USAGE)
        return
    if not app.staff.is_staff(command["user_id"]):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    user_id, name = mention.group(1), mention.group(2) or mention.group(1)
    try:
        with state_database(app.settings.state_store) as db:
            oncall.change_step(
                db,
                int(words[1]),
                name,
                user_id,
                " ".join(words[3:]),
                by=command["user_id"],
                now=app.settings.clock.now(),
            )
            rota = oncall.rota_in_force(app.settings.faq_db, db, app.settings.clock.now())
    except HelpdeskError as exc:
        ack(response_type="ephemeral", text=escape(f"Nothing changed: {exc}"))
        return
    ack(response_type="ephemeral", text=blocks.rota_text(rota))
