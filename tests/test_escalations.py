"""Escalation records, the paging policy and the outbox, without Rasa or Slack."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import helpdesk

from bot.escalation import chain, escalations
from bot.escalation.escalations import EscalationError
from bot.escalation.oncall import load_rota
from core import outbox
from core.clock import parse_instant
from core.db import Database

T0 = parse_instant("2020-09-08T10:30:00Z")


@pytest.fixture(scope="module")
def rota():
    return load_rota()


def new_case(db: Database, rota, now=T0, conversation: str = "web-123") -> escalations.Escalation:
    return escalations.create(
        db,
        conversation,
        {"name": "Ana", "company": "Kiwi Texts", "callback": "+64 21 555 0199", "product": "API"},
        "API returns 500 for every send",
        [{"from": "customer", "text": "our messages are not delivered"}],
        rota,
        now,
    ).case


def test_the_rota_has_the_head_of_service_delivery_as_the_last_step(rota):
    assert rota.steps[-1].role == "Head of Service Delivery" and rota.steps[-1].phone == "+64 21 844 538"
    assert rota.ack_timeout == timedelta(minutes=10)


def test_a_new_escalation_gets_a_reference_its_transcript_and_a_page_to_the_primary(db: Database, rota):
    case = new_case(db, rota)
    assert case.ref == "ESC-0001" and case.status == "triggered"
    assert case.transcript == [{"from": "customer", "text": "our messages are not delivered"}]
    assert new_case(db, rota, conversation="web-456").ref == "ESC-0002"
    pages = outbox.pending(db)
    assert [(p["key"], json.loads(p["payload"])["role"]) for p in pages] == [
        ("page:ESC-0001:0", "Primary on-call engineer"),
        ("page:ESC-0002:0", "Primary on-call engineer"),
    ]


def test_an_unanswered_page_moves_to_the_next_step_when_the_clock_passes_the_timeout(db: Database, rota):
    case = new_case(db, rota)
    assert chain.advance(db, rota, T0 + timedelta(minutes=9, seconds=59)).paged == []
    assert chain.advance(db, rota, T0 + timedelta(minutes=10)).paged == [case.ref]
    assert escalations.get(db, case.ref).step == 1
    assert chain.advance(db, rota, T0 + timedelta(minutes=20)).paged == [case.ref]
    roles = [json.loads(p["payload"])["role"] for p in outbox.pending(db, ["page"])]
    assert roles == ["Primary on-call engineer", "Secondary on-call engineer", "Head of Service Delivery"]


def test_acknowledging_stops_the_escalation_and_resolving_closes_it(db: Database, rota):
    case = new_case(db, rota)
    escalations.acknowledge(db, case.ref, "tama", T0 + timedelta(minutes=3))
    assert chain.advance(db, rota, T0 + timedelta(minutes=50)).paged == []
    escalations.resolve(db, case.ref.lower(), "tama", T0 + timedelta(minutes=40))
    assert escalations.listing(db, open_only=True) == []
    assert [e["what"] for e in escalations.history(db, case.ref)] == [
        "triggered",
        "paged",
        "acknowledged",
        "resolved",
    ]


def test_an_unknown_reference_is_refused(db: Database, rota):
    new_case(db, rota)
    with pytest.raises(EscalationError, match="there is no escalation 'ESC-9999'"):
        escalations.acknowledge(db, "ESC-9999", "tama", T0)


def test_a_resolved_escalation_cannot_be_acknowledged_and_its_history_is_unchanged(db: Database, rota):
    case = new_case(db, rota)
    escalations.resolve(db, case.ref, "tama", T0)
    before = escalations.history(db, case.ref)
    with pytest.raises(EscalationError, match="ESC-0001 is resolved; it cannot be acknowledged now"):
        escalations.acknowledge(db, case.ref, "tama", T0)
    assert escalations.history(db, case.ref) == before


def test_the_same_page_is_queued_once(db: Database):
    assert outbox.enqueue(db, "page:ESC-0001:0", "page", {"ref": "ESC-0001"}, T0)
    assert not outbox.enqueue(db, "page:ESC-0001:0", "page", {"ref": "ESC-0001"}, T0)
    assert len(outbox.pending(db)) == 1


def test_retries_back_off_up_to_ten_minutes():
    assert [outbox.DELIVERY_RETRY.wait(n).total_seconds() for n in (1, 2, 3, 6, 12)] == [15, 30, 60, 480, 600]


def test_escalations_from_the_command_line(tmp_path: Path, state_location, db: Database, rota):
    from conftest import settings_env, state_env

    env = settings_env(tmp_path, HELPDESK_NOW="2020-09-08T10:40:00Z", **state_env(state_location))  # the fixture's db
    case = new_case(db, rota)
    assert case.ref in helpdesk("escalations", "--open", env=env).stdout
    shown = helpdesk("escalations", "show", case.ref, env=env).stdout
    assert "callback: +64 21 555 0199" in shown and "customer: our messages are not delivered" in shown
    assert (
        helpdesk("escalations", "ack", case.ref, "--by", "tama", env=env).stdout.strip()
        == f"{case.ref} is acknowledged"
    )
    again = helpdesk("escalations", "ack", case.ref, "--by", "tama", env=env)
    assert again.returncode == 1 and "ESC-0001 is acknowledged; it cannot be acknowledged now" in again.stderr
    assert helpdesk("escalations", "resolve", case.ref, "--by", "tama", env=env).returncode == 0
    assert case.ref not in helpdesk("escalations", "--open", env=env).stdout
    assert "Head of Service Delivery" in helpdesk("oncall", env=env).stdout


def test_doctor_reports_pages_undelivered_for_over_ten_minutes(tmp_path: Path, state_location, db: Database, rota):
    from conftest import settings_env, state_env

    from bot.ops.doctor import check_outbox
    from core.settings import Settings

    settings = Settings.from_env(settings_env(tmp_path, **state_env(state_location)))
    assert settings.state_store == state_location  # the fixture's db
    new_case(db, rota)
    assert check_outbox(settings, T0 + timedelta(minutes=10)).ok
    late = check_outbox(settings, T0 + timedelta(minutes=11))
    assert not late.ok and "page:ESC-0001:0" in late.message


def test_paging_is_healthy_only_with_slack_on_and_no_page_stuck_for_two_minutes(db: Database, rota):
    assert not escalations.paging_healthy(db, slack_enabled=False, now=T0)  # pages go out through Slack
    assert escalations.paging_healthy(db, slack_enabled=True, now=T0)
    new_case(db, rota)
    assert escalations.paging_healthy(db, True, T0 + timedelta(minutes=1, seconds=59))  # still on its way
    assert not escalations.paging_healthy(db, True, T0 + timedelta(minutes=2, seconds=1))  # stuck
    outbox.drain(db, lambda message: None, T0 + timedelta(minutes=3))  # delivered at last
    assert escalations.paging_healthy(db, True, T0 + timedelta(minutes=3))


def test_a_page_whose_deliveries_fail_makes_paging_unhealthy(db: Database, rota):
    def slack_down(message):
        raise ConnectionError("Slack is unreachable")

    new_case(db, rota)
    report = outbox.drain(db, slack_down, T0)
    assert report.failed and outbox.pending(db)[0]["attempts"] == 1
    assert not escalations.paging_healthy(db, True, T0 + timedelta(minutes=3))


def slack_down(message):
    raise ConnectionError("Slack is unreachable")


def test_paging_turns_unhealthy_at_the_first_failed_delivery_not_only_after_the_grace(db: Database, rota):
    new_case(db, rota)
    assert escalations.paging_healthy(db, True, T0)  # queued, not tried yet
    outbox.drain(db, slack_down, T0 + timedelta(seconds=1))
    assert not escalations.paging_healthy(db, True, T0 + timedelta(seconds=1))  # well inside the grace
    outbox.drain(db, lambda message: None, T0 + timedelta(seconds=16))  # the retry gets through
    assert escalations.paging_healthy(db, True, T0 + timedelta(seconds=16))


def test_a_failed_delivery_of_something_other_than_a_page_leaves_paging_healthy(db: Database):
    outbox.enqueue(db, "notice:phase-2", "notice", {"text": "Phase 2 starts at 10pm"}, T0)
    assert outbox.drain(db, slack_down, T0).failed
    assert escalations.paging_healthy(db, True, T0 + timedelta(seconds=1))


def test_a_second_request_from_the_conversation_adds_to_its_open_case_and_the_limit_records_nothing(db: Database, rota):
    first = new_case(db, rota)
    again = escalations.create(
        db, "web-123", {"contact_name": "Ana"}, "still failing", [], rota, T0 + timedelta(minutes=1)
    )
    assert (again.case.ref, again.new) == (first.ref, False)
    escalations.create(db, "web-123", {"contact_name": "Ana"}, "and again", [], rota, T0 + timedelta(minutes=2))
    with pytest.raises(escalations.EscalationLimit):
        escalations.create(db, "web-123", {"contact_name": "Ana"}, "fourth", [], rota, T0 + timedelta(minutes=3))
    assert len(escalations.listing(db)) == 1


def page_failed_messages(db: Database) -> list[tuple[str, dict]]:
    return [(row["key"], json.loads(row["payload"])) for row in outbox.pending(db, ["page_failed"])]


def told_page_failed(db: Database, ref: str) -> list[dict]:
    return [e for e in escalations.history(db, ref) if e["what"] == escalations.TOLD_PAGE_FAILED]


def test_a_customer_whose_first_page_has_not_gone_out_within_the_grace_is_told_once(db: Database, rota):
    case = new_case(db, rota)
    outbox.drain(db, slack_down, T0 + timedelta(seconds=1), kinds=["page"])  # Slack is failing
    assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=1, seconds=59)) == []
    assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=2)) == [case.ref]
    for minutes in (3, 10, 11, 30):  # later rounds, the next step paged meanwhile: nothing more for the customer
        chain.advance(db, rota, T0 + timedelta(minutes=minutes))
        assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=minutes)) == []
    assert page_failed_messages(db) == [(f"page_failed:{case.ref}", {"ref": case.ref, "conversation_id": "web-123"})]
    [told] = told_page_failed(db, case.ref)
    assert told["at"] == (T0 + timedelta(minutes=2)).isoformat()


def test_only_open_unacknowledged_cases_whose_page_is_stuck_and_whose_customer_was_not_told_are_told(
    db: Database, rota
):
    delivered = new_case(db, rota, conversation="web-delivered")
    outbox.drain(db, lambda message: None, T0 + timedelta(seconds=30), kinds=["page"])  # reached Slack
    # Every page from here on stays undelivered.
    acknowledged = new_case(db, rota, conversation="web-ack")
    escalations.acknowledge(db, acknowledged.ref, "tama", T0 + timedelta(minutes=1))
    resolved = new_case(db, rota, conversation="web-resolved")
    escalations.resolve(db, resolved.ref, "tama", T0 + timedelta(minutes=1))
    told_at_once = escalations.create(
        db, "web-told", {"contact_name": "Ana"}, "down", [], rota, T0, customer_told_not_paged=True
    ).case  # the reply said nobody could be paged
    stuck = new_case(db, rota, conversation="web-stuck")
    assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=5)) == [stuck.ref]
    assert [ref for ref in (acknowledged.ref, resolved.ref, delivered.ref) if told_page_failed(db, ref)] == []
    assert [e["detail"] for e in told_page_failed(db, told_at_once.ref)] == [escalations.TOLD_AT_ONCE]
    assert [key for key, _ in page_failed_messages(db)] == [f"page_failed:{stuck.ref}"]


def test_a_request_added_to_an_open_case_with_paging_down_counts_as_telling_its_customer(db: Database, rota):
    case = new_case(db, rota)
    escalations.create(
        db,
        "web-123",
        {"contact_name": "Ana"},
        "still failing",
        [],
        rota,
        T0 + timedelta(minutes=1),
        customer_told_not_paged=True,
    )
    assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=5)) == []
    assert len(told_page_failed(db, case.ref)) == 1 and page_failed_messages(db) == []


def test_the_history_event_and_the_message_to_the_customer_are_recorded_together_or_not_at_all(
    db: Database, rota, monkeypatch
):
    case = new_case(db, rota)
    queue = outbox.add

    def queue_then_fail(db, *args):
        queue(db, *args)
        raise RuntimeError("the process died after queuing the message")

    monkeypatch.setattr(outbox, "add", queue_then_fail)
    with pytest.raises(RuntimeError):
        escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=3))
    assert told_page_failed(db, case.ref) == [] and page_failed_messages(db) == []
    monkeypatch.setattr(outbox, "add", queue)
    assert escalations.tell_customers_of_failed_pages(db, T0 + timedelta(minutes=4)) == [case.ref]
    assert len(told_page_failed(db, case.ref)) == 1 and len(page_failed_messages(db)) == 1


def test_a_callers_unit_of_work_spans_several_changes_and_rolls_back_whole(db: Database, rota):
    from core.db import write_transaction

    with pytest.raises(RuntimeError), write_transaction(db):
        case = new_case(db, rota)
        escalations.acknowledge(db, case.ref, "tama", T0)
        raise RuntimeError("the caller fails after both changes")
    assert escalations.listing(db) == [] and outbox.pending(db) == []  # no case, no page, no handoff notice


def test_a_customer_cancels_their_waiting_case_and_nobody_else_is_paged(db: Database, rota):
    case = new_case(db, rota)
    cancelled = escalations.cancel_by_customer(db, case.conversation_id, T0 + timedelta(minutes=3))
    assert (cancelled.status, cancelled.resolved_by) == ("resolved", "customer")
    assert [m["key"] for m in outbox.pending(db, ["closed_by_customer"])] == [f"closed_by_customer:{case.ref}"]
    assert ("cancelled", "customer") in [(e["what"], e["by"]) for e in escalations.history(db, case.ref)]
    report = chain.advance(db, rota, T0 + timedelta(hours=3))
    assert (report.paged, report.ended, report.updated) == ([], [], [])
    assert escalations.customer_view(escalations.latest_case(db, case.conversation_id))["state"] == "closed"


def test_only_a_case_nobody_has_acknowledged_is_cancelled_from_the_chat(db: Database, rota):
    assert escalations.cancel_by_customer(db, "web-nobody", T0) is None
    case = new_case(db, rota)
    escalations.acknowledge(db, case.ref, "Tama", T0)
    assert escalations.cancel_by_customer(db, case.conversation_id, T0) is None  # 'stop' ends a live chat instead
    assert escalations.get(db, case.ref).status == "acknowledged"


def test_the_customers_view_of_a_case_says_whether_it_waits_or_who_is_with_them(db: Database, rota):
    assert escalations.customer_view(escalations.latest_case(db, "web-123")) is None
    case = new_case(db, rota)
    assert escalations.customer_view(case) == {"ref": case.ref, "state": "waiting", "engineer": ""}
    taken = escalations.acknowledge(db, case.ref, "Tama", T0)
    assert escalations.customer_view(taken) == {"ref": case.ref, "state": "with_engineer", "engineer": "Tama"}


def test_a_customer_naming_another_case_cancels_nothing(db: Database, rota):
    case = new_case(db, rota)
    assert escalations.cancel_by_customer(db, case.conversation_id, T0, ref="ESC-9999") is None
    assert escalations.cancel_by_customer(db, case.conversation_id, T0, ref=case.ref.lower()).status == "resolved"


def test_reassigning_takes_only_a_slack_user_id(db: Database, rota):
    case = new_case(db, rota)
    with pytest.raises(EscalationError, match="not a Slack user ID"):
        escalations.reassign(db, case.ref, "U1> <!channel", "Mere", T0)
