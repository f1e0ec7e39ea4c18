"""The paging chain at a fixed clock (bot/escalation/chain.py): steps, rounds, the chain's end, reminders to
whoever acknowledged, and keys that page nobody twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.escalation import chain, escalations
from bot.escalation.oncall import Rota, Step, load_rota
from core import outbox
from core.clock import parse_instant
from core.db import Database

T0 = parse_instant("2020-09-08T10:30:00Z")
PRIMARY = Step("Primary on-call engineer", "Tama", "U0TAMA", "+64 4 498 6000")
HEAD = Step("Head of Service Delivery", "Lorelena", "U0HEAD", "+64 21 844 538")
TWO_ROUNDS = Rota((PRIMARY, HEAD), timedelta(minutes=10), repeat=1, resolve_timeout=timedelta(minutes=60))


def minutes(n: float):
    return T0 + timedelta(minutes=n)


@pytest.fixture
def case(db: Database) -> escalations.Escalation:
    contact = {"name": "Ana", "company": "Kiwi Texts", "callback": "+64 21 555 0199"}
    return escalations.create(db, "web-1", contact, "API down", [], TWO_ROUNDS, T0).case


def pages(db: Database) -> list[tuple[str, str]]:
    return [(m["key"], json.loads(m["payload"])["role"]) for m in outbox.pending(db, ["page"])]


def test_after_the_last_step_the_whole_rota_is_paged_again_for_each_repeat(db: Database, case):
    assert chain.advance(db, TWO_ROUNDS, minutes(10)).paged == [case.ref]  # round 1, the head
    assert chain.advance(db, TWO_ROUNDS, minutes(20)).paged == [case.ref]  # round 2, the primary again
    assert chain.advance(db, TWO_ROUNDS, minutes(30)).paged == [case.ref]  # round 2, the head again
    assert pages(db) == [
        (f"page:{case.ref}:0", PRIMARY.role),
        (f"page:{case.ref}:1", HEAD.role),
        (f"page:{case.ref}:1:0", PRIMARY.role),
        (f"page:{case.ref}:1:1", HEAD.role),
    ]
    moved = escalations.get(db, case.ref)
    assert (moved.round, moved.step) == (1, 1)


def test_when_the_last_round_goes_unanswered_the_support_channel_and_the_final_contact_are_told_once(
    db: Database, case
):
    for n in (10, 20, 30):
        chain.advance(db, TWO_ROUNDS, minutes(n))
    assert chain.advance(db, TWO_ROUNDS, minutes(39)).ended == []
    ended = chain.advance(db, TWO_ROUNDS, minutes(40))
    assert (ended.ended, ended.paged) == ([case.ref], [])
    [notice] = outbox.pending(db, ["chain_ended"])
    assert notice["key"] == f"chain_ended:{case.ref}"
    assert json.loads(notice["payload"]) == {
        "ref": case.ref,
        "rounds": 2,
        "role": HEAD.role,
        "slack_user": HEAD.slack_user,
        "phone": HEAD.phone,
    }
    later = chain.advance(db, TWO_ROUNDS, minutes(90))
    assert (later.paged, later.ended) == ([], [])  # told once; the case stays open for a person to take
    assert escalations.get(db, case.ref).status == "triggered"
    assert [e["what"] for e in escalations.history(db, case.ref)][-2:] == ["chain ended", "customer updated"]


def test_a_rota_without_repeats_ends_after_its_last_step(db: Database):
    once = Rota((PRIMARY,), timedelta(minutes=10))
    case = escalations.create(db, "web-2", {"name": "Ana"}, "down", [], once, T0).case
    assert chain.advance(db, once, minutes(10)).ended == [case.ref]


def test_an_acknowledged_case_still_open_after_the_resolve_timeout_reminds_its_acknowledger_each_time(
    db: Database, case
):
    escalations.acknowledge(db, case.ref, "tama", minutes(5))
    assert chain.advance(db, TWO_ROUNDS, minutes(64)).reminded == []
    assert chain.advance(db, TWO_ROUNDS, minutes(65)).reminded == [case.ref]
    assert chain.advance(db, TWO_ROUNDS, minutes(100)).reminded == []  # 35 min since the reminder
    assert chain.advance(db, TWO_ROUNDS, minutes(125)).reminded == [case.ref]
    reminders = outbox.pending(db, ["resolve_reminder"])
    assert [json.loads(m["payload"]) for m in reminders] == [
        {"ref": case.ref, "acknowledged_by": "tama", "minutes": 60},
        {"ref": case.ref, "acknowledged_by": "tama", "minutes": 120},
    ]
    escalations.resolve(db, case.ref, "tama", minutes(130))
    assert chain.advance(db, TWO_ROUNDS, minutes(300)).reminded == []


def test_a_round_repeated_by_a_second_worker_pages_nobody_twice(db: Database, case):
    listed = escalations.listing(db, open_only=True)
    assert chain.advance(db, TWO_ROUNDS, minutes(10)).paged == [case.ref]
    # a second worker that read the listing before the first moved the case finds it moved, and leaves it
    chain._move_on(db, listed[0], TWO_ROUNDS, minutes(10), chain.ChainReport())
    assert pages(db) == [(f"page:{case.ref}:0", PRIMARY.role), (f"page:{case.ref}:1", HEAD.role)]


def test_the_shipped_rota_repeats_twice_and_reminds_after_an_hour():
    rota = load_rota()
    assert rota.repeat == 2 and rota.resolve_timeout == timedelta(minutes=60)
    assert rota.final_contact.role == "Head of Service Delivery"


def test_without_the_faq_index_the_worker_still_pages_and_only_the_notices_wait(settings):
    from bot.ops import worker
    from core.schema import state_database

    assert not settings.faq_db.exists()
    with state_database(settings.state_store) as db:
        case = escalations.create(db, "web-3", {"name": "Ana"}, "down", [], load_rota(), T0).case
    report = worker.run_round(settings, minutes(10))
    assert report.chain.paged == [case.ref] and report.notices_queued == []


def updates(db: Database) -> list[tuple[str, str]]:
    """The customer updates queued (delivered or not), as (update, role)."""
    queued = [json.loads(m["payload"]) for m in db["outbox"].rows_where("kind = 'case_update'", order_by="id")]
    return [(p["update"], p.get("role", "")) for p in queued]


def the_chat_takes_the_updates(db: Database, at: float) -> None:
    """The worker delivered every customer update queued (through Rasa, without Rasa)."""
    outbox.drain(db, lambda message: None, minutes(at), kinds=["case_update"])


def slack_takes_the_pages(db: Database, at: float) -> None:
    """Slack accepted every page queued (the Slack app's delivery, without Slack)."""
    outbox.drain(db, lambda message: None, minutes(at), kinds=["page"])


def test_the_customer_hears_each_time_the_chain_moves_on_and_when_it_ends(db: Database, case):
    for n in (10, 20, 30, 40):
        slack_takes_the_pages(db, n - 9)
        chain.advance(db, TWO_ROUNDS, minutes(n))
    assert updates(db) == [
        ("moved_on", HEAD.role),
        ("moved_on", PRIMARY.role),
        ("moved_on", HEAD.role),
        ("chain_ended", ""),
    ]
    told = [e for e in escalations.history(db, case.ref) if e["what"] == "customer updated"]
    assert len(told) == 4  # every update is in the case's history


SLOW = Rota((PRIMARY, HEAD), timedelta(minutes=25), customer_update=timedelta(minutes=10))


def test_a_waiting_customer_hears_where_the_case_stands_every_ten_minutes_until_someone_acknowledges(db: Database):
    case = escalations.create(db, "web-2", {"contact_name": "Ana"}, "API down", [], SLOW, T0).case
    slack_takes_the_pages(db, 0)
    assert chain.advance(db, SLOW, minutes(9)).updated == []
    assert chain.advance(db, SLOW, minutes(10)).updated == [case.ref]
    assert chain.advance(db, SLOW, minutes(15)).updated == []
    assert chain.advance(db, SLOW, minutes(20)).updated == []  # the last one has not reached the chat yet
    the_chat_takes_the_updates(db, 20)
    assert chain.advance(db, SLOW, minutes(20)).updated == [case.ref]
    moved = chain.advance(db, SLOW, minutes(25))  # the chain moves: that update says so, the clock restarts
    assert (moved.paged, moved.updated) == ([case.ref], [])
    escalations.acknowledge(db, case.ref, "Tama", minutes(30))
    assert chain.advance(db, SLOW, minutes(40)).updated == []
    assert updates(db) == [("waiting", ""), ("waiting", ""), ("moved_on", HEAD.role)]
    first = json.loads(next(db["outbox"].rows_where("kind = 'case_update'", order_by="id"))["payload"])
    assert (first["minutes"], first["conversation_id"]) == ("10", "web-2")


def test_a_round_repeated_by_a_second_worker_tells_the_customer_once(db: Database):
    escalations.create(db, "web-3", {"contact_name": "Ana"}, "API down", [], SLOW, T0)
    slack_takes_the_pages(db, 0)
    chain.advance(db, SLOW, minutes(10))
    chain.advance(db, SLOW, minutes(10))
    assert updates(db) == [("waiting", "")]


def test_staff_snoozing_or_reassigning_a_case_tells_its_customer(db: Database, case):
    slack_takes_the_pages(db, 0)
    escalations.snooze(db, case.ref, "Mere", minutes(2))
    escalations.reassign(db, case.ref, "U0RUA", "Mere", minutes(4))
    assert [update for update, _ in updates(db)] == ["looking", "reassigned"]


def test_while_pages_are_not_getting_through_the_customer_is_told_to_ring_never_that_someone_is_paged(
    db: Database, case
):
    chain.advance(db, TWO_ROUNDS, minutes(10))  # the first page has not reached Slack in 10 minutes
    slack_takes_the_pages(db, 11)
    chain.advance(db, TWO_ROUNDS, minutes(20))  # now it has: the next move says who is paged
    assert updates(db) == [("paging_down", ""), ("moved_on", PRIMARY.role)]


def test_a_snoozed_case_holds_the_ten_minute_update_too(db: Database):
    case = escalations.create(db, "web-4", {"contact_name": "Ana"}, "API down", [], SLOW, T0).case
    slack_takes_the_pages(db, 0)
    escalations.snooze(db, case.ref, "Mere", minutes(5), timedelta(minutes=15))  # they were told someone looks
    the_chat_takes_the_updates(db, 5)
    assert chain.advance(db, SLOW, minutes(15)).updated == []
    assert chain.advance(db, SLOW, minutes(20)).updated == [case.ref]
