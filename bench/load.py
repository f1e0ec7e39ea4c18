"""Load test: simulated customers' conversations against the real stack, over REST and socket.io.

Run:  .venv/bin/python bench/load.py                          # every mix at full scale (about 3 minutes)
      .venv/bin/python bench/load.py --mix crowd --users 5 --duration 15    # a smoke test
      .venv/bin/python bench/load.py --mix crowd --users 1 --transport rest # one conversation at a time
      .venv/bin/python bench/load.py --attach ...              # against `make run`'s stack instead

It starts the Rasa server and the action server as `helpdesk eval` does (bench/stack.py: `helpdesk serve
rasa` and `helpdesk serve actions`, free ports, a temporary state folder, the action server's clock inside
Phase 2's maintenance window), warms them up, then runs each mix in turn:

- crowd: `--users` customers at once (half REST, half socket.io by default) for `--duration` seconds, each
  holding conversations of 1 to 6 messages one after another: 70% the ten most common questions, 20% other
  FAQ questions, 10% small talk and urgent problems (bench/load_questions.yml);
- distinct: the same, but no message is ever the same text twice (a question with an opener, a closing or
  a numbered context it has not had yet), so no cache of any kind can help;
- long: `--long-users` conversations (one per transport by default) of `--turns` (200) messages each; their
  latency by message number shows what a growing tracker costs (message 2 against message 200).

A REST message's latency is the HTTP request to /webhooks/rest/webhook until its answer (the bot's messages).
A socket.io message is emitted with a socket.io acknowledgement requested: python-socketio's server sends
the acknowledgement when the channel's handler returns, which is after the bot's last `bot_uttered` of that
turn, so the latency is until that acknowledgement (every reply before it counted). Each conversation over
socket.io is a new connection (websocket transport) with the web chat's handshake (`session_request`, then
`session_confirm` with a fresh session id and token, as widget.js does); connecting is timed apart.

For each mix it prints p50/p95/p99/max latency, messages/s (answered messages over the whole run, from the
first send to the last answer), errors (no HTTP 200, timeouts of `--timeout` s, dropped sockets, and the
"something went wrong" reply of a failed action), empty replies, CPU seconds per message of the Rasa server,
the action server and this driver (user+system time from /proc over the mix), and each one's peak RSS during
the mix and since it started (VmHWM). It exits 1 on any error or empty reply, 2 when the stack cannot start.

Why not Locust (which Rasa's load-testing guide uses): Locust's gevent monkey-patching does not mix with
Rasa's pinned asyncio stack, so it would need a venv of its own, and its socket.io support is a user-written
gevent client either way. This driver is asyncio with aiohttp (REST) and python-socketio's own AsyncClient
(the client library of the server Rasa's channel runs on), both already pinned in the project's venv; it
keeps every latency sample (exact percentiles, no histogram buckets) and measures the servers' processes in
the same run. Like Locust it is closed-loop: each customer sends their next message when the last is
answered (`--think` seconds later), so messages/s at N customers is the stack's throughput at that load.
The driver shares the machine's cores with the servers; its own CPU time is reported beside theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import aiohttp
import socketio
import yaml
from stack import DEFAULT_NOW, ProcessSampler, Stack, Usage, attached_stack, local_stack, machine

from core.errors import HelpdeskError

QUESTIONS = Path(__file__).with_name("load_questions.yml")
FAULT_REPLY = "something went wrong on our side"  # utter_something_went_wrong: an action failed
MIXES = ("crowd", "distinct", "long")
REST, SOCKETIO = "REST", "socket.io"


def allow_websocket_transport() -> None:
    """python-engineio 4.15's client builds aiohttp.ClientWSTimeout (aiohttp >= 3.10) for ws_connect, while
    Rasa 3.6 pins aiohttp 3.9, whose ws_connect takes that close timeout as a plain float: give it the float.
    (Only this driver's client is touched; the servers are unchanged.)"""
    if not hasattr(aiohttp, "ClientWSTimeout"):
        aiohttp.ClientWSTimeout = lambda ws_close=10.0, ws_receive=None: ws_close  # type: ignore[attr-defined]


# ---- what customers say ----------------------------------------------------------------------------------


class Questions:
    def __init__(self, path: Path, seed: int) -> None:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        self.lists: dict[str, list[str]] = {k: data[k] for k in ("common", "other_faq", "small_talk", "urgent")}
        self.mixes: dict[str, dict[str, float]] = data["mixes"]
        self.distinct = data["distinct"]
        self.rng = random.Random(seed)
        self.used: set[str] = set()
        self.numbers = itertools.count(1)
        self.variants: dict[str, list[tuple[str, str]]] = {}

    def pick(self, mix: str) -> tuple[str, str]:
        """(which list, text) for the next message of `mix`."""
        weights = self.mixes[mix]
        kind = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        text = self.rng.choice(self.lists[kind])
        return kind, self.unique(text) if mix == "distinct" else text

    def unique(self, base: str) -> str:
        """`base` with an opener and a closing it has not had in this run, then with a numbered context."""
        combos = self.variants.get(base)
        if combos is None:
            combos = list(itertools.product(self.distinct["openers"], self.distinct["closings"]))
            self.rng.shuffle(combos)
            self.variants[base] = combos
        while combos:
            opener, closing = combos.pop()
            text = f"{opener}{base}{closing}"
            if text not in self.used:
                self.used.add(text)
                return text
        text = base + self.rng.choice(self.distinct["contexts"]).format(n=next(self.numbers))
        self.used.add(text)
        return text


# ---- the two channels ------------------------------------------------------------------------------------


class ChatError(Exception):
    pass


class RestChat:
    transport = REST

    def __init__(self, session: aiohttp.ClientSession, base_url: str, sender: str, timeout: float) -> None:
        self.session, self.url, self.sender = session, f"{base_url}/webhooks/rest/webhook", sender
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def open(self) -> None:
        return None

    async def say(self, text: str) -> list[dict]:
        payload = {"sender": self.sender, "message": text}
        try:
            async with self.session.post(self.url, json=payload, timeout=self.timeout) as response:
                body = await response.read()
                if response.status != 200:
                    raise ChatError(f"HTTP {response.status}")
        except asyncio.TimeoutError:
            raise ChatError("timeout") from None
        except aiohttp.ClientError as exc:
            raise ChatError(type(exc).__name__) from None
        return json.loads(body) or []

    async def close(self) -> None:
        return None


class SocketChat:
    """The web chat as widget.js is: connect, session_request (no id: a new session), session_confirm, then
    user_uttered with an acknowledgement requested; bot_uttered events until the acknowledgement."""

    transport = SOCKETIO

    def __init__(self, base_url: str, timeout: float, transports: list[str]) -> None:
        self.url, self.timeout, self.transports = base_url, timeout, transports
        self.client = socketio.AsyncClient(reconnection=False, request_timeout=timeout)
        self.replies: list[dict] = []
        self.waiting: asyncio.Future | None = None
        self.session: dict = {}
        self.client.on("bot_uttered", self._said)
        self.client.on("session_confirm", self._confirmed)
        self.client.on("disconnect", self._dropped)

    async def _said(self, data: object) -> None:
        self.replies.append(data if isinstance(data, dict) else {"text": str(data)})

    async def _confirmed(self, data: object) -> None:
        if self.waiting and not self.waiting.done():
            self.waiting.set_result(data)

    async def _dropped(self) -> None:
        if self.waiting and not self.waiting.done():
            self.waiting.set_exception(ChatError("socket disconnected"))

    async def _wait(self, what: str) -> object:
        try:
            return await asyncio.wait_for(self.waiting, self.timeout)
        except asyncio.TimeoutError:
            raise ChatError(f"timeout ({what})") from None

    async def open(self) -> None:
        self.waiting = asyncio.get_running_loop().create_future()
        try:
            await self.client.connect(self.url, transports=self.transports, wait_timeout=self.timeout)
        except socketio.exceptions.ConnectionError as exc:
            raise ChatError(f"socket.io connect failed: {exc}") from None
        await self.client.emit("session_request", {"session_id": None, "session_token": None})
        session = await self._wait("session_confirm")
        if not isinstance(session, dict) or not str(session.get("session_id", "")).startswith("web-"):
            raise ChatError(f"bad session_confirm: {session!r}")
        self.session = session

    async def say(self, text: str) -> list[dict]:
        self.replies = []
        self.waiting = asyncio.get_running_loop().create_future()
        waiting = self.waiting

        def acknowledged(*_: object) -> None:
            if not waiting.done():
                waiting.set_result(None)

        if not self.client.connected:
            raise ChatError("socket disconnected")
        await self.client.emit(
            "user_uttered", {"message": text, "session_id": self.session["session_id"]}, callback=acknowledged
        )
        await self._wait("acknowledgement")
        return self.replies

    async def close(self) -> None:
        self.waiting = None
        if self.client.connected:
            await self.client.disconnect()


# ---- one run ---------------------------------------------------------------------------------------------


@dataclass
class Turn:
    transport: str
    conversation: str
    number: int  # the message's number in its conversation (1 = first)
    kind: str  # which question list it came from, or "connect"
    started: float  # seconds since the mix started
    latency_ms: float | None  # None when it failed
    error: str | None = None
    replies: int = 0  # the bot's messages in the reply
    empty: bool = False
    fault: bool = False  # the "something went wrong" reply: an action failed


@dataclass
class MixResult:
    mix: str
    users: dict[str, int]
    seconds: float
    turns: list[Turn]
    connects: list[Turn]
    usage: dict[str, Usage]
    cut_short: bool = False
    settings: dict = field(default_factory=dict)

    def failed(self) -> int:
        bad = [t for t in self.turns + self.connects if t.error or t.empty or t.fault]
        return len(bad) + int(self.cut_short)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (the value below which p% of the samples lie)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Runner:
    def __init__(self, stack: Stack, args: argparse.Namespace, questions: Questions) -> None:
        self.stack, self.args, self.questions = stack, args, questions
        self.run_id = uuid.uuid4().hex[:8]  # new conversation ids on every run (--attach keeps its tracker store)

    def chat(self, transport: str, session: aiohttp.ClientSession, conversation: str) -> RestChat | SocketChat:
        if transport == REST:
            return RestChat(session, self.stack.settings.rasa_url, conversation, self.args.timeout)
        return SocketChat(self.stack.settings.rasa_url, self.args.timeout, [self.args.sio_transport])

    async def customer(
        self,
        mix: str,
        number: int,
        transport: str,
        session: aiohttp.ClientSession,
        started: float,
        deadline: float,
        lengths: tuple[int, int],
        once: bool,
        turns: list[Turn],
        connects: list[Turn],
    ) -> None:
        """One customer: conversations one after another until `deadline` (only one when `once`)."""
        rng = random.Random(f"{self.args.seed}-{mix}-{number}")
        await asyncio.sleep(number * self.args.ramp / max(1, self.args.users))
        for conversation_number in itertools.count(1):
            if time.monotonic() >= deadline or (once and conversation_number > 1):
                return
            conversation = f"load-{self.run_id}-{mix}-{number}-{conversation_number}"
            chat = self.chat(transport, session, conversation)
            t0 = time.perf_counter()
            try:
                await chat.open()
                if transport == SOCKETIO:
                    connects.append(
                        Turn(transport, conversation, 0, "connect", t0 - started, (time.perf_counter() - t0) * 1000)
                    )
            except ChatError as exc:
                connects.append(Turn(transport, conversation, 0, "connect", t0 - started, None, str(exc)))
                await chat.close()
                await asyncio.sleep(0.5)
                continue
            try:
                for message in range(1, rng.randint(*lengths) + 1):
                    if time.monotonic() >= deadline:
                        break
                    kind, text = self.questions.pick(mix)
                    t0 = time.perf_counter()
                    try:
                        replies = await chat.say(text)
                    except ChatError as exc:
                        turns.append(Turn(transport, conversation, message, kind, t0 - started, None, str(exc)))
                        break  # as a customer would: the conversation is broken, start another
                    latency = (time.perf_counter() - t0) * 1000
                    said = " ".join(str(r.get("text") or "") for r in replies).lower()
                    turns.append(
                        Turn(
                            transport,
                            conversation,
                            message,
                            kind,
                            t0 - started,
                            latency,
                            replies=len(replies),
                            empty=not replies,
                            fault=FAULT_REPLY in said,
                        )
                    )
                    if self.args.think:
                        await asyncio.sleep(rng.uniform(0.5, 1.5) * self.args.think)
            finally:
                await chat.close()

    async def run(
        self, mix: str, users: int, duration: float, lengths: tuple[int, int], once: bool = False
    ) -> MixResult:
        """`users` customers for `duration` seconds (with `once`, one conversation each, however long)."""
        transports = {"rest": [REST], "socketio": [SOCKETIO], "both": [REST, SOCKETIO]}[self.args.transport]
        assigned = [transports[n % len(transports)] for n in range(users)]
        turns: list[Turn] = []
        connects: list[Turn] = []
        sampler = ProcessSampler({**self.stack.pids, "load driver": os.getpid()})
        limit = self.args.long_max_seconds if once else duration + self.args.timeout + 30
        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        async with aiohttp.ClientSession(connector=connector) as session:
            sampler.start()
            started = time.monotonic()
            deadline = started + duration
            tasks = [
                asyncio.create_task(
                    self.customer(mix, n, assigned[n], session, started, deadline, lengths, once, turns, connects)
                )
                for n in range(users)
            ]
            done, pending = await asyncio.wait(tasks, timeout=limit)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                if task.exception():
                    raise task.exception()  # a bug in this driver, not a fault of the bot
            seconds = time.monotonic() - started
            usage = sampler.stop()
        return MixResult(
            mix,
            {t: assigned.count(t) for t in transports},
            seconds,
            turns,
            connects,
            usage,
            cut_short=bool(pending),
            settings={"users": users, "duration": duration, "messages_per_conversation": lengths},
        )


# ---- reporting -------------------------------------------------------------------------------------------


def latency_row(name: str, turns: list[Turn], seconds: float) -> str:
    answered = [t.latency_ms for t in turns if t.latency_ms is not None]
    errors = sum(1 for t in turns if t.error) + sum(1 for t in turns if t.fault)
    empty = sum(1 for t in turns if t.empty)
    cells = [
        name,
        str(len(turns)),
        f"{len(answered) / seconds:.1f}" if seconds else "-",
        *(f"{percentile(answered, p):.0f}" for p in (50, 95, 99)),
        f"{max(answered):.0f}" if answered else "-",
        str(errors),
        str(empty),
    ]
    return "| " + " | ".join(cells) + " |"


def report(result: MixResult) -> list[str]:
    turns = result.turns
    who = ", ".join(f"{n} {t}" for t, n in result.users.items())
    lines = [
        "",
        f"### {result.mix}: {sum(result.users.values())} concurrent conversations ({who}), {result.seconds:.1f} s"
        + (" (CUT SHORT at the time limit)" if result.cut_short else ""),
        "",
        "| transport | messages | msg/s | p50 ms | p95 ms | p99 ms | max ms | errors | empty replies |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    by_transport = defaultdict(list)
    for turn in turns:
        by_transport[turn.transport].append(turn)
    for transport in result.users:
        lines.append(latency_row(transport, by_transport[transport], result.seconds))
    if len(result.users) > 1:
        lines.append(latency_row("all", turns, result.seconds))
    connects = [t.latency_ms for t in result.connects if t.latency_ms is not None]
    failed_connects = [t for t in result.connects if t.error]
    if result.connects:
        lines.append(
            f"\nsocket.io connections (connect + session handshake): {len(result.connects)}, "
            f"p50 {percentile(connects, 50):.0f} ms, p95 {percentile(connects, 95):.0f} ms, failed {len(failed_connects)}"
        )
    errors = defaultdict(int)
    for turn in turns + result.connects:
        if turn.error:
            errors[turn.error] += 1
        if turn.fault:
            errors['"something went wrong" reply (an action failed)'] += 1
    if errors:
        lines.append("errors: " + "; ".join(f"{n} x {what}" for what, n in sorted(errors.items(), key=lambda x: -x[1])))
    answered = sum(1 for t in turns if t.latency_ms is not None) or 1
    lines += [
        "",
        "| process | CPU s | CPU ms per message | peak RSS in this mix | peak RSS since start (VmHWM) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, usage in result.usage.items():
        lines.append(
            f"| {name} | {usage.cpu_seconds:.1f} | {usage.cpu_seconds / answered * 1000:.1f} | "
            f"{usage.peak_rss_mb:.0f} MB | {usage.hwm_mb:.0f} MB |"
        )
    if result.mix == "long":
        lines += long_report(turns)
    kinds, said = defaultdict(list), defaultdict(list)
    for turn in turns:
        if turn.latency_ms is not None:
            kinds[turn.kind].append(turn.latency_ms)
            said[turn.transport].append(turn.replies)
    lines.append(
        "\nby kind of message: "
        + "; ".join(
            f"{kind} {len(v)} (p50 {percentile(v, 50):.0f} ms, p95 {percentile(v, 95):.0f} ms)"
            for kind, v in sorted(kinds.items())
        )
        + "\nbot messages per reply: "
        + ", ".join(f"{t} {statistics.mean(n):.2f}" for t, n in said.items() if n)
    )
    return lines


def long_report(turns: list[Turn]) -> list[str]:
    by_number: dict[int, list[float]] = defaultdict(list)
    for turn in turns:
        if turn.latency_ms is not None:
            by_number[turn.number].append(turn.latency_ms)
    if not by_number:
        return []
    last = max(by_number)
    lines = [
        "",
        "| message number | conversations | median ms | max ms |",
        "| --- | --- | --- | --- |",
    ]
    marks = sorted({n for n in (1, 2, 10, 50, 100, 150, last - 1 if last > 2 else 0, last) if n in by_number})
    for n in marks:
        values = by_number[n]
        lines.append(f"| {n} | {len(values)} | {statistics.median(values):.0f} | {max(values):.0f} |")
    if last >= 20:
        early = [v for n in range(2, 12) for v in by_number.get(n, [])]
        late = [v for n in range(last - 9, last + 1) for v in by_number.get(n, [])]
        if early and late:
            ratio = statistics.median(late) / statistics.median(early)
            lines.append(
                f"\nmedian of messages 2-11: {statistics.median(early):.0f} ms; of messages {last - 9}-{last}: "
                f"{statistics.median(late):.0f} ms; ratio {ratio:.2f} (target: at most 1.20)"
            )
    return lines


# ---- main ------------------------------------------------------------------------------------------------


def lengths(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mix", action="append", choices=MIXES, help="run only this mix (repeatable; default all)")
    parser.add_argument("--users", type=int, default=50, help="concurrent customers for crowd and distinct (50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of crowd and of distinct (60)")
    parser.add_argument(
        "--long-users", type=int, default=2, help="concurrent long conversations (2: one per transport)"
    )
    parser.add_argument("--turns", type=int, default=200, help="messages per long conversation (200)")
    parser.add_argument("--long-max-seconds", type=float, default=900, help="time limit of the long mix (900)")
    parser.add_argument("--messages-per-conversation", type=lengths, default=(1, 6), metavar="MIN-MAX")
    parser.add_argument("--transport", choices=("both", "rest", "socketio"), default="both")
    parser.add_argument("--sio-transport", choices=("websocket", "polling"), default="websocket")
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds between a reply and the next message")
    parser.add_argument("--ramp", type=float, default=2.0, help="seconds over which the customers start")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds before a message counts as failed")
    parser.add_argument("--warmup", type=int, default=10, help="messages per transport before measuring (10)")
    parser.add_argument(
        "--now", default=DEFAULT_NOW, help=f"the action server's clock (default {DEFAULT_NOW}; '' = real)"
    )
    parser.add_argument("--attach", action="store_true", help="measure the stack already running (make run)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write every sample to this file")
    return parser.parse_args(argv)


async def measure(stack: Stack, args: argparse.Namespace) -> list[MixResult]:
    questions = Questions(QUESTIONS, args.seed)
    runner = Runner(stack, args, questions)
    if args.warmup:
        ramp, args.ramp = args.ramp, 0
        warm = await runner.run("crowd", 2 if args.transport == "both" else 1, 3600, (args.warmup,) * 2, once=True)
        args.ramp = ramp
        print(f"warm-up: {len(warm.turns)} messages, {warm.failed()} failed (not counted)", flush=True)
    results = []
    for mix in args.mix or MIXES:
        print(f"running {mix} ...", flush=True)
        if mix == "long":
            result = await runner.run("long", args.long_users, args.long_max_seconds, (args.turns,) * 2, once=True)
        else:
            result = await runner.run(mix, args.users, args.duration, args.messages_per_conversation)
        print("\n".join(report(result)), flush=True)
        results.append(result)
    return results


def interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    allow_websocket_transport()
    signal.signal(signal.SIGTERM, interrupted)  # stop the servers this started, as on Ctrl-C
    command = "python bench/load.py " + " ".join(sys.argv[1:] if argv is None else argv)
    print(f"command: {command.strip()}")
    print(f"when: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"machine: {machine()}")
    try:
        stack_context = attached_stack() if args.attach else local_stack(now=args.now)
        stack = stack_context.__enter__()
    except (HelpdeskError, LookupError, OSError, subprocess.CalledProcessError) as exc:
        print(f"load.py: the stack did not start: {exc}", file=sys.stderr)
        return 2
    try:
        print(f"stack: {stack.description}; model {stack.model.name}; PIDs {stack.pids}", flush=True)
        results = asyncio.run(measure(stack, args))
    finally:
        stack_context.__exit__(None, None, None)
    if args.json:
        args.json.write_text(
            json.dumps([{**asdict(r), "usage": {k: asdict(v) for k, v in r.usage.items()}} for r in results], indent=1)
        )
    failed = sum(r.failed() for r in results)
    print(f"\nresult: {'FAILED, ' + str(failed) + ' failed messages or connections' if failed else 'no errors'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
