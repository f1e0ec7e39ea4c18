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


def conversation(store: SQLTrackerStore, sender: str, events: list) -> DialogueStateTracker:
    """A tracker as the Rasa server builds it: with the slots of the store's domain."""
    return DialogueStateTracker.from_events(sender, events, slots=store.domain.slots)


def turn(text: str) -> list:
    return [UserUttered(text, intent={"name": "faq", "confidence": 1.0}), ActionExecuted("action_listen")]


@pytest.fixture
def rebuilt(monkeypatch) -> list[str]:
    """The conversations Rasa's store rebuilt from the database, in order."""
    rebuilds: list[str] = []
    rebuild = SQLTrackerStore._retrieve

    async def counted(self, sender_id, fetch_events_from_all_sessions):
        rebuilds.append(sender_id)
        return await rebuild(self, sender_id, fetch_events_from_all_sessions)

    monkeypatch.setattr(SQLTrackerStore, "_retrieve", counted)
    return rebuilds


@pytest.fixture
def stores(tmp_path: Path, rebuilt: list[str]) -> tuple[RememberingSQLTrackerStore, SQLTrackerStore, list[str]]:
    """The remembering store, Rasa's own store on the same file (someone else), and the rebuilds from the database."""
    path = str(tmp_path / "tracker.db")
    domain = Domain.empty()
    return (
        RememberingSQLTrackerStore(domain=domain, dialect="sqlite", db=path),
        SQLTrackerStore(domain=domain, dialect="sqlite", db=path),
        rebuilt,
    )


def test_a_saved_conversation_is_served_from_memory_with_the_same_events(stores):
    store, rasa_store, rebuilt = stores
    tracker = conversation(store, "ana", [ActionExecuted("action_listen"), *turn("is the api down now?")])
    asyncio.run(store.save(tracker))
    for _ in range(3):
        served = asyncio.run(store.retrieve("ana"))
        served.update(UserUttered("changed by the caller"))  # a copy: what is remembered stays as saved
    assert said(asyncio.run(store.retrieve("ana"))) == ["is the api down now?"]
    assert rebuilt == []
    assert said(asyncio.run(rasa_store.retrieve("ana"))) == ["is the api down now?"]  # the database has it too


def test_events_written_by_someone_else_are_never_missed(stores):
    store, rasa_store, rebuilt = stores
    asyncio.run(store.save(conversation(store, "ana", [ActionExecuted("action_listen"), *turn("hi")])))
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
    asyncio.run(store.save(conversation(store, "ana", events)))
    assert said(asyncio.run(store.retrieve("ana"))) == ["new question"]  # this session only, as Rasa's store
    assert rebuilt == ["ana"]


NEW_MODEL = Domain.from_dict({"slots": {"handoff_ref": {"type": "text", "mappings": [{"type": "custom"}]}}})


def test_a_new_models_domain_forgets_every_remembered_tracker(stores):
    store, _, rebuilt = stores
    asyncio.run(store.save(conversation(store, "ana", [ActionExecuted("action_listen"), *turn("hi")])))
    store.domain = NEW_MODEL  # what Rasa does when it loads another model
    assert "handoff_ref" in asyncio.run(store.retrieve("ana")).slots
    assert rebuilt == ["ana"]


def test_a_turn_that_began_under_the_old_model_is_saved_but_not_remembered(stores):
    store, _, rebuilt = stores
    begun = conversation(store, "ana", [ActionExecuted("action_listen"), *turn("hi")])
    store.domain = NEW_MODEL
    asyncio.run(store.save(begun))
    assert "handoff_ref" in asyncio.run(store.retrieve("ana")).slots
    assert rebuilt == ["ana"]


def test_past_the_events_limit_the_least_recently_used_conversation_is_read_from_the_database(tmp_path, rebuilt):
    store = RememberingSQLTrackerStore(domain=Domain.empty(), db=str(tmp_path / "t.db"), remembered_events=9)
    for sender in ("ana", "ben"):  # 5 events each: both would be 10
        asyncio.run(store.save(conversation(store, sender, [ActionExecuted("action_listen"), *turn("a"), *turn("b")])))
    asyncio.run(store.retrieve("ben"))
    asyncio.run(store.retrieve("ana"))
    assert rebuilt == ["ana"]


def test_an_unknown_conversation_is_none(stores):
    store, _, _ = stores
    assert asyncio.run(store.retrieve("nobody")) is None
