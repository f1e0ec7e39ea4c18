"""`helpdesk start --replicas 2` (make run-cluster) on real Postgres, Redis and HAProxy: two Rasa servers serve
one conversation as if they were one."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from conftest import HELPDESK, ONCALL_CHANNEL, TEST_MODELS, WebServer
from rasa.shared.core.constants import IS_EXTERNAL
from slack_standin import SlackStandIn
from supervised_stack import (
    ANSWERS,
    REF,
    SUPERVISORCTL,
    SupervisedBot,
    UrgentCase,
    conversation,
    form_question,
    report_urgent_case,
    say,
    slack_env,
    wait_for,
)

from bot.ops import cluster
from bot.ops.local_bot import free_port
from core.settings import Settings

pytestmark = pytest.mark.slow


class ClusterBot(SupervisedBot):
    """`helpdesk start --replicas 2` with ports and a var dir of its own; asks go through the proxy unless a
    test points `settings` at one replica (`via`). Its Slack app talks to `slack`, a stand-in for Slack's Web API."""

    slack: SlackStandIn

    def start(self) -> None:
        log = open(self.log_dir / "cluster.log", "a")
        command = [HELPDESK, "start", "--replicas", "2"]
        self.supervisor = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        rasa = wait_for(lambda: self._alive() and self.pid("rasa-1") and self.pid("rasa-2"), 900, "the replicas")
        self.env.update(self.tokens(rasa))
        self.settings = self.proxy = Settings.from_env(self.env)
        self.members = cluster.replicas(self.proxy, 2)
        for member in self.members:
            self.via(member.number)
            self.wait_until_answering()
        self.settings = self.proxy
        # HAProxy took both replicas for dead while they loaded the model: wait for its health checks to see them
        wait_for(lambda: self._both_in_service(), 60, "HAProxy putting both replicas in service")

    def _both_in_service(self) -> bool:
        """Both replicas answer within a few requests through HAProxy (round robin)."""
        try:
            return {self.replica_answering("/") for _ in range(4)} == {"rasa-1", "rasa-2"}
        except OSError:
            return False

    def replica_answering(self, path: str) -> str:
        """The replica HAProxy sends a GET of `path` to (its X-Helpdesk-Replica header)."""
        with urllib.request.urlopen(self.proxy.rasa_url + path, timeout=5) as response:
            return response.headers.get("X-Helpdesk-Replica", "")

    def via(self, number: int | None) -> None:
        """Send to replica `number` directly (None: through the proxy)."""
        member = next((m for m in self.members if m.number == number), None)
        self.settings = (
            dataclasses.replace(self.proxy, rasa_port=member.rasa_port, action_port=member.action_port)
            if member
            else self.proxy
        )

    def wait_until_answering(self) -> None:
        self._wait_for_rasa(timeout=240)
        if self.settings.action_port != self.proxy.action_port:  # the proxy's ACTION_PORT has no server
            self._wait_for_actions(timeout=120)


def free_run_of_ports(count: int) -> int:
    """A port that is free, with the `count - 1` after it free too."""
    for _ in range(100):
        first = free_port()
        if first + count <= 65535 and all(not taken(first + n) for n in range(count)):
            return first
    raise AssertionError(f"no {count} free ports in a row")


def taken(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterBot]:
    var = tmp_path_factory.mktemp("cluster") / "var"
    ports = {name: str(free_run_of_ports(3)) for name in ("RASA_PORT", "ACTION_PORT")}  # replicas take the next ones
    slack = SlackStandIn()
    bot = ClusterBot(
        var,
        **slack_env(slack.api_url),
        HELPDESK_ESCALATIONS_PER_TEN_MINUTES="1000",  # a crowd of urgent cases is what one test sends
        HELPDESK_MODEL_DIR=str(TEST_MODELS),
        HELPDESK_POSTGRES_PORT=str(free_port()),
        HELPDESK_REDIS_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        **ports,
    )
    bot.slack = slack
    bot.start()
    yield bot
    bot.stop()
    slack.close()


def refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def events_in_postgres(stack: ClusterBot, sender: str) -> list[str]:
    engine = sa.create_engine(cluster.database_url(stack.proxy))
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("select type_name from events where sender_id = :s order by id"), {"s": sender}
        )
        return [row[0] for row in rows]


def test_a_conversation_alternating_between_replicas_keeps_its_form_and_slots(stack: ClusterBot):
    case = report_urgent_case(stack, "alternating", before=lambda step: stack.via(1 + step % 2))
    stack.via(None)
    assert case.ref, case.replies  # the form ran to the end across both replicas: a case was created
    tracker = stack.tracker("alternating")
    filled = {e["name"]: e["value"] for e in tracker["events"] if e["event"] == "slot" and e["value"] is not None}
    kept = {**ANSWERS, "callback": "+64215550199"}  # the number is kept in international form
    assert {name: filled.get(name) for name in ANSWERS} == kept  # each answer, given to either replica, was kept
    assert form_question(tracker) is None
    said = [event["text"] for event in tracker["events"] if event["event"] == "user"]
    assert said == case.sent  # every message once, in the order sent
    assert events_in_postgres(stack, "alternating").count("user") == len(case.sent)


def test_a_replica_killed_mid_conversation_leaves_the_conversation_to_the_other(stack: ClusterBot):
    stack.via(None)
    case = UrgentCase("survivor")
    say(stack, case, "hello")
    say(stack, case, "urgent: our messages are not being delivered")
    say(stack, case, "/affirm")  # yes to the offer of the on-call engineer: the form starts
    asked = form_question(stack.tracker("survivor"))
    assert asked, case.replies
    victim = stack.pid("rasa-1")
    os.kill(victim, signal.SIGKILL)
    # Dead, not dying: a message that reaches a replica in its last milliseconds is lost with it, and the
    # customer's widget sends it again (HAProxy never re-sends what a replica may have handled).
    wait_for(lambda: refuses(stack.members[0].rasa_port), 10, "rasa-1 going away")
    try:
        replies = say(stack, case, ANSWERS[asked], patience=5)  # no waiting for a restart: the other replica answers
        assert replies and case.unanswered == 0
        tracker = stack.tracker("survivor")
        assert tracker["slots"][asked] == ANSWERS[asked] and form_question(tracker) != asked
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == case.sent
    finally:
        stack.restarted("rasa-1", victim)


def test_an_engineers_reply_reaches_a_web_chat_whose_socket_the_other_replica_holds(stack: ClusterBot, browser):
    from playwright.sync_api import expect

    from bot.escalation import escalations
    from bot.escalation.oncall import current_rota
    from bot.ops import worker
    from core.clock import Clock
    from core.schema import open_state_db

    # The page's chat connects to replica 1 itself; the test, not the cluster's worker, delivers through replica 2.
    for program in ("web", "worker-1", "worker-2"):
        supervisorctl(stack, "stop", program)
    stack.via(1)
    page_server = WebServer(stack.settings, stack.settings.web_port)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(page_server.url)
        page.get_by_role("button", name="Chat with us").click()
        page.locator(".mhd-input").fill("hello")
        page.keyboard.press("Enter")
        expect(page.locator(".mhd-from-bot").last).to_contain_text("helpdesk bot", timeout=30_000)
        kept = page.evaluate("Object.entries(localStorage).find(([key]) => key.startsWith('modica-helpdesk:'))[1]")
        session_id = json.loads(kept)["sessionId"]

        db = open_state_db(stack.proxy.state_db)
        now = Clock().now()
        case = escalations.create(db, session_id, {"contact_name": "Ana"}, "API down", [], current_rota(db), now).case
        escalations.acknowledge(db, case.ref, "Tama", now)
        escalations.relay_from_engineer(db, case.ref, "Hi Ana, on it", "Tama", "cluster-test-1", now)
        stack.via(2)
        worker.run_round(stack.settings, now)
        expect(page.locator(".mhd-from-notice").last).to_have_text(
            "Tama (a person from our on-call team) has joined the chat."
        )
        expect(page.locator(".mhd-from-bot").last).to_contain_text("Tama (on-call engineer): Hi Ana, on it")
    finally:
        context.close()
        page_server.stop()
        stack.via(None)
        for program in ("web", "worker-1", "worker-2"):
            supervisorctl(stack, "start", program)


def supervisorctl(stack: ClusterBot, *args: str) -> None:
    subprocess.run([SUPERVISORCTL, "-c", str(stack.config), *args], check=True, capture_output=True, timeout=60)


def customer_messages(stack: ClusterBot, sender: str) -> list[str]:
    """What the customer said, as the tracker holds it (without the intents the worker injected)."""
    events = conversation(stack, sender)["events"]
    said = [event for event in events if event["event"] == "user"]
    return [event["text"] for event in said if not (event.get("metadata") or {}).get(IS_EXTERNAL)]


def said_in(stack: ClusterBot, sender: str) -> list[str]:
    """A conversation as its tracker holds it: who said what, the actions and the form's state, for a failure."""
    lines = []
    for event in conversation(stack, sender)["events"]:
        if event["event"] in ("user", "bot"):
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            lines.append(f"{event['event']}: {(event.get('text') or '')[:60]}" + (f" [{intent}]" if intent else ""))
        elif event["event"] in ("action", "active_loop"):
            lines.append(f"{event['event']}: {event.get('name')}")
    return lines


CROWD = 200  # customers with an urgent case at once, as when a window goes wrong
KILLED_AT = 80  # the customer whose third message comes as a worker and a Rasa replica are killed


def test_a_crowd_of_urgent_cases_through_both_replicas_pages_each_exactly_once_through_kills(stack: ClusterBot):
    stack.via(None)
    killed: dict[str, int] = {}
    kill_once = threading.Lock()

    def before(sender: str, step: int) -> None:
        if sender == f"crowd-{KILLED_AT}" and step == 2:
            with kill_once:
                for program in ("worker-1", "rasa-2"):
                    killed[program] = stack.pid(program)
                    os.kill(killed[program], signal.SIGKILL)

    def customer(n: int) -> UrgentCase:
        sender = f"crowd-{n}"
        return report_urgent_case(stack, sender, before=lambda step: before(sender, step))

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            cases = list(pool.map(customer, range(CROWD)))
    finally:
        for program, pid in killed.items():
            stack.restarted(program, pid)
    assert sorted(killed) == ["rasa-2", "worker-1"]
    # A message whose answer was lost with the killed replica was sent again with its id: if its first copy had
    # been handled, the copy got the first one's replies and was not handled twice (actions/redelivery.py).
    refs = [case.ref for case in cases]
    lost = [case.sender for case in cases if not case.ref]
    assert not lost, "\n\n".join("\n".join([sender, *said_in(stack, sender)]) for sender in lost[:2])
    assert len(set(refs)) == CROWD  # one case per customer, whichever replica took which message
    twice = [case.sender for case in cases if customer_messages(stack, case.sender) != case.sent]
    assert not twice, "\n\n".join("\n".join([sender, *said_in(stack, sender)]) for sender in twice[:2])

    def pages() -> list[str]:
        posted = [c for c in stack.slack.called("chat.postMessage") if c.get("channel") == ONCALL_CHANNEL]
        return [REF.search(c.get("text") or "").group(1) for c in posted if not c.get("thread_ts")]

    wait_for(lambda: set(pages()) >= set(refs), 120, "every case's page reaching Slack")
    paged = pages()  # the crowd's cases, and those of the tests before
    assert len(paged) == len(set(paged))  # no case paged twice
    assert set(refs) <= set(paged)  # and every one of the crowd's paged
