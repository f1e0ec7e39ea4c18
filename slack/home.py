"""The Home tab: the migrations and the state of each phase, republished when a state changes."""
from __future__ import annotations

from slack_sdk import WebClient

from bot import phase_status, schedule
from core.db import connect, ensure_table, write_transaction
from bot.status_replies import when, window_text
from helpdesk_slack import blocks
from helpdesk_slack.context import AppContext


def _viewers(app: AppContext):
    return ensure_table(connect(app.settings.state_db), "slack_home_viewers", {"user": str}, pk="user")


def view_and_fingerprint(app: AppContext) -> tuple[dict, str]:
    """The Home view now, and a fingerprint of the states it shows (to notice a change)."""
    migrations = schedule.load_migrations(app.settings.faq_db)
    now = app.clock.now()
    states = phase_status.states(app.settings.state_db, [p for m in migrations for p in m.phases], now)
    rows = [(s.phase.migration, s.phase.label, window_text(s), s.state, s.note) for s in states]
    sections = [(m.title, [row[1:] for row in rows if row[0] == m.key]) for m in migrations]
    fingerprint = [(s.phase.ref, s.state, window_text(s), s.note) for s in states]
    return blocks.home_view(sections, when(now)), repr(fingerprint)


def publish(app: AppContext, client: WebClient, user: str) -> None:
    view, _ = view_and_fingerprint(app)
    client.views_publish(user_id=user, view=view)


def opened(app: AppContext, event: dict, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    table = _viewers(app)
    with write_transaction(table.db):
        table.insert({"user": event["user"]}, ignore=True)
    publish(app, client, event["user"])


def viewers(app: AppContext) -> list[str]:
    """Everyone who has opened the Home tab."""
    return [row["user"] for row in _viewers(app).rows]
