"""The web chat's socket.io rooms shared through Redis (actions/channels.py: JsonRedisManager), on a real Redis."""

from __future__ import annotations

import asyncio
import pickle
import time

import redis

from actions.channels import JsonRedisManager

CHANNEL = "test:socketio"


def test_replicas_pass_messages_as_json_and_never_unpickle_what_they_read(redis_url: str):
    raw = redis.Redis.from_url(redis_url)

    async def scenario() -> dict:
        manager = JsonRedisManager(redis_url, channel=CHANNEL)
        listening = manager._listen()
        first = asyncio.ensure_future(listening.__anext__())
        deadline = time.monotonic() + 5
        while raw.pubsub_numsub(CHANNEL)[0][1] < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # until the listener has subscribed
        raw.publish(CHANNEL, pickle.dumps({"method": "emit", "event": "pickled"}))  # what the library would run
        await manager._publish({"method": "emit", "event": "bot_uttered", "room": "web-1"})
        return await asyncio.wait_for(first, 5)

    assert asyncio.run(scenario()) == {"method": "emit", "event": "bot_uttered", "room": "web-1"}
