"""The Home tab: the migrations and the state of each phase, republished when a state changes; for staff, also
the questions to review (bot/answers/review.py) with a Teach menu each."""

from __future__ import annotations

import logging
from typing import Iterator

from slack_sdk import WebClient

from bot.status import phase_status
from bot.status.status_replies import when, window_text
from core.db import write_transaction
from core.errors import HelpdeskError
from core.schema import state_database
from helpdesk_slack import blocks, offers
from helpdesk_slack.context import AppContext

logger = logging.getLogger(__name__)
REVIEW_DAYS = 7  # the Home's review section covers the questions of the last week
REVIEW_SHOWN = 5  # ... and shows the newest groups (/review lists more)


VIEWERS = "slack_home_viewers"


def view_and_fingerprint(app: AppContext) -> tuple[dict, str]:
    """The Home view now, as everyone sees it, and a fingerprint of the states it shows (to notice a change)."""
    status = phase_status.snapshot(app.settings)
    migrations, now, states = status.migrations, status.now, status.states
    rows = [(s.phase.migration, s.phase.label, window_text(s), s.state, s.note) for s in states]
    sections = [(m.title, [row[1:] for row in rows if row[0] == m.key]) for m in migrations]
    fingerprint = [(s.phase.ref, s.state, window_text(s), s.note) for s in states]
    return blocks.home_view(sections, when(now)), repr(fingerprint)


def review_section(app: AppContext, note: str | None = None) -> list[dict]:
    """The staff's section: how many groups went badly this week and the newest few, each with its Teach menu.
    A fault reading the tracker store is shown in the section; the rest of the Home tab still appears."""
    try:
        items = offers.questions(app, REVIEW_DAYS)
        cards = offers.cards(app, items[:REVIEW_SHOWN])
    except HelpdeskError as exc:
        return blocks.home_review([], 0, REVIEW_DAYS, problem=str(exc), note=note)
    except Exception:  # the Home's edge: the migration status must not go down with the review
        logger.exception("The Home tab's questions to review failed")
        return blocks.home_review(
            [], 0, REVIEW_DAYS, problem="reading them failed; see the Slack app's log.", note=note
        )
    return blocks.home_review([(card.item, card.options) for card in cards], len(items), REVIEW_DAYS, note=note)


def views_for(app: AppContext, users: list[str], view: dict, note: str | None = None) -> Iterator[tuple[str, dict]]:
    """Each user's Home: `view`, with the review section for staff (worked out once for them all)."""
    section: list[dict] | None = None
    for user in users:
        if app.staff.is_staff(user):
            if section is None:
                section = review_section(app, note)
            yield user, blocks.with_review(view, section)
        else:
            yield user, view


def publish(app: AppContext, client: WebClient, user: str, note: str | None = None) -> None:
    """Publish `user`'s Home now; `note` (staff) heads the questions to review."""
    view, _ = view_and_fingerprint(app)
    for viewer, personal in views_for(app, [user], view, note):
        client.views_publish(user_id=viewer, view=personal)


def opened(app: AppContext, event: dict, client: WebClient) -> None:
    if event.get("tab", "home") != "home":
        return
    with state_database(app.settings.state_store) as db, write_transaction(db):
        db[VIEWERS].insert({"user": event["user"]}, ignore=True)
    publish(app, client, event["user"])


def viewers(app: AppContext) -> list[str]:
    """Everyone who has opened the Home tab."""
    with state_database(app.settings.state_store) as db:
        return [row["user"] for row in db[VIEWERS].rows]
