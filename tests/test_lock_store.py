"""The Rasa server's lock store (actions/lock_store.py) on a real Redis server, as two Rasa processes share it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from actions.lock_store import HelpdeskLockStore
from core.errors import ConfigError
from core.settings import Settings


def store(url: str | None) -> HelpdeskLockStore:
    return HelpdeskLockStore(settings=Settings.from_env({"HELPDESK_REDIS_URL": url or ""}))


def test_two_rasa_processes_taking_tickets_at_once_never_get_the_same_one(redis_url: str):
    first, second = store(redis_url), store(redis_url)
    with ThreadPoolExecutor(8) as pool:
        tickets = list(pool.map(lambda n: (first, second)[n % 2].issue_ticket("crowded"), range(200)))
    assert sorted(tickets) == list(range(200))


def test_a_lock_is_gone_once_its_last_ticket_is_served(redis_url: str):
    first, second = store(redis_url), store(redis_url)
    one, two = first.issue_ticket("served"), second.issue_ticket("served")
    first.cleanup("served", one)
    assert second.get_lock("served").is_locked(two) is False  # the next in line may go
    second.cleanup("served", two)
    assert first.get_lock("served") is None


def test_the_keys_carry_the_prefix(redis_url: str):
    store(redis_url).issue_ticket("prefixed")
    assert redis.Redis.from_url(redis_url).exists("helpdesk:lock:prefixed")


def test_two_rasa_processes_handle_one_conversations_messages_one_at_a_time(redis_url: str):
    first, second = store(redis_url), store(redis_url)
    handled: list[tuple[str, int]] = []

    async def handle(lock_store: HelpdeskLockStore, message: int) -> None:
        async with lock_store.lock("one-at-a-time"):
            handled.append(("start", message))
            await asyncio.sleep(0.05)  # the turn's work, while the other process's message waits
            handled.append(("end", message))

    async def both() -> None:
        await asyncio.gather(handle(first, 1), handle(second, 2), handle(first, 3))

    asyncio.run(both())
    assert handled == [("start", 1), ("end", 1), ("start", 2), ("end", 2), ("start", 3), ("end", 3)]


def test_without_redis_the_locks_live_in_memory():
    memory = store(None)
    assert memory.redis is None
    ticket = memory.issue_ticket("alone")
    assert memory.get_lock("alone").now_serving == ticket
    memory.cleanup("alone", ticket)
    assert memory.get_lock("alone") is None


def test_a_database_or_redis_address_of_the_wrong_kind_is_refused_without_echoing_it():
    with pytest.raises(ConfigError, match="HELPDESK_DATABASE_URL is not a postgresql://") as refused:
        Settings.from_env({"HELPDESK_DATABASE_URL": "mysql://user:s3cret@db/helpdesk"})
    assert "s3cret" not in str(refused.value)
    with pytest.raises(ConfigError, match="HELPDESK_REDIS_URL"):
        Settings.from_env({"HELPDESK_REDIS_URL": "localhost:6379"})
    with pytest.raises(ConfigError, match="HELPDESK_REDIS_PREFIX"):
        Settings.from_env({"HELPDESK_REDIS_PREFIX": "help:desk"})
