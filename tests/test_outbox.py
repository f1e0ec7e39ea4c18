"""The outbox shared by several senders (two workers, two Slack apps): each message is sent once."""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from core import outbox
from core.clock import Clock
from core.db import Location, write_transaction
from core.schema import open_state_db

NOW = datetime(2020, 9, 8, 10, 30, tzinfo=timezone.utc)  # the helpdesk's clock, held still as HELPDESK_NOW does


def queue(state: Location, count: int) -> None:
    db = open_state_db(state)
    with write_transaction(db):
        for n in range(count):
            outbox.add(db, f"page:ESC-{n:04d}:1", "page", {"n": n}, NOW)
    db.close()


def drain_into(state: Location, sent_log: Path) -> None:
    """One sender: drains the outbox, writing each key it sends to `sent_log` (slowly, as Slack answers)."""
    db = open_state_db(state)

    def send(message: outbox.OutboxMessage) -> None:
        time.sleep(0.002)
        with open(sent_log, "a") as log:
            log.write(message.key + "\n")

    while outbox.pending(db, ["page"]):
        outbox.drain(db, send, NOW, kinds=["page"])
    db.close()


def test_two_senders_draining_one_outbox_send_each_message_exactly_once_and_in_order(
    tmp_path: Path, state_location: Location
):
    state, sent_log = state_location, tmp_path / "sent.log"
    queue(state, 200)
    senders = [multiprocessing.Process(target=drain_into, args=(state, sent_log)) for _ in range(2)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(timeout=120)
    assert [sender.exitcode for sender in senders] == [0, 0]
    sent = sent_log.read_text().split()
    assert sent == [f"page:ESC-{n:04d}:1" for n in range(200)]  # every one, none twice, in the order queued


def test_one_sender_at_a_time_has_the_turn_at_a_group_of_kinds(state_location: Location):
    db = open_state_db(state_location)
    wall = Clock().now()
    until = wall + outbox.CLAIM_LEASE
    assert outbox.take_turn(db, "page", "worker-a", until, wall)
    assert not outbox.take_turn(db, "page", "worker-b", until, wall)
    assert outbox.take_turn(db, "relay", "worker-b", until, wall)  # other kinds: a turn of their own
    outbox.end_turn(db, "page", "worker-a")
    assert outbox.take_turn(db, "page", "worker-b", until, wall)
    later = until + timedelta(seconds=1)  # worker-b died with the turn
    assert outbox.take_turn(db, "page", "worker-a", later + outbox.CLAIM_LEASE, later)


def test_a_message_claimed_by_a_sender_is_left_alone_until_its_claim_expires(state_location: Location):
    state = state_location
    queue(state, 1)
    db = open_state_db(state)
    message = outbox.pending(db, ["page"])[0]
    wall = Clock().now()
    assert outbox.claim(db, message, "worker-a", wall + outbox.CLAIM_LEASE, wall)
    assert not outbox.claim(db, message, "worker-b", wall + outbox.CLAIM_LEASE, wall)
    assert outbox.drain(db, lambda m: None, NOW, kinds=["page"]).sent == []  # held by worker-a, which may be sending
    later = wall + outbox.CLAIM_LEASE + timedelta(seconds=1)  # worker-a died holding it
    assert outbox.claim(db, message, "worker-b", later + outbox.CLAIM_LEASE, later)


def test_a_claim_runs_on_the_real_clock_while_the_helpdesks_clock_stands_still(state_location: Location):
    state = state_location
    queue(state, 1)
    db = open_state_db(state)
    message = outbox.pending(db, ["page"])[0]
    long_ago = Clock().now() - outbox.CLAIM_LEASE - timedelta(minutes=1)
    assert outbox.claim(db, message, "dead-worker", long_ago + outbox.CLAIM_LEASE, long_ago)
    assert outbox.drain(db, lambda m: None, NOW, kinds=["page"]).sent == ["page:ESC-0000:1"]
    assert outbox.pending(db, ["page"]) == []
