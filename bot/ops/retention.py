"""Retention for Rasa's tracker store: conversations silent for longer than the retention are deleted.

Rasa's SQLTrackerStore (endpoints.yml) keeps every event of every conversation in one table, `events`
(sender_id, type_name, timestamp in float seconds, ...), for ever. A conversation is deleted whole, and
only when its latest event is older than the cut-off: one still in use keeps its whole history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from core.db import Location, open_database, write_transaction

# The conversations whose latest event is before the cut-off (one row per conversation).
_SILENT_CONVERSATIONS = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"


@dataclass(frozen=True)
class PruneReport:
    cutoff: datetime  # conversations with no event since this instant were deleted
    conversations: int = 0
    events: int = 0


def prune_tracker(conversations: Location, older_than: timedelta, now: datetime) -> PruneReport:
    """Delete every event of each conversation whose latest event is older than `now - older_than`.

    `conversations` is Rasa's tracker store: a SQLite file or a postgresql:// URL (Settings.conversations).
    One write transaction; a missing file or a database without Rasa's `events` table has nothing to prune
    (the file is not created). `now` should be aware: Rasa stamps events with the real time (time.time()).
    """
    cutoff = now - older_than
    if isinstance(conversations, Path) and not conversations.is_file():
        return PruneReport(cutoff)
    db = open_database(conversations)
    try:
        with write_transaction(db, exclusive=False):  # Rasa's events: the helpdesk's writers need not wait
            if not db["events"].exists():
                return PruneReport(cutoff)
            params = {"cutoff": cutoff.timestamp()}
            silent = db.execute(f"SELECT COUNT(*) FROM ({_SILENT_CONVERSATIONS}) AS silent", params).fetchone()[0]
            if not silent:
                return PruneReport(cutoff)
            deleted = db.execute(f"DELETE FROM events WHERE sender_id IN ({_SILENT_CONVERSATIONS})", params)
            return PruneReport(cutoff, conversations=silent, events=deleted.rowcount)
    finally:
        db.close()
