"""The Rasa server's tracker store (endpoints.yml): Rasa's SQLTrackerStore, remembering the trackers it served.

Rasa rebuilds a conversation's tracker from every event of its session on each message, turning each row's
JSON back into an event: 45 ms at message 200 of a conversation (bench/profile_turn.py). This store keeps,
per conversation, the tracker it last read or saved, and serves a copy of it while the database holds
nothing newer: every read compares the conversation's newest event id (one indexed query), so events
written by anyone else (another Rasa process, `helpdesk purge`) are never missed, and a tracker is only
remembered when it holds exactly what a read from the database would give (this session's events).

rasa_sdk imports every module of the `actions` package into the action server, this one too: it only defines
a class there.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

REMEMBERED_CONVERSATIONS = 1000  # trackers kept; the least recently used one goes first
# Events kept in all (about 0.4 KB each in memory): a few very long conversations must not hold the memory.
REMEMBERED_EVENTS = 200_000


def database_arguments(url: str) -> dict[str, Any]:
    """SQLTrackerStore's arguments for a database address: sqlite:////path/tracker.db or
    postgresql://user:password@host:port/database (Settings.tracker_store_url)."""
    parts = sa.engine.make_url(url)
    return {
        "dialect": parts.get_backend_name(),
        "host": parts.host,
        "port": parts.port,
        "db": parts.database,
        "username": parts.username,
        "password": parts.password,
        "query": dict(parts.query),  # e.g. sslmode=verify-full
    }


class RememberingSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (same table, same rows) serving unchanged conversations from memory.

    endpoints.yml gives it one address (`url`, which Rasa passes on as `host`) instead of SQLTrackerStore's parts."""

    def __init__(
        self,
        *args: Any,
        host: str | None = None,
        remembered_conversations: int = REMEMBERED_CONVERSATIONS,
        remembered_events: int = REMEMBERED_EVENTS,
        **kwargs: Any,
    ) -> None:
        self._remembered: OrderedDict[str, tuple[int, DialogueStateTracker]] = OrderedDict()
        self._events = 0
        self._limits = (int(remembered_conversations), int(remembered_events))
        if host and "://" in host:
            kwargs.update(database_arguments(host))
        elif host:
            kwargs["host"] = host
        super().__init__(*args, **kwargs)

    @SQLTrackerStore.domain.setter
    def domain(self, domain: Any) -> None:
        SQLTrackerStore.domain.fset(self, domain)
        self._forget_all()  # a new model's domain: trackers built with the old one's slots are stale

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        newest = self._newest_event_id(sender_id)
        remembered = self._recall(sender_id)
        if remembered and newest is not None and remembered[0] == newest:
            return remembered[1].copy()
        tracker = await super().retrieve(sender_id)
        if tracker is not None and newest is not None:
            self._remember(sender_id, newest, tracker)
        else:
            self._forget(sender_id)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        newest, in_session = self._latest_session(tracker.sender_id)
        if newest is not None and in_session == len(tracker.events):
            self._remember(tracker.sender_id, newest, tracker)
        else:  # it holds an earlier session too: a read from the database would not give the same
            self._forget(tracker.sender_id)

    def _recall(self, sender_id: str) -> tuple[int, DialogueStateTracker] | None:
        remembered = self._remembered.get(sender_id)
        if remembered:
            self._remembered.move_to_end(sender_id)
        return remembered

    def _remember(self, sender_id: str, newest: int, tracker: DialogueStateTracker) -> None:
        self._forget(sender_id)
        if set(tracker.slots) != {slot.name for slot in self.domain.slots}:
            return  # built with another model's domain (a turn that began before a reload)
        self._remembered[sender_id] = (newest, tracker.copy())
        self._events += len(tracker.events)
        conversations, events = self._limits
        while self._remembered and (len(self._remembered) > conversations or self._events > events):
            self._forget(next(iter(self._remembered)))

    def _forget(self, sender_id: str) -> None:
        forgotten = self._remembered.pop(sender_id, None)
        if forgotten:
            self._events -= len(forgotten[1].events)

    def _forget_all(self) -> None:
        self._remembered.clear()
        self._events = 0

    def _newest_event_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _latest_session(self, sender_id: str) -> tuple[int | None, int]:
        """(the conversation's newest event id, how many events its latest session has) from the database."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).order_by(None)
            count, newest = query.with_entities(sa.func.count(self.SQLEvent.id), sa.func.max(self.SQLEvent.id)).one()
            return newest, int(count)
