"""The Rasa server's tracker store (actions/tracker_store.py) serves what Rasa's SQLTrackerStore would, from memory
while the database holds nothing newer. Real SQLite files, written by Rasa's own store where "someone else" writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions.tracker_store import RememberingSQLTrackerStore


def said(tracker: DialogueStateTracker | None) -> list[str]:
    return [event.text for event in tracker.events if isinstance(event, UserUttered)] if tracker else []


def turn(text: str) -> list:
    return [UserUttered(text, intent={"name": "faq", "confidence": 1.0}), ActionExecuted("action_listen")]


@pytest.fixture
def stores(tmp_path: Path, monkeypatch) -> tuple[RememberingSQLTrackerStore, SQLTrackerStore, list[str]]:
    """The remembering store, Rasa's own store on the same file (someone else), and the rebuilds from the database."""
    path = str(tmp_path / "tracker.db")
    rebuilt: list[str] = []
    rebuild = SQLTrackerStore._retrieve

    async def counted(self, sender_id, fetch_events_from_all_sessions):
        rebuilt.append(sender_id)
        return await rebuild(self, sender_id, fetch_events_from_all_sessions)

    monkeypatch.setattr(SQLTrackerStore, "_retrieve", counted)
    domain = Domain.empty()
    return (
        RememberingSQLTrackerStore(domain=domain, dialect="sqlite", db=path),
        SQLTrackerStore(domain=domain, dialect="sqlite", db=path),
        rebuilt,
    )


def test_a_saved_conversation_is_served_from_memory_with_the_same_events(stores):
    store, rasa_store, rebuilt = stores
    tracker = DialogueStateTracker.from_events("ana", [ActionExecuted("action_listen"), *turn("is the api down now?")])
    asyncio.run(store.save(tracker))
    for _ in range(3):
        served = asyncio.run(store.retrieve("ana"))
        served.update(UserUttered("changed by the caller"))  # a copy: what is remembered stays as saved
    assert said(asyncio.run(store.retrieve("ana"))) == ["is the api down now?"]
    assert rebuilt == []
    assert said(asyncio.run(rasa_store.retrieve("ana"))) == ["is the api down now?"]  # the database has it too


def test_events_written_by_someone_else_are_never_missed(stores):
    store, rasa_store, rebuilt = stores
    asyncio.run(store.save(DialogueStateTracker.from_events("ana", [ActionExecuted("action_listen"), *turn("hi")])))
    elsewhere = asyncio.run(rasa_store.retrieve("ana"))
    for event in turn("when does the window end?"):
        elsewhere.update(event)
    asyncio.run(rasa_store.save(elsewhere))
    rebuilt.clear()
    assert said(asyncio.run(store.retrieve("ana"))) == ["hi", "when does the window end?"]
    assert rebuilt == ["ana"]


def test_a_tracker_holding_an_earlier_session_is_read_from_the_database(stores):
    store, _, rebuilt = stores
    events = [ActionExecuted("action_listen"), *turn("old question"), ActionExecuted("action_session_start")]
    events += [SessionStarted(), ActionExecuted("action_listen"), *turn("new question")]
    asyncio.run(store.save(DialogueStateTracker.from_events("ana", events)))
    assert said(asyncio.run(store.retrieve("ana"))) == ["new question"]  # this session only, as Rasa's store
    assert rebuilt == ["ana"]


def test_a_new_models_domain_forgets_every_remembered_tracker(stores):
    store, _, rebuilt = stores
    asyncio.run(store.save(DialogueStateTracker.from_events("ana", [ActionExecuted("action_listen"), *turn("hi")])))
    store.domain = Domain.empty()  # what Rasa does when it loads another model
    asyncio.run(store.retrieve("ana"))
    assert rebuilt == ["ana"]


def test_an_unknown_conversation_is_none(stores):
    store, _, _ = stores
    assert asyncio.run(store.retrieve("nobody")) is None
