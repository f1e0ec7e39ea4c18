"""`helpdesk start --replicas 2` (make run-cluster) on real Postgres, Redis and HAProxy: two Rasa servers serve
one conversation as if they were one."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from conftest import HELPDESK, TEST_MODELS
from supervised_stack import ANSWERS, SupervisedBot, UrgentCase, form_question, report_urgent_case, say, wait_for

from bot.ops import cluster
from bot.ops.local_bot import free_port
from core.settings import Settings

pytestmark = pytest.mark.slow


class ClusterBot(SupervisedBot):
    """`helpdesk start --replicas 2` with ports and a var dir of its own; asks go through the proxy unless a
    test points `settings` at one replica (`via`)."""

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


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClusterBot]:
    var = tmp_path_factory.mktemp("cluster") / "var"
    ports = {name: str(free_port() + 10) for name in ("RASA_PORT", "ACTION_PORT")}  # replicas take the next ones
    bot = ClusterBot(
        var,
        HELPDESK_MODEL_DIR=str(TEST_MODELS),
        HELPDESK_POSTGRES_PORT=str(free_port()),
        HELPDESK_REDIS_PORT=str(free_port()),
        WEB_PORT=str(free_port()),
        **ports,
    )
    bot.start()
    yield bot
    bot.stop()


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
    try:
        replies = say(stack, case, ANSWERS[asked], patience=5)  # no waiting for a restart: the other replica answers
        assert replies and case.unanswered == 0
        tracker = stack.tracker("survivor")
        assert tracker["slots"][asked] == ANSWERS[asked] and form_question(tracker) != asked
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == case.sent
    finally:
        stack.restarted("rasa-1", victim)
