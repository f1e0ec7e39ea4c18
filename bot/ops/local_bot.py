"""The real Rasa server and action server as child processes of this one, on free ports: started exactly as
`make run` starts them (`helpdesk serve rasa`, `helpdesk serve actions`), for the tests and `helpdesk eval`.

The action server can be restarted with its clock fixed (HELPDESK_NOW), since the live status it gives
depends on the time. Nothing here imports `actions/` or the tests.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Mapping

from bot.ops import rasa_client
from core.errors import BotUnavailable
from core.settings import Settings

HELPDESK = str(Path(sys.executable).with_name("helpdesk"))
ACTIONS, RASA = 0, 1  # where each server is in LocalBot.processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def private_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """Settings for servers of their own: every state file in `var_dir`, free ports, fresh tokens, Slack off.
    Each one is set (empty when off), so neither this process's environment nor the project's .env can point
    the servers at the real state databases."""
    env = {
        "HELPDESK_VAR_DIR": str(var_dir),
        "HELPDESK_FAQ_DB": str(var_dir / "faq_index.db"),
        "HELPDESK_DB": str(var_dir / "helpdesk.db"),
        "RASA_TRACKER_DB": str(var_dir / "tracker.db"),
        "HELPDESK_DATABASE_URL": "",  # the files above, never a real Postgres or Redis
        "HELPDESK_REDIS_URL": "",
        "RASA_HOST": "127.0.0.1",
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        "ACTION_SERVER_TOKEN": secrets.token_urlsafe(24),
        "HELPDESK_NOW": "",
        "SLACK_BOT_TOKEN": "",
        "SLACK_APP_TOKEN": "",
    }
    env.update(overrides)
    return env


class LocalBot:
    """`helpdesk serve actions` and `helpdesk serve rasa` with the settings in `env` (over this process's
    environment), each writing to `<log_dir>/<component>.log`."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env}
        self.settings = Settings.from_env(env)
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []  # [actions, rasa] while running

    def _spawn(self, component: str) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / f"{component}.log", "a") as log:
            return subprocess.Popen([HELPDESK, "serve", component], env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        from faq_index.index import build_index

        build_index(self.settings.faq_dir, self.settings.faq_db)  # as `helpdesk train` does before `make run` serves
        self.processes = [self._spawn("actions"), self._spawn("rasa")]
        try:
            self.wait_until_answering()
        except BotUnavailable:
            self.stop()
            raise

    def __enter__(self) -> "LocalBot":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until_answering(self) -> None:
        """Block until both servers answer (after a restart, say)."""
        self._wait_for_rasa(timeout=240)
        self._wait_for_actions(timeout=120)

    def _exited(self, index: int) -> None:
        if len(self.processes) > index and self.processes[index].poll() is not None:
            component = "actions" if index == ACTIONS else "rasa"
            raise BotUnavailable(
                f"`helpdesk serve {component}` exited ({self.processes[index].returncode}); "
                f"see {self.log_dir / (component + '.log')}"
            )

    def _wait_for_rasa(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self._exited(RASA)
            try:
                rasa_client.wait_until_ready(self.settings, timeout=min(5.0, max(0.0, deadline - time.monotonic())))
                return
            except BotUnavailable:
                if time.monotonic() > deadline:
                    raise

    def _wait_for_actions(self, timeout: float) -> None:
        url = f"http://127.0.0.1:{self.settings.action_port}/health"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._exited(ACTIONS)
            try:
                urllib.request.urlopen(url, timeout=2).close()
                return
            except OSError:
                time.sleep(0.3)
        raise BotUnavailable("the action server did not start")

    @property
    def clock(self) -> str:
        """The action server's HELPDESK_NOW ("" for real time)."""
        return self.env.get("HELPDESK_NOW", "")

    def set_clock(self, instant: str | None) -> None:
        """Restart the action server with HELPDESK_NOW fixed at `instant` (None: real time)."""
        wanted = instant or ""
        if self.clock == wanted:
            return
        actions = self.processes[ACTIONS]
        actions.terminate()
        actions.wait(timeout=20)
        self.env["HELPDESK_NOW"] = wanted
        self.processes[ACTIONS] = self._spawn("actions")
        self._wait_for_actions(timeout=120)

    def restart_rasa(self) -> None:
        """Stop the Rasa server and start it again (its conversations are in the SQLite tracker store)."""
        rasa = self.processes[RASA]
        rasa.terminate()
        rasa.wait(timeout=30)
        self.processes[RASA] = self._spawn("rasa")
        self._wait_for_rasa(timeout=240)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        self.processes.clear()

    def ask(self, text: str, sender: str, message_id: str | None = None) -> list[dict]:
        return rasa_client.send_message(self.settings, text, sender=sender, message_id=message_id)

    def tracker(self, sender: str) -> dict:
        """A conversation's tracker (Rasa's HTTP API)."""
        return rasa_client.tracker(self.settings, sender)
