"""What bench/load.py and bench/profile_turn.py share: the running stack they measure, the CPU time and
memory of its processes, and a description of the machine.

`local_stack` starts the real Rasa server and action server as `helpdesk eval` and the tests do
(`bot/ops/local_bot.py`: `helpdesk serve rasa`, `helpdesk serve actions`, each exec'ing into its Python server,
so the child's PID is the server's own), on free ports with a temporary state folder, from a snapshot of
the training inputs (others may be editing the project meanwhile). The model for that snapshot is taken
from the project's models/ when it is there (the same name is the same training inputs), else trained in
the snapshot and left in models/ for next time, as `helpdesk train` would. `attached_stack` measures a stack
already running (`make run`), finding its processes by the ports they listen on.

Everything is read from /proc (Linux), so nothing outside the project's own venv is needed.
"""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.answers.evaluation import copy_training_inputs  # noqa: E402
from bot.answers.training import current_model, ensure_model, generate_training_data  # noqa: E402
from bot.ops.cluster import MOST_REPLICAS  # noqa: E402
from bot.ops.local_bot import ACTIONS, RASA, LocalBot, private_env  # noqa: E402
from core.settings import Settings  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# A moment inside a maintenance window (Phase 2: Messaging Core Migration, API and Omni unavailable), when
# the crowd asks "is it down now?": the action server's clock is fixed here unless told otherwise.
DEFAULT_NOW = "2020-09-08T10:30:00Z"


# ---- the machine ---------------------------------------------------------------------------------------


def machine() -> str:
    """One line: cores, memory, CPU model, Python and OS."""
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at start {load}"
    )


# ---- processes -----------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its waited-for children (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def memory_kb(pid: int, key: str) -> int:
    """VmRSS (now) or VmHWM (peak since the process started) of `pid`, in KB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise ValueError(f"no {key} for {pid}")


def pid_listening_on(port: int) -> int:
    """The PID of the process with a TCP socket listening on `port` (IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[3] == "0A" and int(parts[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                    inodes.add(parts[9])
    wanted = {f"socket:[{inode}]" for inode in inodes}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        return int(proc.name)
    raise LookupError(f"no process of this user listens on port {port}")


@dataclass
class Usage:
    cpu_seconds: float
    peak_rss_mb: float  # the highest RSS sampled during the measurement
    hwm_mb: float  # VmHWM: the process's peak RSS since it started


@dataclass
class ProcessSampler:
    """CPU seconds of each named process over a measurement, and its RSS sampled every `interval` seconds.
    `self` names this process (the load driver)."""

    pids: dict[str, int]
    interval: float = 0.25
    _start_cpu: dict[str, float] = field(default_factory=dict)
    _peak_kb: dict[str, int] = field(default_factory=dict)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            with contextlib.suppress(OSError, ValueError):
                self._peak_kb[name] = max(self._peak_kb.get(name, 0), memory_kb(pid, "VmRSS"))

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            self._sample()

    def start(self) -> None:
        self._start_cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> dict[str, Usage]:
        self._done.set()
        if self._thread:
            self._thread.join()
        self._sample()
        usage = {}
        for name, pid in self.pids.items():
            try:
                usage[name] = Usage(
                    cpu_seconds(pid) - self._start_cpu[name],
                    self._peak_kb.get(name, 0) / 1024,
                    memory_kb(pid, "VmHWM") / 1024,
                )
            except (OSError, ValueError):  # the process is gone: report what was seen
                usage[name] = Usage(float("nan"), self._peak_kb.get(name, 0) / 1024, float("nan"))
        return usage


# ---- the stack -----------------------------------------------------------------------------------------


@dataclass
class Stack:
    settings: Settings  # ports, tokens and state files of the running servers
    pids: dict[str, int]  # rasa, actions
    model: Path  # the model file the Rasa server runs
    description: str  # how it was started, for the report
    env: dict[str, str] = field(default_factory=dict)  # the servers' settings (local stacks only)


def _model_for(project: Path, work: Path, log) -> tuple[Path, Path]:
    """(model, faq_dir) for the training inputs snapshotted in `project`: the project's cached model when it
    has one for exactly these inputs, else trained here and cached in the project's models/."""
    copy = Settings.from_env(
        {
            "HELPDESK_HOME": str(project),
            "HELPDESK_VAR_DIR": str(work / "var"),
            "HELPDESK_MODEL_DIR": str(work / "models"),
        }
    )
    generate_training_data(copy)  # the FAQ index and generated NLU data, in the snapshot only
    cached = Settings.from_env().model_dir / current_model(copy).name
    if cached.is_file():
        return cached, copy.faq_dir
    print(f"no model in models/ for the current training data: training {cached.name} (a few minutes) ...", flush=True)
    model, _ = ensure_model(copy, log=log)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(f".{cached.name}.partial")
    shutil.copy(model, partial)
    partial.replace(cached)  # whole or not at all: `make run` takes the newest file in models/
    return cached, copy.faq_dir


@contextlib.contextmanager
def local_stack(now: str = DEFAULT_NOW, **overrides: str) -> Iterator[Stack]:
    """The Rasa server and action server, started for this measurement and stopped after it."""
    with tempfile.TemporaryDirectory(prefix="helpdesk-bench-") as tmp:
        work = Path(tmp)
        project = copy_training_inputs(ROOT, work / "project")
        with open(work / "train.log", "a") as log:
            model, faq_dir = _model_for(project, work, log)
        env = private_env(
            work / "var",
            HELPDESK_HOME=str(project),
            HELPDESK_MODEL_DIR=str(model.parent),
            HELPDESK_FAQ_DIR=str(faq_dir),
            HELPDESK_NOW=now,
            **overrides,
        )
        # `helpdesk serve rasa` runs the model named by the snapshot's training hash, in this folder: `model`.
        bot = LocalBot(env, work / "logs")
        started = time.monotonic()
        bot.start()
        try:
            pids = {"rasa": bot.processes[RASA].pid, "actions": bot.processes[ACTIONS].pid}
            description = (
                f"`helpdesk serve rasa` + `helpdesk serve actions` (bot/ops/local_bot.py), temporary state folder, "
                f"SQLite tracker store, action server clock HELPDESK_NOW={now or 'real time'}; "
                f"started in {time.monotonic() - started:.0f} s"
            )
            yield Stack(bot.settings, pids, model, description, env)
        finally:
            bot.stop()


@contextlib.contextmanager
def attached_stack() -> Iterator[Stack]:
    """A stack already running with this project's settings (`make run`, or `make run-cluster`: HAProxy on
    RASA_PORT, replica n on RASA_PORT+n and ACTION_PORT+n): nothing is started or stopped."""
    settings = Settings.from_env()
    front = pid_listening_on(settings.rasa_port)
    if b"haproxy" not in Path(f"/proc/{front}/cmdline").read_bytes():
        pids = {"rasa": front, "actions": pid_listening_on(settings.action_port)}
        rasa = front
    else:
        pids = {"proxy": front, **_cluster_pids(settings)}
        rasa = pids["rasa-1"]
    cmdline = Path(f"/proc/{rasa}/cmdline").read_bytes().split(b"\0")
    model = next((Path(arg.decode()) for arg in cmdline if arg.endswith(b".tar.gz")), Path("unknown"))
    yield Stack(settings, pids, model, f"an already running stack at {settings.rasa_url} (PIDs {pids})")


def _cluster_pids(settings: Settings) -> dict[str, int]:
    """The replicas' servers, Postgres and Redis of a running `helpdesk start --replicas N`."""
    pids = {}
    for n in range(1, MOST_REPLICAS + 1):
        try:
            pids[f"rasa-{n}"] = pid_listening_on(settings.rasa_port + n)
            pids[f"actions-{n}"] = pid_listening_on(settings.action_port + n)
        except LookupError:
            break
    for name, port in (("postgres", settings.postgres_port), ("redis", settings.redis_port)):
        with contextlib.suppress(LookupError):
            pids[name] = pid_listening_on(port)
    return pids
