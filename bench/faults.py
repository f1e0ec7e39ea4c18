"""Urgent customers and hostile messages against `make run`'s stack while it is being broken.

Run: .venv/bin/python bench/faults.py [--customers-per-fault N]
Starts the stack as `make run` does (`helpdesk start`: supervisord; Slack on, against a local stand-in for
Slack's Web API) in a temporary folder, then for each fault in turn sends urgent customers through the
escalation form, plus FAQ questions and 100 KB / 1 MB / 5 MB messages, while the fault is applied:
kill -9 or SIGSTOP of each process, the state database locked or read-only, Slack's API failing.
Prints: messages sent, replies, errors (sends with no HTTP answer, re-sent), escalations created vs
customers told a reference, pages delivered vs escalations, and peak RSS per process. Exits 1 when a
customer was left without a reference or the phone number, or an escalation was lost or doubled.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from conftest import ONCALL_CHANNEL, read_only  # noqa: E402
from slack_standin import SlackStandIn  # noqa: E402
from supervised_stack import SupervisedBot, UrgentCase, report_urgent_case, say, slack_env, wait_for  # noqa: E402

from bot.escalation import escalations  # noqa: E402
from core import outbox
from core.schema import open_state_db

COMPONENTS = ("rasa", "actions", "worker", "slack", "web")
HOSTILE_SIZES = (100_000, 1_000_000, 5_000_000)
HOLD_SECONDS = {
    "state database locked": 20,
    "state database read-only": 10,
    "SIGSTOP actions": 10,
    "SIGSTOP worker": 10,
    "SIGSTOP slack": 10,
}  # a kill is instant; Slack fails for a number of calls
FAQ_QUESTIONS = ("what is the rollback plan?", "when does phase 2 start?", "is the API down right now?")


class PeakMemory(threading.Thread):
    """Samples each component's peak RSS (VmHWM) every half second, across restarts."""

    def __init__(self, stack: SupervisedBot) -> None:
        super().__init__(daemon=True)
        self.stack, self.peak, self.done = stack, defaultdict(int), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for component in COMPONENTS:
                with contextlib.suppress(OSError, ValueError, StopIteration):
                    status = Path(f"/proc/{self.stack.pid(component)}/status").read_text()
                    kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
                    self.peak[component] = max(self.peak[component], kb * 1024)


@contextlib.contextmanager
def signal_process(stack: SupervisedBot, component: str, sig: signal.Signals) -> Iterator[None]:
    pid = stack.pid(component)
    os.kill(pid, sig)
    try:
        yield
    finally:
        if sig == signal.SIGSTOP:
            os.kill(pid, signal.SIGCONT)
        else:
            stack.restarted(component, pid)


@contextlib.contextmanager
def locked(database: Path) -> Iterator[None]:
    connection = sqlite3.connect(database, timeout=30)
    connection.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        connection.rollback()
        connection.close()


@contextlib.contextmanager
def slack_failing(standin: SlackStandIn, calls: int) -> Iterator[None]:
    standin.failures = calls
    try:
        yield
    finally:
        standin.failures = 0


def faults(stack: SupervisedBot, standin: SlackStandIn) -> dict[str, Callable[[], contextlib.AbstractContextManager]]:
    state_db = stack.settings.state_db
    named: dict[str, Callable[[], contextlib.AbstractContextManager]] = {"none": contextlib.nullcontext}
    for component in COMPONENTS:
        named[f"kill -9 {component}"] = lambda c=component: signal_process(stack, c, signal.SIGKILL)
    for component in ("actions", "worker", "slack"):
        named[f"SIGSTOP {component}"] = lambda c=component: signal_process(stack, c, signal.SIGSTOP)
    named["state database locked"] = lambda: locked(state_db)
    named["state database read-only"] = lambda: read_only(state_db)
    named["Slack API failing"] = lambda: slack_failing(standin, 6)
    return named


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent = self.replies = self.errors = 0
        self.cases: list[UrgentCase] = []

    def add_case(self, case: UrgentCase) -> None:
        with self.lock:
            self.cases.append(case)
            self.sent += len(case.sent)
            self.replies += sum(1 for replies in case.replies if replies)
            self.errors += case.unanswered

    def add_message(self, answered: bool) -> None:
        with self.lock:
            self.sent += 1
            self.replies += answered
            self.errors += not answered


def hostile_and_faq(stack: SupervisedBot, tally: Tally, sender: str) -> None:
    for size in HOSTILE_SIZES:
        body = json.dumps({"sender": sender, "message": "help " * (size // 5)}).encode()
        request = urllib.request.Request(
            f"{stack.settings.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                tally.add_message(bool(json.loads(response.read())))
        except urllib.error.HTTPError as exc:
            tally.add_message(exc.code == 413)  # refused as it should be: counts as answered
        except OSError:
            tally.add_message(True)  # the server closed on a body it would not read (413 before the body)
    for question in FAQ_QUESTIONS:
        case = UrgentCase(sender)
        say(stack, case, question)
        tally.add_message(bool(case.replies[-1]))


def run_fault(stack: SupervisedBot, tally: Tally, name: str, fault, customers: int) -> None:
    senders = [f"{name.replace(' ', '-')}-{n}" for n in range(customers)]
    with ThreadPoolExecutor(max_workers=customers + 1) as pool:
        started = threading.Event()

        def customer(sender: str) -> UrgentCase:
            return report_urgent_case(stack, sender, before=lambda step: step == 2 and started.wait(300))

        futures = [pool.submit(customer, sender) for sender in senders]
        chatter = pool.submit(hostile_and_faq, stack, tally, f"{name.replace(' ', '-')}-chatter")
        with fault():
            started.set()  # the customers are in the form when the fault starts
            time.sleep(HOLD_SECONDS.get(name, 0))
        for future in futures:
            tally.add_case(future.result())
        chatter.result()
    stack.wait_until_answering()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers-per-fault", type=int, default=2)
    parser.add_argument("--only", action="append", help="run only the faults whose name contains this (repeatable)")
    args = parser.parse_args()
    standin = SlackStandIn()
    with tempfile.TemporaryDirectory() as var:
        stack = SupervisedBot(Path(var) / "var", **slack_env(standin.api_url))
        stack.start()
        memory = PeakMemory(stack)
        memory.start()
        tally = Tally()
        try:
            for name, fault in faults(stack, standin).items():
                if args.only and not any(part in name for part in args.only):
                    continue
                print(f"fault: {name}", flush=True)
                run_fault(stack, tally, name, fault, args.customers_per_fault)
            state_db = stack.settings.state_db
            wait_for(lambda: not outbox.pending(open_state_db(state_db), ["page"]), 300, "every page delivered")
            cases = escalations.listing(open_state_db(state_db))
        finally:
            memory.done.set()
            stack.stop()
            standin.close()
    return report(tally, cases, standin, memory.peak)


def report(tally: Tally, cases: list, standin: SlackStandIn, peak: dict[str, int]) -> int:
    told_ref = {case.ref for case in tally.cases if case.ref}
    told_phone_only = [case for case in tally.cases if not case.ref and case.ended_clearly]
    left_hanging = [case.sender for case in tally.cases if not case.ended_clearly]
    per_conversation = defaultdict(int)
    for case in cases:
        per_conversation[case.conversation_id] += 1
    doubled = [conversation for conversation, count in per_conversation.items() if count > 1]
    first_pages = [
        args
        for args in standin.called("chat.postMessage")
        if args.get("channel") == ONCALL_CHANNEL and not args.get("thread_ts")
    ]
    paged = defaultdict(int)
    for case in cases:
        paged[case.ref] = sum(case.ref in json.dumps(args) for args in first_pages)
    print(f"messages sent: {tally.sent}, replies: {tally.replies}, errors (no HTTP answer, re-sent): {tally.errors}")
    print(
        f"urgent customers: {len(tally.cases)}; told a reference: {len(told_ref)}; "
        f"told to ring (no case recorded): {len(told_phone_only)}; left without either: {len(left_hanging)}"
    )
    print(f"escalations created: {len(cases)} (expected {len(told_ref)}); conversations with two: {len(doubled)}")
    print(
        f"pages delivered: {sum(paged.values())} (expected {len(cases)}); "
        f"paged twice: {sum(count > 1 for count in paged.values())}, never: {sum(count == 0 for count in paged.values())}"
    )
    for case in cases:
        if paged[case.ref] != 1:
            print(f"  {case.ref} ({case.conversation_id}) paged {paged[case.ref]} times")
    print("peak RSS: " + ", ".join(f"{c} {peak[c] / 2**20:.0f} MB" for c in COMPONENTS if peak[c]))
    ok = (
        not left_hanging
        and not doubled
        and {case.ref for case in cases} == told_ref
        and all(count == 1 for count in paged.values())
    )
    print("result: " + ("every urgent customer ended with a case paged once, or the phone number" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
