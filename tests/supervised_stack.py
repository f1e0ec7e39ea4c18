"""`make run`'s stack as `helpdesk start` runs it (supervisord), for the tests and benchmarks that break it:
start it, find its processes, and walk a customer through an urgent case the way a person would,
re-sending a message the bot could not take."""

from __future__ import annotations

import re
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from conftest import (
    ARTIFACTS,
    HELPDESK,
    ONCALL_CHANNEL,
    SIGNING_SECRET,
    STAFF,
    UPDATES_CHANNEL,
    RunningBot,
    settings_env,
)

from core.errors import BotUnavailable
from core.settings import Settings

SUPERVISORCTL = str(Path(HELPDESK).with_name("supervisorctl"))
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


def slack_env(api_url: str) -> dict[str, str]:
    """Settings that turn the Slack app on, its Web API calls going to `api_url` (a stand-in)."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "SLACK_ONCALL_CHANNEL": ONCALL_CHANNEL,
        "SLACK_UPDATES_CHANNEL": UPDATES_CHANNEL,
        "SLACK_STAFF_USERS": STAFF,
    }


class SupervisedBot(RunningBot):
    """`helpdesk start` with a var dir and ports of its own and no tokens set, so it makes this run's own.
    Slack is off unless `extra_env` turns it on (slack_env)."""

    def __init__(self, var_dir: Path, **extra_env: str) -> None:
        env = settings_env(
            var_dir, **{"RASA_API_TOKEN": "", "ACTION_SERVER_TOKEN": "", "SLACK_BOT_TOKEN": "", **extra_env}
        )
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
        self.wait_until_answering()

    def _alive(self) -> bool:
        assert self.supervisor is not None
        if self.supervisor.poll() is not None:
            raise AssertionError(
                f"`helpdesk start` exited ({self.supervisor.returncode}); see {self.log_dir}/supervised.log"
            )
        return True

    def pid(self, component: str) -> int:
        """The component's process id as supervisord tells it (0: not running)."""
        if not self.config.is_file():
            return 0
        result = subprocess.run(
            [SUPERVISORCTL, "-c", str(self.config), "pid", component], capture_output=True, text=True, timeout=30
        )
        return int(result.stdout.strip()) if result.stdout.strip().isdigit() else 0

    def restarted(self, component: str, old_pid: int, timeout: float = 120) -> int:
        """Wait for supervisord to run `component` again under a new pid; returns it."""
        return wait_for(
            lambda: self.pid(component) not in (0, old_pid) and self.pid(component),
            timeout,
            f"supervisord restarting {component}",
        )

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


URGENT = "urgent: our messages are not being delivered"
ANSWERS = {
    "contact_name": "Ana Smith",
    "company": "Kiwi Texts",
    "callback": "021 555 0199",
    "product": "API",
    "description": "Every send returns HTTP 500",
}
PHONE = "0800 77 66 22"
REF = re.compile(r"\b(ESC-\d{4,})\b")


@dataclass
class UrgentCase:
    """How one customer's urgent case went: what was sent, every reply, and how many sends got no answer."""

    sender: str
    sent: list[str] = field(default_factory=list)
    replies: list[list[dict]] = field(default_factory=list)
    unanswered: int = 0  # sends that got no HTTP answer at all (the server down) and were sent again

    @property
    def last(self) -> str:
        return text_of(self.replies[-1]) if self.replies else ""

    @property
    def ref(self) -> str | None:
        """The escalation the last reply names, if it names one."""
        found = REF.search(self.last)
        return found.group(1) if found else None

    @property
    def ended_clearly(self) -> bool:
        """The customer has a case reference or a plain message with the phone number."""
        return bool(self.ref) or PHONE in self.last


def say(bot: RunningBot, case: UrgentCase, text: str, patience: float = 300) -> list[dict]:
    """Send `text` as the customer, sending it again (with the same message id) while the server cannot be
    reached, as the widget does."""
    deadline = time.monotonic() + patience
    message_id = uuid.uuid4().hex
    while True:
        try:
            replies = bot.ask(text, sender=case.sender, message_id=message_id)
        except BotUnavailable:
            case.unanswered += 1
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
            continue
        case.sent.append(text)
        case.replies.append(replies)
        return replies


def conversation(bot: RunningBot, sender: str, patience: float = 300) -> dict:
    """The conversation's tracker, waiting while the Rasa server is down (being restarted)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return bot.tracker(sender)
        except (BotUnavailable, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def form_question(tracker: dict) -> str | None:
    """The slot the escalation form is asking for, if it is running."""
    if (tracker.get("active_loop") or {}).get("name") != "escalation_form":
        return None
    return tracker["slots"].get("requested_slot")


def offers_yes(replies: list[dict]) -> bool:
    return any(button.get("payload") == "/affirm" for reply in replies for button in reply.get("buttons") or [])


def report_urgent_case(
    bot: RunningBot, sender: str, before: Callable[[int], None] = lambda step: None, max_messages: int = 20
) -> UrgentCase:
    """A customer reporting an urgent problem and going along with the bot until it stops asking.

    The form's current question is read from the tracker, so an answer the bot could not take (an action
    failed, the database was busy) is given again, as a person would; an offer (of an engineer, of trying
    again) is accepted. `before(n)` runs before the n-th message: that is where a test breaks something.
    """
    case = UrgentCase(sender)
    asked_before = None
    for step in range(max_messages):
        before(step)
        if step == 0:
            message = URGENT
        elif asked := form_question(conversation(bot, sender)):
            if asked == asked_before:  # not taken: wait for the servers, as a person would, and answer again
                bot.wait_until_answering()
            message, asked_before = ANSWERS[asked], asked
        elif offers_yes(case.replies[-1]) and not case.ref:
            message = "/affirm"
        else:
            return case
        say(bot, case, message)
    return case
