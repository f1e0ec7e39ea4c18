"""The Rasa server's lock store (endpoints.yml): Rasa handles one conversation's messages one at a time, in the
order of the tickets its lock store issues. With one Rasa process the locks live in its memory; with several
behind a load balancer (README "Several servers") they must be shared, so they live in Redis
(HELPDESK_REDIS_URL), as Rasa's chart deploys it.

Rasa's own RedisLockStore reads a lock, changes it and writes it back in three steps, so two Rasa processes
taking a ticket for the same conversation at once can both get the same one and handle two messages
together. Here each change is one step: an optimistic Redis transaction (WATCH) that is retried when another
process changed the lock in between.
"""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any, Callable, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore

from core.settings import Settings

T = TypeVar("T")
# How often a message waiting behind another of the same conversation looks again (Rasa's default is a second).
WAIT_SECONDS = 0.05
# A lock left behind by a process that died is dropped by Redis after this long (its tickets expired long before).
ABANDONED_SECONDS = 3600


class HelpdeskLockStore(LockStore):
    """Ticket locks in Redis when HELPDESK_REDIS_URL is set, in this process's memory otherwise."""

    def __init__(self, endpoint_config: Any = None, settings: Settings | None = None) -> None:
        settings = settings or Settings.from_env()
        self.redis = redis.Redis.from_url(settings.redis_url, socket_timeout=5) if settings.redis_url else None
        self.prefix = f"{settings.redis_prefix}:lock:"
        self.memory: dict[str, TicketLock] = {}

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        if self.redis is None:
            return self.memory.get(conversation_id)
        stored = self.redis.get(self.prefix + conversation_id)
        return TicketLock.from_dict(json.loads(stored)) if stored else None

    def save_lock(self, lock: TicketLock) -> None:
        self._change(lock.conversation_id, lambda stored: _replace(stored, lock))

    def delete_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.tickets.clear())

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, lambda lock: lock.issue_ticket(lock_lifetime))
        except redis.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        self._change(conversation_id, lambda lock: lock.remove_expired_tickets())

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, lambda lock: lock.remove_ticket_for(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        self.finish_serving(conversation_id, ticket_number)  # a lock left with no ticket is deleted as it is written

    def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = WAIT_SECONDS
    ) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)

    def _change(self, conversation_id: str, change: Callable[[TicketLock], T]) -> T:
        """Read one conversation's lock (a new one if there is none), change it, and write it back (delete it when
        no ticket is left) as one step."""
        if self.redis is None:  # one event loop: nothing runs between these lines
            lock = self.memory.get(conversation_id) or self.create_lock(conversation_id)
            result = change(lock)
            if lock.tickets:
                self.memory[conversation_id] = lock
            else:
                self.memory.pop(conversation_id, None)
            return result
        key = self.prefix + conversation_id

        def attempt(pipe: redis.client.Pipeline) -> T:
            stored = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(stored)) if stored else self.create_lock(conversation_id)
            result = change(lock)
            pipe.multi()
            if lock.tickets:
                pipe.set(key, lock.dumps(), ex=ABANDONED_SECONDS)
            else:
                pipe.delete(key)
            return result

        return self.redis.transaction(attempt, key, value_from_callable=True)


def _replace(stored: TicketLock, lock: TicketLock) -> None:
    stored.tickets.clear()
    stored.tickets.extend(lock.tickets)
