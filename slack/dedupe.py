"""Slack resends an event it got no answer to within 3 s (same event_id, header X-Slack-Retry-Num): each event
is handled at most once, by whichever copy arrives first; later copies are acknowledged and dropped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from slack_bolt import BoltResponse

from core.db import Database, Table, write_transaction
from core.schema import open_state_db

logger = logging.getLogger(__name__)
TABLE = "slack_events_seen"
KEEP = timedelta(days=1)  # Slack gives up retrying after minutes; a day keeps the table small with room to spare


def _table(db: Database) -> Table:
    return db[TABLE]  # event_id is its primary key: of two copies inserted at once, the second is ignored


def first_sighting(state_db: Path, event_id: str, now: datetime) -> bool:
    """Record `event_id` as seen at `now` (forgetting ids seen over a day before); True when no copy was seen yet."""
    db = open_state_db(state_db)
    try:
        with write_transaction(db):
            _table(db)
            # Aware UTC instants in one ISO format compare correctly as text.
            db.execute(f"DELETE FROM {TABLE} WHERE seen_at < ?", [(now - KEEP).isoformat()])
            inserted = db.execute(
                f"INSERT INTO {TABLE} (event_id, seen_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [event_id, now.isoformat()],
            )
            return inserted.rowcount == 1
    finally:
        db.close()


def drop_retries(state_db: Path) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that lets an Events API event through only the first time its event_id comes."""

    def middleware(body: dict, next_: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        # Wall-clock time, not the app's clock: retries are a matter of real minutes even when HELPDESK_NOW is fixed.
        if event_id and not first_sighting(state_db, str(event_id), datetime.now(timezone.utc)):
            logger.info("Slack event %s was already handled; its retry is acknowledged and dropped", event_id)
            return BoltResponse(status=200, body="")
        return next_()

    return middleware
