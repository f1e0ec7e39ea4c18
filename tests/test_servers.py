"""`make run`'s processes as it starts them (`helpdesk start`: supervisord), and what each refuses or survives:
no secret on a command line, the action server only for the Rasa server, bounded request bodies, a customer
told the phone number when the action server hangs, a killed process restarted, Ctrl-C stopping everything."""
from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pytest

from bot import escalations, rasa_client
from bot.settings import Settings
from conftest import ARTIFACTS, HELPDESK, RunningBot, announce, settings_env

SUPERVISORCTL = str(Path(HELPDESK).with_name("supervisorctl"))
COMPONENTS = ("rasa", "actions", "web", "worker")
FAQ_QUESTION = "what is the rollback plan?"
PHONE = "0800 77 66 22 (+64 4 498 6000)"
T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float, what: str) -> T:
    """Poll `condition` until it gives something true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s")


def text_of(replies: list[dict]) -> str:
    return " ".join(reply.get("text") or "" for reply in replies)


class SupervisedBot(RunningBot):
    """`helpdesk start` with a var dir and ports of its own and no tokens set, so it makes this run's own."""

    def __init__(self, var_dir: Path) -> None:
        env = settings_env(var_dir, RASA_API_TOKEN="", ACTION_SERVER_TOKEN="", SLACK_BOT_TOKEN="")
        super().__init__(env, ARTIFACTS)
        self.config = var_dir / "supervisord.conf"
        self.supervisor: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_dir / "supervised.log", "a")  # append: supervisord and its children share it
        self.supervisor = subprocess.Popen([HELPDESK, "start"], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        # `helpdesk start` trains first if the training data changed since the session's model: allow for it.
        rasa = wait_for(lambda: self._alive() and self.pid("rasa"), 900, "supervisord starting rasa")
        self.env.update(self.tokens(rasa))
        self.settings = Settings.from_env(self.env)
        rasa_client.wait_until_ready(self.settings, timeout=240)
        self._wait_for_actions(timeout=120)

    def _alive(self) -> bool:
        assert self.supervisor is not None
        if self.supervisor.poll() is not None:
            raise AssertionError(f"`helpdesk start` exited ({self.supervisor.returncode}); see {self.log_dir}/supervised.log")
        return True

    def pid(self, component: str) -> int:
        """The component's process id as supervisord tells it (0: not running)."""
        if not self.config.is_file():
            return 0
        result = subprocess.run([SUPERVISORCTL, "-c", str(self.config), "pid", component],
                                capture_output=True, text=True, timeout=30)
        return int(result.stdout.strip()) if result.stdout.strip().isdigit() else 0

    @staticmethod
    def tokens(pid: int) -> dict[str, str]:
        """The secrets `helpdesk start` made for this run, from a process's environment (its owner may read it)."""
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        pairs = dict(item.decode().split("=", 1) for item in environ if b"=" in item)
        return {name: pairs[name] for name in ("RASA_API_TOKEN", "ACTION_SERVER_TOKEN")}

    def stop(self) -> None:
        """What Ctrl-C in `make run`'s terminal does: SIGINT to supervisord, which stops every process."""
        if self.supervisor is not None and self.supervisor.poll() is None:
            self.supervisor.send_signal(signal.SIGINT)
            try:
                self.supervisor.wait(timeout=90)
            except subprocess.TimeoutExpired:
                self.supervisor.kill()
                raise


@pytest.fixture(scope="module")
def supervised(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SupervisedBot]:
    running = SupervisedBot(tmp_path_factory.mktemp("supervised") / "var")
    try:
        running.start()
        yield running
    finally:
        running.stop()


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_every_process_runs_and_no_secret_is_on_a_command_line(supervised):
    secrets = [supervised.env["RASA_API_TOKEN"], supervised.env["ACTION_SERVER_TOKEN"]]
    assert all(len(secret) >= 24 for secret in secrets)  # made by `helpdesk start`, one for each run
    pids = {component: supervised.pid(component) for component in COMPONENTS}
    assert all(pids.values()), pids
    assert supervised.pid("slack") == 0  # Slack is off, so it is not started
    for pid in [supervised.supervisor.pid, *pids.values()]:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
        assert not [secret for secret in secrets if secret in command_line], command_line
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert "actions.rasa_server" in listing and not [secret for secret in secrets if secret in listing]


def test_the_generated_configuration_is_private_and_holds_no_secret(supervised):
    text = supervised.config.read_text()
    assert text.splitlines()[0].startswith("; Generated by `helpdesk start`")
    assert "inet_http_server" not in text and "autorestart=true" in text
    assert supervised.env["ACTION_SERVER_TOKEN"] not in text and supervised.env["RASA_API_TOKEN"] not in text
    assert stat.S_IMODE(supervised.config.stat().st_mode) == 0o600
    socket_file = supervised.config.with_name("supervisor.sock")
    assert stat.S_ISSOCK(socket_file.stat().st_mode) and stat.S_IMODE(socket_file.stat().st_mode) == 0o700


def test_the_action_server_refuses_anyone_without_the_secret(supervised):
    url = supervised.settings.action_url
    call = {"next_action": "action_create_escalation", "sender_id": "intruder", "version": "3.6.21",
            "tracker": {"sender_id": "intruder", "events": [], "latest_message": {}, "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": None,
                        "slots": {"contact_name": "Mallory", "company": "Nobody", "callback": "not-a-phone",
                                  "product": "API", "description": "posted straight to the action server"}},
            "domain": {}}
    body = json.dumps(call).encode()
    wrong = "Bearer " + "x" * len(supervised.env["ACTION_SERVER_TOKEN"])
    assert post(url, body)[0] == 401
    assert post(url, body, {"Authorization": wrong})[0] == 401
    assert [case for case in escalations.listing(supervised.settings.state_db) if case.conversation_id == "intruder"] == []
    base = url.removesuffix("/webhook")
    urllib.request.urlopen(f"{base}/health", timeout=10).close()  # open: doctor and the tests ask it
    right = urllib.request.Request(f"{base}/actions",
                                   headers={"Authorization": f"Bearer {supervised.env['ACTION_SERVER_TOKEN']}"})
    with urllib.request.urlopen(right, timeout=10) as response:
        assert "action_create_escalation" in response.read().decode()


def test_oversized_bodies_get_413_and_the_next_message_is_answered(supervised):
    webhook = f"{supervised.settings.rasa_url}/webhooks/rest/webhook"
    huge = json.dumps({"sender": "oversized", "message": "a" * 100_000}).encode()
    assert post(webhook, huge)[0] == 413
    assert "migration helpdesk bot" in text_of(supervised.ask("hello", sender="oversized"))
    authorised = {"Authorization": f"Bearer {supervised.env['ACTION_SERVER_TOKEN']}"}
    assert announce(supervised.settings.action_url, 9_000_000, authorised) == 413


def test_a_hung_action_server_gets_the_customer_the_phone_number(supervised):
    actions = supervised.pid("actions")
    os.kill(actions, signal.SIGSTOP)  # accepts connections, answers nothing: as a hung server does
    try:
        replies = supervised.ask(FAQ_QUESTION, sender="hung-actions")
    finally:
        os.kill(actions, signal.SIGCONT)
    assert "something went wrong" in text_of(replies) and PHONE in text_of(replies)
    assert "(Source:" in text_of(supervised.ask(FAQ_QUESTION, sender="hung-actions"))  # and it answers again


def test_an_answer_the_form_could_not_check_is_asked_for_again(supervised):
    sender = "unchecked-answer"
    supervised.ask("our messages are not being delivered, this is urgent", sender=sender)
    for answer in ("/affirm", "Ana Smith"):
        supervised.ask(answer, sender=sender)
    assert "phone number or email" in text_of(supervised.ask("Kiwi Texts", sender=sender))
    actions = supervised.pid("actions")
    os.kill(actions, signal.SIGSTOP)  # the form cannot check the number
    try:
        unchecked = text_of(supervised.ask("not-a-phone", sender=sender))
    finally:
        os.kill(actions, signal.SIGCONT)
    assert PHONE in unchecked and unchecked.rstrip().endswith("What phone number or email should the engineer use to reach you?")
    assert "doesn't look like a phone number" in text_of(supervised.ask("not-a-phone", sender=sender))
    assert "Which product" in text_of(supervised.ask("021 555 0199", sender=sender))


def test_supervisord_restarts_a_killed_action_server(supervised):
    killed = supervised.pid("actions")
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: supervised.pid("actions") not in (0, killed), 60, "a new action server process")
    supervised._wait_for_actions(timeout=120)
    assert "(Source:" in text_of(supervised.ask(FAQ_QUESTION, sender="after-restart"))


def test_ctrl_c_stops_every_process(supervised):
    pids = [supervised.pid(component) for component in COMPONENTS]
    supervised.stop()
    assert supervised.supervisor.returncode == 0
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
