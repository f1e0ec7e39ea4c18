"""The one settings object, read from the environment (and a local .env file, if any).

Every port, path and secret has a documented default in .env.example.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from core.clock import Clock, parse_instant
from core.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; comments and blank lines ignored."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ConfigError(f"{name}={raw!r} is not a port number; set it to a number between 1 and 65535.")
    return int(raw)


def _ids(env: Mapping[str, str], name: str) -> frozenset[str]:
    """A comma- or space-separated list of Slack IDs."""
    return frozenset(part for part in re.split(r"[,\s]+", env.get(name, "")) if part)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ConfigError(f"{name}={raw!r} is not a positive number of seconds; set it to e.g. 2.")
    return value


def _count(env: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= most:
        raise ConfigError(f"{name}={raw!r} is not a whole number from 1 to {most}; set it to e.g. {default}.")
    return int(raw)


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...], example: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if urlsplit(raw).scheme not in schemes or not urlsplit(raw).hostname:
        # the value may hold a password: the message names the setting, never repeats it
        raise ConfigError(f"{name} is not a {' or '.join(schemes)}:// address; set it like {example}, or empty it.")
    if urlsplit(raw).netloc.count("@") > 1 or re.search(r"%(?![0-9A-Fa-f]{2})", raw):
        raise ConfigError(f"{name} has an @ or % that is not percent-encoded (write @ as %40, % as %25).")
    return raw


def _prefix(env: Mapping[str, str]) -> str:
    raw = env.get("HELPDESK_REDIS_PREFIX", "").strip() or "helpdesk"
    if not (raw.isascii() and raw.isalnum()):  # Rasa's lock store takes letters and digits only
        raise ConfigError(f"HELPDESK_REDIS_PREFIX={raw!r} must be letters and digits only; set it to e.g. helpdesk.")
    return raw


def _path(env: Mapping[str, str], name: str, default: Path, root: Path) -> Path:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    path = Path(raw).expanduser()
    return path if path.is_absolute() else root / path


def describe(location: Path | str) -> str:
    """A database as messages name it: the SQLite file's path, never a URL (it holds a password)."""
    return "the Postgres database of HELPDESK_DATABASE_URL" if isinstance(location, str) else str(location)


@dataclass(frozen=True)
class SlackSettings:
    """The Slack app's tokens, channels and staff list; Slack is off without a bot token and signing secret."""

    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)  # given: Socket Mode instead of HTTP
    api_url: str = "https://slack.com/api/"
    oncall_channel: str = ""
    updates_channel: str = ""
    staff_users: frozenset[str] = frozenset()
    staff_channel: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token and (self.signing_secret or self.app_token))

    @property
    def off_reason(self) -> str:
        if not self.bot_token:
            return "SLACK_BOT_TOKEN is not set"
        return "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is set"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "SlackSettings":
        api_url = env.get("SLACK_API_URL", "").strip() or cls.api_url
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", "").strip() or None,
            signing_secret=env.get("SLACK_SIGNING_SECRET", "").strip() or None,
            app_token=env.get("SLACK_APP_TOKEN", "").strip() or None,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
            oncall_channel=env.get("SLACK_ONCALL_CHANNEL", "").strip(),
            updates_channel=env.get("SLACK_UPDATES_CHANNEL", "").strip(),
            staff_users=_ids(env, "SLACK_STAFF_USERS"),
            staff_channel=env.get("SLACK_STAFF_CHANNEL", "").strip(),
        )


@dataclass(frozen=True)
class Settings:
    root: Path
    faq_dir: Path
    var_dir: Path
    faq_db: Path
    state_db: Path
    tracker_db: Path
    model_dir: Path
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    web_port: int = 8080
    slack_port: int = 3000
    rasa_token: str | None = field(default=None, repr=False)
    action_token: str | None = field(default=None, repr=False)  # the Rasa server's key to the action server
    action_timeout: float = 4.0  # seconds the Rasa server waits for an action before telling the customer
    now: datetime | None = None
    worker_interval: float = 2.0  # seconds between the background worker's rounds
    escalations_per_ten_minutes: int = 30  # new cases from everyone (a runaway script must not page the rota 300 times)
    escalations_per_conversation: int = 3  # new cases or additions from one conversation in an hour
    tracker_retention_days: int = 90  # Rasa conversations silent for longer are deleted
    max_message_chars: int = 2000  # a longer chat message is refused before NLU
    session_secret: str | None = field(default=None, repr=False)  # signs web chat session ids
    slack: "SlackSettings" = field(default_factory=lambda: SlackSettings())
    # Scale-out (README "Several servers"): Rasa's conversations in Postgres and its conversation locks in Redis,
    # so several Rasa processes serve the same conversations. Empty: SQLite files and locks in memory (one process).
    database_url: str | None = field(default=None, repr=False)  # holds a password
    redis_url: str | None = field(default=None, repr=False)
    redis_prefix: str = "helpdesk"  # Redis keys begin with it, so several deployments can share one server
    postgres_port: int = 5433  # the local cluster's own servers (`make run-cluster`)
    redis_port: int = 6380
    # Containers (deploy/): the servers' interface, where Rasa finds the action server, and where a browser finds
    # Rasa and the page it is served from, when those are not this machine's loopback.
    bind_host: str = "127.0.0.1"
    action_host: str = "127.0.0.1"
    public_chat_url: str | None = None
    public_web_origin: str | None = None

    @property
    def chat_url(self) -> str:
        """Where a browser reaches the Rasa server (the web chat's socket.io)."""
        return self.public_chat_url or self.rasa_url

    @property
    def web_origins(self) -> list[str]:
        """The origins whose pages may talk to the Rasa server (CORS)."""
        local = [f"http://localhost:{self.web_port}", f"http://127.0.0.1:{self.web_port}"]
        return [*local, self.public_web_origin] if self.public_web_origin else local

    @property
    def tracker_store_url(self) -> str:
        """Where Rasa keeps its conversations: Postgres when HELPDESK_DATABASE_URL is set, else RASA_TRACKER_DB."""
        return self.database_url or f"sqlite:///{self.tracker_db}"

    @property
    def state_store(self) -> Path | str:
        """Where the helpdesk's own state is (escalations, outbox, reports, contacts): the Postgres database of
        HELPDESK_DATABASE_URL when it is set, else the SQLite file HELPDESK_DB."""
        return self.database_url or self.state_db

    @property
    def conversations(self) -> Path | str:
        """Rasa's conversations as the review and pruning read them: Postgres, or the SQLite file RASA_TRACKER_DB."""
        return self.database_url or self.tracker_db

    @property
    def clock(self) -> Clock:
        """The one clock of the helpdesk: frozen at HELPDESK_NOW when it is set, the real time otherwise."""
        return Clock(self.now)

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{self.action_host}:{self.action_port}/webhook"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Settings":
        """Settings from `env` (default: os.environ over the project's .env file)."""
        if env is None:
            root = Path(os.environ.get("HELPDESK_HOME") or PROJECT_ROOT)
            env = {**_read_dotenv(root / ".env"), **os.environ}
        root = Path(env.get("HELPDESK_HOME") or PROJECT_ROOT).resolve()
        var_dir = _path(env, "HELPDESK_VAR_DIR", root / "var", root)
        now_text = env.get("HELPDESK_NOW", "").strip()
        return cls(
            root=root,
            faq_dir=_path(env, "HELPDESK_FAQ_DIR", root / "data" / "faq", root),
            var_dir=var_dir,
            faq_db=_path(env, "HELPDESK_FAQ_DB", var_dir / "faq_index.db", root),
            state_db=_path(env, "HELPDESK_DB", var_dir / "helpdesk.db", root),
            tracker_db=_path(env, "RASA_TRACKER_DB", var_dir / "tracker.db", root),
            model_dir=_path(env, "HELPDESK_MODEL_DIR", root / "models", root),
            rasa_host=env.get("RASA_HOST", "").strip() or "127.0.0.1",
            rasa_port=_port(env, "RASA_PORT", 5005),
            action_port=_port(env, "ACTION_PORT", 5055),
            web_port=_port(env, "WEB_PORT", 8080),
            slack_port=_port(env, "SLACK_PORT", 3000),
            rasa_token=env.get("RASA_API_TOKEN", "").strip() or None,
            action_token=env.get("ACTION_SERVER_TOKEN", "").strip() or None,
            action_timeout=_seconds(env, "HELPDESK_ACTION_TIMEOUT", 4.0),
            now=parse_instant(now_text, setting="HELPDESK_NOW") if now_text else None,
            worker_interval=_seconds(env, "HELPDESK_WORKER_INTERVAL", 2.0),
            escalations_per_ten_minutes=_count(env, "HELPDESK_ESCALATIONS_PER_TEN_MINUTES", 30, most=100000),
            escalations_per_conversation=_count(env, "HELPDESK_ESCALATIONS_PER_CONVERSATION", 3, most=1000),
            tracker_retention_days=_count(env, "HELPDESK_TRACKER_RETENTION_DAYS", 90, most=36500),
            max_message_chars=_count(env, "HELPDESK_MAX_MESSAGE_CHARS", 2000, most=20000),
            session_secret=env.get("HELPDESK_SESSION_SECRET", "").strip() or None,
            slack=SlackSettings.from_env(env),
            database_url=_url(
                env,
                "HELPDESK_DATABASE_URL",
                ("postgresql",),
                "postgresql://helpdesk:PASSWORD@db.internal:5432/helpdesk",
            ),
            redis_url=_url(env, "HELPDESK_REDIS_URL", ("redis", "rediss"), "redis://:PASSWORD@cache.internal:6379/0"),
            redis_prefix=_prefix(env),
            postgres_port=_port(env, "HELPDESK_POSTGRES_PORT", 5433),
            redis_port=_port(env, "HELPDESK_REDIS_PORT", 6380),
            bind_host=env.get("HELPDESK_BIND_HOST", "").strip() or "127.0.0.1",
            action_host=env.get("ACTION_HOST", "").strip() or "127.0.0.1",
            public_chat_url=_url(env, "HELPDESK_PUBLIC_CHAT_URL", ("http", "https"), "https://chat.example.com"),
            public_web_origin=_url(env, "HELPDESK_PUBLIC_WEB_ORIGIN", ("http", "https"), "https://www.example.com"),
        )
