"""The Rasa server's lock store (actions/lock_store.py) on a real Redis server, as two Rasa processes share it."""

from __future__ import annotations

import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import redis

from actions.lock_store import HelpdeskLockStore, redis_arguments
from bot.ops.local_bot import free_port
from core.errors import ConfigError
from core.settings import Settings


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(folder), "--requirepass", "lock-test"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:lock-test@127.0.0.1:{port}/0"
    client = redis.Redis(**redis_arguments(url))
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)


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
    assert redis.Redis(**redis_arguments(redis_url)).exists("helpdesk:lock:prefixed")


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
