"""One FAQ turn broken into its parts: channel, tracker store load, NLU (each component), policies (each),
the call to the action server (request building, HTTP, the action's own work), tracker store save.

Run: .venv/bin/python bench/profile_turn.py [--turns 20] [--long 200]

It starts the Rasa server and the action server as bench/load.py does (bench/stack.py), then:
1. end to end: `--turns` conversations over the REST channel, each "hi" then an FAQ question (message 2),
   timed as the customer sees it (HTTP request to answer), one at a time; and one conversation of `--long`
   messages, whose last 10 (FAQ questions) are timed the same way;
2. in process: the same model loaded into this process with Rasa's own `load_agent` and the project's
   endpoints.yml (an SQLite tracker store of its own, the same running action server, the action timeout and
   fault reply, parse memory and reply check of actions/rasa_server.py), behind the project's REST channel on a Sanic server of this
   process (as `rasa run` serves it), the same messages sent to it over HTTP, with timers around Rasa's
   steps: the turn inside Rasa (so the channel, Sanic and HTTP are the rest of the request), the tracker
   store's retrieve and save, every graph node of the NLU pipeline and of the policies, each action, and for
   the custom action the request building (tracker state + domain) and the HTTP call;
3. the action's own work: each captured request to the action server replayed into rasa_sdk's
   ActionExecutor in this process (what the action server does with it, without HTTP), and the action's
   run() alone; "HTTP, JSON and the action server's Sanic" is the call minus the request building and that
   work.

Only the turns that ran action_answer_faq are counted (the others are named). Everything else Rasa does in the
turn (tracker copies, events, slots, sending) is "other Rasa processing". No load: one message at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from contextvars import ContextVar
from pathlib import Path

import aiohttp
import yaml
from stack import DEFAULT_NOW, Stack, local_stack, machine

from bot.answers.training import rasa_env
from bot.ops.local_bot import free_port

QUESTIONS = Path(__file__).with_name("load_questions.yml")
GREETING = "hi"
WARM_UP = 5  # messages before any timing
FAQ_ACTION = "action_answer_faq"
FAULT_REPLY = "something went wrong on our side"

phase: ContextVar[str] = ContextVar("phase", default="other")  # whose graph is running: NLU or policies

# The parts (per action name where they end in ": ").
CHANNEL = "REST channel, Sanic and HTTP (end to end minus the turn inside Rasa)"
TURN = "the turn inside Rasa (actions/redelivery.py handle_once: the conversation's lock and Rasa's processor)"
E2E_HERE = "end to end over REST"
E2E = "end to end over REST, the real Rasa server (no timers)"
SLOTS = "slot extraction (action_extract_slots)"
OTHER = "other Rasa processing (tracker copies, events, slots, lock)"
BUILD = "request building (tracker state + domain): "
CALL = "action server call: "
HTTP = "HTTP, JSON and the action server's Sanic: "
WORK = "action work (rasa_sdk executor in process): "
PARSE = "Tracker.from_dict: "
RUN = "the action's run(): "
OUTSIDE = "outside the call (tracker copy, events, sending): "
SIZE = "request to the action server, size: "
TOP_LEVEL = {"tracker store: load", "tracker store: save", "NLU: total", SLOTS, "policies: total"}


class Timings:
    """Milliseconds per part of each timed turn, and what the turn sent to the action server."""

    def __init__(self) -> None:
        self.turns: list[dict[str, float]] = []
        self.actions: list[list[str]] = []
        self.requests: list[list[dict]] = []

    def start_turn(self) -> None:
        self.turns.append(defaultdict(float))
        self.actions.append([])
        self.requests.append([])

    def add(self, part: str, seconds: float) -> None:
        self.turns[-1][part] += seconds * 1000


class Recorder:
    """Where the timers write: the Timings of the turn being run (`untimed` for the turns not measured)."""

    def __init__(self) -> None:
        self.target = Timings()
        self.target.start_turn()

    def add(self, part: str, seconds: float) -> None:
        self.target.add(part, seconds)


def instrument(agent, recorder: Recorder) -> None:
    """Timers around the processor's steps (this agent's objects, and two Rasa classes in this process only)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.graph import GraphNode

    processor = agent.processor
    store = processor.tracker_store

    def timed_async(owner, attribute: str, part: str, context: str | None = None) -> None:
        original = getattr(owner, attribute)

        async def wrapper(*args, **kwargs):
            token = phase.set(context) if context else None
            start = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                recorder.add(part, time.perf_counter() - start)
                if token:
                    phase.reset(token)

        setattr(owner, attribute, wrapper)

    timed_async(store, "retrieve", "tracker store: load")
    timed_async(store, "save", "tracker store: save")
    timed_async(processor, "parse_message", "NLU: total", context="NLU")
    timed_async(processor, "run_action_extract_slots", SLOTS)

    predict = processor._predict_next_with_tracker

    def predict_timed(tracker):
        token = phase.set("policies")
        start = time.perf_counter()
        try:
            return predict(tracker)
        finally:
            recorder.add("policies: total", time.perf_counter() - start)
            phase.reset(token)

    processor._predict_next_with_tracker = predict_timed

    run_action = processor._run_action

    async def run_action_timed(action, *args, **kwargs):
        recorder.target.actions[-1].append(action.name())
        start = time.perf_counter()
        try:
            return await run_action(action, *args, **kwargs)
        finally:
            recorder.add(f"action: {action.name()}", time.perf_counter() - start)

    processor._run_action = run_action_timed

    node_call = GraphNode.__call__

    def node_timed(self, *inputs):
        start = time.perf_counter()
        try:
            return node_call(self, *inputs)
        finally:
            name = self._node_name.removeprefix("run_").split(".")[-1]
            recorder.add(f"{phase.get()}: {name}", time.perf_counter() - start)

    GraphNode.__call__ = node_timed

    remote_run = RemoteAction.run
    call_format = RemoteAction._action_call_format

    async def remote_timed(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return await remote_run(self, *args, **kwargs)
        finally:
            recorder.add(f"{CALL}{self.name()}", time.perf_counter() - start)

    def format_timed(self, tracker, domain):
        start = time.perf_counter()
        request = call_format(self, tracker, domain)
        recorder.add(f"{BUILD}{self.name()}", time.perf_counter() - start)
        recorder.target.requests[-1].append(request)
        return request

    RemoteAction.run = remote_timed
    RemoteAction._action_call_format = format_timed


def post(url: str, sender: str, text: str) -> tuple[float, list[dict]]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read())
    return time.perf_counter() - start, replies


def conversations(questions: list[str], turns: int, long: int) -> list[tuple[str, list[str], set[int]]]:
    """(conversation id, its messages, the numbers of the messages to time): a warm-up (timed nowhere), `turns`
    short ones timed at message 2, and one of `long` messages timed at its last 10."""
    plan = [("warm-up", questions[-WARM_UP:], set())]
    plan += [(f"short-{n}", [GREETING, questions[n % len(questions)]], {2}) for n in range(turns)]
    if long:
        said = [questions[(n * 7) % len(questions)] for n in range(long)]
        plan.append(("long", said, set(range(max(1, long - 9), long + 1))))
    return plan


def end_to_end(stack: Stack, plan) -> dict[str, list[float]]:
    url = f"{stack.settings.rasa_url}/webhooks/rest/webhook"
    times: dict[str, list[float]] = defaultdict(list)
    for conversation, said, timed in plan:
        for number, text in enumerate(said, 1):
            seconds, replies = post(url, f"e2e-{conversation}", text)
            if not replies or FAULT_REPLY in json.dumps(replies).lower():
                raise SystemExit(f"profile_turn.py: no proper reply to {text!r} over REST: {replies}")
            if number in timed:
                times["long" if conversation == "long" else "short"].append(seconds)
    return times


def only_faq_turns(timings: Timings, e2e: list[float]) -> tuple[list[float], int]:
    """Keep the turns that ran action_answer_faq (the same text over REST takes the same route: same model), and
    those turns' end-to-end times; returns (their end-to-end times, how many turns were left out)."""
    keep = [n for n, actions in enumerate(timings.actions) if FAQ_ACTION in actions]
    left_out = len(timings.turns) - len(keep)
    timings.turns = [timings.turns[n] for n in keep]
    timings.actions = [timings.actions[n] for n in keep]
    timings.requests = [timings.requests[n] for n in keep]
    return [e2e[n] for n in keep], left_out


async def in_process(stack: Stack, plan, work: Path) -> dict[str, Timings]:
    os.environ.update(rasa_env(stack.settings))
    os.environ.update(stack.env)
    os.environ["RASA_TRACKER_URL"] = f"sqlite:///{work / 'profile_tracker.db'}"  # a tracker store of its own
    from rasa.core.agent import load_agent
    from rasa.core.run import configure_app
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.log_utils import configure_structlog

    from actions import redelivery
    from actions.channels import RestChannel
    from actions.rasa_server import adapt_rasa

    configure_structlog(logging.WARNING)  # Rasa's debug log would be timed with the turn
    logging.getLogger().setLevel(logging.WARNING)
    adapt_rasa(stack.settings)
    endpoints = AvailableEndpoints.read_endpoints(str(stack.settings.root / "endpoints.yml"))
    agent = await load_agent(model_path=str(stack.model), endpoints=endpoints)
    recorder = Recorder()
    instrument(agent, recorder)
    handle_once = redelivery.handle_once  # what the channel calls: Agent.handle_message's lock and processor

    async def handle_once_timed(agent, message, sent_by_client):  # returns what handle_once returns
        start = time.perf_counter()
        try:
            return await handle_once(agent, message, sent_by_client)
        finally:
            recorder.add(TURN, time.perf_counter() - start)

    redelivery.handle_once = handle_once_timed
    # The project's REST channel on a Sanic server of this process, as `rasa run` serves it (no HTTP API).
    app = configure_app([RestChannel()], enable_api=False, use_uvloop=False)
    app.ctx.agent = agent
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await server.startup()
    url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    untimed, timed = recorder.target, {"short": Timings(), "long": Timings()}
    try:
        async with aiohttp.ClientSession() as session:
            for conversation, said, numbers in plan:
                for number, text in enumerate(said, 1):
                    kind = "long" if conversation == "long" else "short"
                    recorder.target = timed[kind] if number in numbers else untimed
                    recorder.target.start_turn()
                    start = time.perf_counter()
                    payload = {"sender": f"inproc-{conversation}", "message": text}
                    async with session.post(url, json=payload) as response:
                        replies = await response.json()
                    recorder.add(E2E_HERE, time.perf_counter() - start)
                    if not replies or FAULT_REPLY in json.dumps(replies).lower():
                        raise SystemExit(f"profile_turn.py: no proper reply to {text!r} in process: {replies}")
                    if number not in numbers:  # keep nothing of the turns not measured
                        untimed.turns.clear()
                        untimed.actions.clear()
                        untimed.requests.clear()
    finally:
        server.close()
        await server.wait_closed()
    return timed


async def action_work(timings: Timings) -> None:
    """Replay each timed turn's requests to the action server into rasa_sdk's executor, in this process (what
    the action server does with a request, without HTTP), and the action's run() alone."""
    from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
    from rasa_sdk.interfaces import Tracker

    executor = ActionExecutor()
    executor.register_package("actions")
    for turn, requests in zip(timings.turns, timings.requests):
        for request in requests:
            name = request["next_action"]
            start = time.perf_counter()
            await executor.run(request)
            turn[f"{WORK}{name}"] += (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            tracker = Tracker.from_dict(request["tracker"])
            turn[f"{PARSE}{name}"] += (time.perf_counter() - start) * 1000
            start = time.perf_counter()
            result = executor.actions[name](CollectingDispatcher(), tracker, request.get("domain", {}))
            if asyncio.iscoroutine(result):
                await result
            turn[f"{RUN}{name}"] += (time.perf_counter() - start) * 1000
            turn[f"{SIZE}{name}"] += len(json.dumps(request)) / 1000


def derive(timings: Timings) -> None:
    """The parts that are differences: HTTP to the action server, an action's work outside its call, the rest
    of Rasa's processing."""
    for turn in timings.turns:
        known = sum(v for k, v in turn.items() if k in TOP_LEVEL or k.startswith("action: "))
        turn[OTHER] = turn[TURN] - known
        turn[CHANNEL] = turn[E2E_HERE] - turn[TURN]
        for key in [k for k in turn if k.startswith(CALL)]:
            name = key.removeprefix(CALL)
            turn[f"{OUTSIDE}{name}"] = turn[f"action: {name}"] - turn[key]
            turn[f"{HTTP}{name}"] = turn[key] - turn.get(f"{BUILD}{name}", 0.0) - turn.get(f"{WORK}{name}", 0.0)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * p / 100) - 1)] if ordered else 0.0


def summarise(timings: Timings, e2e: list[float]) -> dict[str, tuple[float, float]]:
    """part -> (median, p95) over the timed turns (a part missing from a turn counts 0 there)."""
    keys = {k for turn in timings.turns for k in turn}
    summary = {}
    for key in keys:
        values = [turn.get(key, 0.0) for turn in timings.turns]
        summary[key] = (statistics.median(values), percentile(values, 95))
    ms = [s * 1000 for s in e2e]
    summary[E2E] = (statistics.median(ms), percentile(ms, 95))
    return summary


def rows(summary: dict[str, tuple[float, float]], actions: list[str]) -> list[tuple[str, str]]:
    """(indent, part) in the order of a turn."""

    def nodes(prefix: str) -> list[tuple[str, str]]:
        found = [k for k in summary if k.startswith(prefix) and not k.endswith(": total")]
        return [("  ", k) for k in sorted(found, key=lambda k: -summary[k][0])]

    order = [("", CHANNEL), ("", "tracker store: load"), ("", "NLU: total"), *nodes("NLU: "), ("", SLOTS)]
    order += [("", "policies: total"), *nodes("policies: ")]
    for name in actions:
        order += [("", f"action: {name}"), ("  ", f"{CALL}{name}"), ("    ", f"{BUILD}{name}")]
        order += [("    ", f"{HTTP}{name}"), ("    ", f"{WORK}{name}"), ("      ", f"{PARSE}{name}")]
        order += [("      ", f"{RUN}{name}"), ("  ", f"{OUTSIDE}{name}")]
    order += [("", "tracker store: save"), ("", OTHER), *nodes("other: "), ("", TURN), ("", E2E_HERE), ("", E2E)]
    order += [("", f"{SIZE}{name}") for name in actions]
    return [(indent, key) for indent, key in order if key in summary]


def table(
    summaries: dict[str, dict[str, tuple[float, float]]], labels: dict[str, str], actions: list[str]
) -> list[str]:
    columns = list(summaries)
    lines = [
        "| part | " + " | ".join(f"{labels[c]}: median ms | p95 ms | share" for c in columns) + " |",
        "| --- |" + " --- | --- | --- |" * len(columns),
    ]
    keys = list(dict.fromkeys(row for c in columns for row in rows(summaries[c], actions)))
    for indent, key in keys:
        cells = []
        for c in columns:
            summary = summaries[c]
            e2e = summary[E2E_HERE][0]
            if key not in summary:
                cells.append("- | - | -")
            elif key.startswith(SIZE):
                cells.append(f"{summary[key][0]:.1f} KB | {summary[key][1]:.1f} KB | -")
            else:
                median, p95 = summary[key]
                cells.append(f"{median:.1f} | {p95:.1f} | {median / e2e:.0%}")
        shown = key.replace("NLU: ", "", 1) if indent and key.startswith("NLU: ") else key
        shown = shown.replace("policies: ", "", 1) if indent and key.startswith("policies: ") else shown
        lines.append(f"| {'&nbsp;' * len(indent)}{shown} | " + " | ".join(cells) + " |")
    return lines


def interrupted(*_: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, interrupted)  # stop the servers this started, as on Ctrl-C
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=20, help="conversations timed at message 2 (20)")
    parser.add_argument("--long", type=int, default=200, help="length of the long conversation, 0 for none (200)")
    parser.add_argument("--now", default=DEFAULT_NOW, help=f"the action server's clock ({DEFAULT_NOW})")
    args = parser.parse_args()
    data = yaml.safe_load(QUESTIONS.read_text(encoding="utf-8"))
    plan = conversations(data["other_faq"], args.turns, args.long)  # paraphrases of FAQ entries
    print(f"command: python bench/profile_turn.py {' '.join(sys.argv[1:])}".strip())
    print(f"when: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="helpdesk-profile-") as tmp, local_stack(now=args.now) as stack:
        print(f"stack: {stack.description}; model {stack.model.name}", flush=True)
        e2e = end_to_end(stack, plan)
        print("end to end done; loading the model in process ...", flush=True)
        timed = asyncio.run(in_process(stack, plan, Path(tmp)))
        for timings in timed.values():
            asyncio.run(action_work(timings))
            derive(timings)
    summaries, left_out = {}, {}
    for kind in ("short", "long"):
        if timed[kind].turns:
            faq_e2e, left_out[kind] = only_faq_turns(timed[kind], e2e[kind])
            if timed[kind].turns:
                summaries[kind] = summarise(timed[kind], faq_e2e)
    counted = {k: len(timed[k].turns) for k in summaries}
    labels = {
        "short": f"message 2 ({counted.get('short', 0)} conversations)",
        "long": f"messages {max(1, args.long - 9)}-{args.long} ({counted.get('long', 0)} turns)",
    }
    sequences = sorted({" > ".join(a) for t in timed.values() for a in t.actions})
    actions = list(dict.fromkeys(name for t in timed.values() for a in t.actions for name in a))
    print(f"\nactions in the FAQ turns: {'; '.join(sequences)}")
    if any(left_out.values()):
        print(f"left out, not answered by {FAQ_ACTION} (live status, urgent, ...): {left_out}")
    print()
    print("\n".join(table(summaries, labels, actions)))
    print(
        "\nms per turn; share: of the median end to end in this process. Indented rows are inside the row above"
        " them. NLU and policy rows are the model's graph nodes. The last row is the same messages sent to the real"
        " Rasa server (its own process, no timers) before: what the timers and this process change."
    )
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
