"""Shared fixtures: settings on temporary paths, and the real Rasa + action servers."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

import psycopg2
import pytest
import redis

from bot.answers.training import ensure_model
from bot.ops import cluster
from bot.ops.local_bot import HELPDESK, LocalBot, free_port  # noqa: F401 - HELPDESK and free_port: for the tests
from core import postgres
from core.db import Database
from core.schema import state_database
from core.settings import PROJECT_ROOT, Settings

ARTIFACTS = PROJECT_ROOT / "tests" / "artifacts"
# Models trained on test data (a project with an extra document) are cached here, never in models/, where
# `make run` and Rasa's own `rasa run -m models` take the newest file.
TEST_MODELS = PROJECT_ROOT / ".cache" / "test-models"


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """The file immutable for the block: even root cannot write it (chmod does not stop root)."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def announce(url: str, length: int, headers: dict[str, str]) -> int:
    """The status of a POST that announces a `length`-byte body and waits for the server's go-ahead before
    sending it (`Expect: 100-continue`, as curl does for big bodies), so a refusal is read, not cut off."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.putrequest("POST", parts.path)
        for name, value in {
            "Content-Type": "application/json",
            "Content-Length": str(length),
            "Expect": "100-continue",
            **headers,
        }.items():
            connection.putheader(name, value)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


def helpdesk(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """The `helpdesk` command line run as a user runs it (a process of its own), with `env` over ours."""
    return subprocess.run([HELPDESK, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout)


def settings_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """An environment whose helpdesk settings point at `var_dir` and at free ports."""
    env = {
        "HELPDESK_HOME": str(PROJECT_ROOT),
        "HELPDESK_VAR_DIR": str(var_dir),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "SLACK_PORT": str(free_port()),
        "RASA_API_TOKEN": "test-token",
        "ACTION_SERVER_TOKEN": "test-action-token",
        "HELPDESK_DATABASE_URL": "",  # never the developer's own Postgres or Redis (.env)
        "HELPDESK_REDIS_URL": "",
    }
    env.update(overrides)
    return env


# The fast tier (`make check`) is every test that needs none of these: a trained model, real Rasa and action
# servers, Chromium, or a whole supervised stack. `make test` runs the rest after it.
SLOW_FIXTURES = frozenset({"trained_model", "bot", "browser", "web"})
SLOW_MODULES = frozenset({"test_faults", "test_servers", "test_new_document"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__ in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env(settings_env(tmp_path / "var"))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """The model for the current training data, trained once and cached by content hash in models/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env({"HELPDESK_HOME": str(PROJECT_ROOT)})
    log = ARTIFACTS / "rasa-train.log"
    with open(log, "w") as out:
        model, _ = ensure_model(settings, log=out)
    return model


class RunningBot(LocalBot):
    """The real Rasa server and action server (bot/ops/local_bot.py), with what the tests ask of them."""

    def said_by_bot(self, sender: str) -> list[str]:
        """Everything the bot said in a conversation, from its tracker."""
        return [e.get("text") or "" for e in self.tracker(sender)["events"] if e["event"] == "bot"]

    def slots(self, sender: str) -> dict:
        """A conversation's slots now, from its tracker."""
        return self.tracker(sender)["slots"]

    def escalate(self, sender: str, summary: str = "Every send returns HTTP 500") -> str:
        """Run the escalation form to the end; returns the new escalation's reference."""
        self.ask("urgent: our messages are not being delivered", sender=sender)
        for answer in ("/affirm", "Ana Smith", "Kiwi Texts", "021 555 0199", "API"):
            self.ask(answer, sender=sender)
        done = " ".join(m.get("text", "") for m in self.ask(summary, sender=sender))
        return done.split("Your reference is ")[1][:8]


@pytest.fixture(scope="session")
def bot(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    var_dir = tmp_path_factory.mktemp("bot-var")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    running = RunningBot(settings_env(var_dir), ARTIFACTS)
    running.start()
    yield running
    running.stop()


SHIPPED_FAQ = PROJECT_ROOT / "data" / "faq"
TEST_DOCS = PROJECT_ROOT / "tests" / "data" / "docs"


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The FAQ index of the shipped documents, built once into a temporary file."""
    from faq_index.index import build_index

    db_path = tmp_path_factory.mktemp("faq") / "faq_index.db"
    build_index(SHIPPED_FAQ, db_path)
    return db_path


@pytest.fixture
def faq_dir(tmp_path: Path) -> Path:
    """An empty FAQ folder of the test's own."""
    folder = tmp_path / "faq"
    folder.mkdir()
    return folder


SIGNING_SECRET = "test-signing-secret"
STAFF = "USTAFF01"
ONCALL_CHANNEL = "C0ONCALL"
UPDATES_CHANNEL = "C0UPDATES"


class SlackHarness:
    """The real Bolt app served over HTTP on a free port, its Web API calls going to a local stand-in."""

    def __init__(self, env: dict[str, str]) -> None:
        from slack_standin import SlackStandIn

        from helpdesk_slack.app import build_app
        from helpdesk_slack.delivery import SlackDelivery
        from helpdesk_slack.http_server import PATH, make_server

        self.standin = SlackStandIn()
        self.env = env  # the settings' environment, for `helpdesk` processes of the test's own
        self.settings = Settings.from_env(
            {
                **env,
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.standin.api_url,
                "SLACK_ONCALL_CHANNEL": ONCALL_CHANNEL,
                "SLACK_UPDATES_CHANNEL": UPDATES_CHANNEL,
                "SLACK_STAFF_USERS": STAFF,
            }
        )
        self.app, self.context = build_app(self.settings)
        self.delivery = SlackDelivery(self.context, self.context.client)
        self.server = make_server(self.app, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"

    def post(self, body: str, content_type: str, **kwargs) -> tuple[int, str, float]:
        from slack_standin import post_signed

        kwargs.setdefault("secret", SIGNING_SECRET)
        return post_signed(self.url, body, content_type=content_type, **kwargs)

    def event(self, event: dict, **kwargs) -> tuple[int, str, float]:
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T0TEAM",
                "api_app_id": "A0HELPDESK",
                "event_id": f"Ev{time.monotonic_ns()}",
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return self.post(body, "application/json", **kwargs)

    def command(self, name: str, text: str, user: str = STAFF, **kwargs) -> tuple[int, str, float]:
        body = urllib.parse.urlencode(
            {
                "command": name,
                "text": text,
                "user_id": user,
                "user_name": user.lower(),
                "team_id": "T0TEAM",
                "channel_id": "C0GENERAL",
                "trigger_id": "1.2.3",
                "response_url": f"{self.standin.url}/respond",
            }
        )
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def interact(self, payload: dict, **kwargs) -> tuple[int, str, float]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.post(body, "application/x-www-form-urlencoded", **kwargs)

    def click(
        self,
        action_id: str,
        value: str | None,
        user: str = STAFF,
        channel: str = ONCALL_CHANNEL,
        message: dict | None = None,
        selected_user: str | None = None,
    ) -> tuple[int, str, float]:
        """A click on a button (its `value`), or a pick in a user picker (`selected_user`, no value)."""
        action = {"action_id": action_id, "block_id": "b", "type": "button", "value": value}
        if selected_user is not None:
            action = {"action_id": action_id, "block_id": "b", "type": "users_select", "selected_user": selected_user}
        return self.interact(
            {
                "type": "block_actions",
                "team": {"id": "T0TEAM"},
                "user": {"id": user, "name": user.lower()},
                "api_app_id": "A0HELPDESK",
                "trigger_id": "1.2.3",
                "channel": {"id": channel},
                "container": {"type": "message", "channel_id": channel},
                "message": message or {"ts": "1.1", "text": ""},
                "response_url": f"{self.standin.url}/respond",
                "actions": [action],
            }
        )

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.standin.close()


@pytest.fixture
def slack(tmp_path: Path, shipped_index: Path) -> Iterator[SlackHarness]:
    """The Slack app on its own (no Rasa): a fresh state database, the shipped FAQ index."""
    harness = SlackHarness(settings_env(tmp_path / "var", HELPDESK_FAQ_DB=str(shipped_index)))
    yield harness
    harness.close()


@pytest.fixture
def slack_bot(bot) -> Iterator[SlackHarness]:
    """The Slack app in front of the real bot, on the bot's state database; Slack's Web API a local stand-in."""
    harness = SlackHarness({key: value for key, value in bot.env.items() if not key.startswith("SLACK_")})
    yield harness
    harness.close()


CHROMIUM = os.environ.get("HELPDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium from Debian's package (scripts/browser.sh installs it), driven by Playwright. One per test
    module: Playwright's sync API keeps an event loop running in this thread while it is open, which would stop
    the asyncio.run of later modules (tests/test_hostile_input.py)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: run `bash scripts/browser.sh` (make test does) or set HELPDESK_CHROMIUM."
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class WebServer:
    """The web chat's server (demo page, widget, status) on a port, in this process."""

    def __init__(self, settings: Settings, port: int) -> None:
        from helpdesk_web.server import make_server

        self.server = make_server(settings, port=port)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{port}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def web(bot, tmp_path: Path) -> Iterator[WebServer]:
    """The demo page on the port the Rasa server allows (CORS), its widget talking to the real bot.
    Its status banner reads a state database of its own at a fixed instant (Phase 2 of the AWS migration
    running), so neither other tests' reports nor the day of the run change what it shows."""
    settings = Settings.from_env(
        {**bot.env, "HELPDESK_DB": str(tmp_path / "web-status.db"), "HELPDESK_NOW": "2020-09-08T10:30:00Z"}
    )
    server = WebServer(settings, bot.settings.web_port)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Postgres server of the test session's own (Debian's), set up as `make run-cluster` sets up its own:
    the URL of the helpdesk's database, where Rasa and the helpdesk log in as an ordinary role."""
    var = tmp_path_factory.mktemp("postgres") / "var"
    settings = Settings.from_env(settings_env(var, HELPDESK_POSTGRES_PORT=str(free_port())))
    data = cluster.prepare_postgres(settings)
    program = next(p for p in cluster.programs(settings, []) if p.name == "postgres")
    account = pwd.getpwnam(program.user) if program.user else None  # under root: Debian's postgres user
    server = subprocess.Popen(
        program.command,
        cwd=data,
        user=account.pw_uid if account else None,
        group=account.pw_gid if account else None,
        extra_groups=[] if account else None,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = cluster.database_url(settings)
    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg2.connect(url, connect_timeout=1).close()
            break
        except psycopg2.OperationalError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"the test session's Postgres did not start (exit status {server.poll()})")
            time.sleep(0.05)
    yield url
    postgres.close_idle()
    server.send_signal(signal.SIGINT)  # Postgres' fast shutdown
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(params=["sqlite", "postgres"])
def state_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a test's own state database is: a SQLite file, or a fresh schema of the session's Postgres."""
    if request.param == "sqlite":
        yield tmp_path / "helpdesk.db"
        return
    server_url = request.getfixturevalue("postgres_url")
    schema = f"test_{secrets.token_hex(6)}"
    with contextlib.closing(psycopg2.connect(server_url)) as conn, conn, conn.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
    url = f"{server_url}?options=-csearch_path%3D{schema}"
    yield url
    postgres.close_idle(url)
    with contextlib.closing(psycopg2.connect(server_url)) as conn, conn, conn.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema} CASCADE")


def state_env(location: Path | str) -> dict[str, str]:
    """The setting that points a `helpdesk` process at the state database `location` (its var folder's SQLite
    file needs none)."""
    return {"HELPDESK_DATABASE_URL": location if isinstance(location, str) else ""}


@pytest.fixture
def db(state_location: Path | str) -> Iterator[Database]:
    """A state database of the test's own (SQLite, then Postgres), migrated, held open for the test (as a
    request holds one)."""
    with state_database(state_location) as database:
        yield database


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the test session's own (Debian's redis-server), with a password."""
    port = free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--dir", str(folder), "--requirepass", "test-redis"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://:test-redis@127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(timeout=10)
