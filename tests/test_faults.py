"""The fault suite: `make run`'s stack (supervisord, Slack on against a stand-in) broken one process at a
time while a customer reports an urgent case. Every case must end as one escalation paged exactly once,
or as a clear message with the phone number; none lost, none doubled.

(A locked or read-only state database and an action server that hangs are in test_bot_escalation.py and
test_servers.py.)"""

from __future__ import annotations

import http.client
import json
import os
import signal
from pathlib import Path
from typing import Iterator

import pytest
from conftest import ONCALL_CHANNEL
from slack_standin import SlackStandIn
from supervised_stack import PHONE, SupervisedBot, report_urgent_case, slack_env, text_of, wait_for

from bot.escalation import escalations
from core import outbox
from core.schema import open_state_db

BREAK_AT = 3  # the customer has said what is wrong, accepted the engineer and given their name


@pytest.fixture(scope="module")
def standin() -> Iterator[SlackStandIn]:
    slack = SlackStandIn()
    yield slack
    slack.close()


@pytest.fixture(scope="module")
def stack(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory, standin: SlackStandIn
) -> Iterator[SupervisedBot]:
    running = SupervisedBot(tmp_path_factory.mktemp("faults") / "var", **slack_env(standin.api_url))
    try:
        running.start()
        wait_for(lambda: running.pid("slack"), 60, "the Slack app starting")
        yield running
    finally:
        running.stop()


def first_pages(standin: SlackStandIn, ref: str) -> list[dict]:
    """The pages that opened a thread for `ref` in the on-call channel (later steps go in the thread)."""
    return [
        args
        for args in standin.called("chat.postMessage")
        if args.get("channel") == ONCALL_CHANNEL and not args.get("thread_ts") and ref in json.dumps(args)
    ]


def cases_of(stack: SupervisedBot, sender: str) -> list[escalations.Escalation]:
    return [
        case for case in escalations.listing(open_state_db(stack.settings.state_db)) if case.conversation_id == sender
    ]


def assert_one_case_paged_once(stack: SupervisedBot, standin: SlackStandIn, sender: str, ref: str | None) -> None:
    assert ref is not None
    assert [case.ref for case in cases_of(stack, sender)] == [ref]
    wait_for(lambda: first_pages(standin, ref), 120, f"the page of {ref}")
    wait_for(
        lambda: not outbox.pending(open_state_db(stack.settings.state_db), ["page"]), 120, "the outbox's pages drained"
    )
    assert len(first_pages(standin, ref)) == 1


@pytest.mark.parametrize("component", ["actions", "rasa", "worker", "slack", "web"])
def test_an_urgent_case_ends_as_one_case_paged_once_whichever_process_is_killed(stack, standin, component):
    killed: list[int] = []

    def kill_midway(step: int) -> None:
        if step == BREAK_AT:
            killed.append(stack.pid(component))
            os.kill(killed[0], signal.SIGKILL)

    case = report_urgent_case(stack, f"killed-{component}", before=kill_midway)
    assert case.ended_clearly and case.ref, case.replies
    assert_one_case_paged_once(stack, standin, case.sender, case.ref)
    stack.restarted(component, killed[0])  # supervisord brought it back
    stack.wait_until_answering()


@pytest.mark.parametrize("component", ["worker", "slack", "web"])
def test_a_stopped_process_delays_an_urgent_case_but_never_drops_it(stack, standin, component):
    stopped: list[int] = []

    def stop_midway(step: int) -> None:
        if step == BREAK_AT:
            stopped.append(stack.pid(component))
            os.kill(stopped[0], signal.SIGSTOP)

    try:
        case = report_urgent_case(stack, f"stopped-{component}", before=stop_midway)
    finally:
        os.kill(stopped[0], signal.SIGCONT)
    assert case.ended_clearly and case.ref, case.replies
    assert_one_case_paged_once(stack, standin, case.sender, case.ref)


def test_a_message_sent_while_rasa_is_stopped_is_answered_when_it_resumes(stack):
    rasa = stack.pid("rasa")
    connection = http.client.HTTPConnection("127.0.0.1", stack.settings.rasa_port, timeout=120)
    os.kill(rasa, signal.SIGSTOP)
    try:
        # The kernel accepts and buffers the request while the process is stopped.
        connection.request(
            "POST",
            "/webhooks/rest/webhook",
            json.dumps({"sender": "stopped-rasa", "message": "hello"}),
            {"Content-Type": "application/json"},
        )
    finally:
        os.kill(rasa, signal.SIGCONT)
    response = connection.getresponse()
    assert response.status == 200 and "helpdesk bot" in text_of(json.loads(response.read()))


def test_with_slack_failing_the_customer_is_told_the_truth_and_every_page_arrives_once_it_recovers(stack, standin):
    standin.failures = 2  # the next two chat.* calls answer HTTP 500: the first page fails, then its retry
    first = report_urgent_case(stack, "slack-failing-1")
    assert first.ref
    wait_for(
        lambda: any(row["attempts"] for row in outbox.pending(open_state_db(stack.settings.state_db), ["page"])),
        120,
        "a failed delivery of the first page",
    )
    second = report_urgent_case(stack, "slack-failing-2")
    assert second.ref and "could not" in second.last and PHONE in second.last  # not "I've paged"
    for case in (first, second):
        assert_one_case_paged_once(stack, standin, case.sender, case.ref)
