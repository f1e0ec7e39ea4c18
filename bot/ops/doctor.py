"""Health checks for `helpdesk doctor`: each says what is wrong and how to fix it, in one line."""

from __future__ import annotations

import sqlite3
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.answers.training import current_model
from bot.ops import rasa_client
from core import outbox
from core.db import probe_write
from core.errors import HelpdeskError, StorageError
from core.schema import state_database
from core.settings import Settings, describe
from faq_index.index import list_entries


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str


def check_python(version: tuple[int, int] | None = None) -> Check:
    major, minor = version or sys.version_info[:2]
    if (major, minor) == (3, 10):
        return Check("python", True, f"Python {major}.{minor}")
    return Check(
        "python",
        False,
        f"Python {major}.{minor} cannot run Rasa 3.6 (it needs 3.10); delete .venv and run `make run` to rebuild it with 3.10.",
    )


def check_model(settings: Settings) -> Check:
    model = current_model(settings)
    if model.is_file():
        return Check("model", True, f"model {model.name} matches the training data")
    return Check("model", False, f"no model for the current training data ({model.name}); run `helpdesk train`.")


def check_faq_index(settings: Settings) -> Check:
    try:
        count = len(list_entries(settings.faq_db))
    except (HelpdeskError, sqlite3.Error) as exc:
        return Check("faq index", False, str(exc))
    if count == 0:
        return Check(
            "faq index",
            False,
            f"the FAQ index at {settings.faq_db} has no entries; add documents with `helpdesk faq add`.",
        )
    return Check("faq index", True, f"{count} FAQ entries in {settings.faq_db}")


def check_database(settings: Settings) -> Check:
    """Really writes (and rolls back): a database that opens but cannot take a write loses urgent cases."""
    try:
        with state_database(settings.state_store) as db:
            probe_write(db)
    except StorageError as exc:
        return Check("database", False, str(exc))
    return Check("database", True, f"state database {describe(settings.state_store)} took a test write (rolled back)")


def check_rasa(settings: Settings) -> Check:
    try:
        rasa_client.model_loaded(settings)
    except HelpdeskError as exc:
        return Check("rasa server", False, str(exc))
    return Check("rasa server", True, f"Rasa answers at {settings.rasa_url}")


def _check_health(name: str, url: str) -> Check:
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except (urllib.error.URLError, OSError) as exc:
        return Check(
            name,
            False,
            f"the {name} at {url} is not answering ({getattr(exc, 'reason', exc)}); start it with `make run`.",
        )
    return Check(name, True, f"{name} answers at {url}")


def check_action_server(settings: Settings) -> Check:
    return _check_health("action server", settings.action_url.removesuffix("/webhook") + "/health")


def check_web_chat(settings: Settings) -> Check:
    return _check_health("web chat", f"http://127.0.0.1:{settings.web_port}/health")


STUCK_AFTER = timedelta(minutes=10)


def check_outbox(settings: Settings, now: datetime | None = None) -> Check:
    """Undelivered pages and notices: a message waiting long means its target (Slack, Rasa) is failing."""
    now = now or settings.clock.now()
    try:
        with state_database(settings.state_store) as db:
            waiting = outbox.pending(db)
    except HelpdeskError as exc:
        return Check("outbox", False, str(exc))
    stuck = [m for m in waiting if now - datetime.fromisoformat(m["created_at"]) > STUCK_AFTER]
    if stuck:
        oldest = stuck[0]
        return Check(
            "outbox",
            False,
            f"{len(stuck)} message(s) undelivered for over 10 minutes, e.g. {oldest['key']} "
            f"({oldest['attempts']} tries, last error: {oldest['last_error'] or 'none'}); "
            "check that the worker and the Slack app run and reach their targets.",
        )
    return Check("outbox", True, f"{len(waiting)} message(s) waiting to be delivered")


def check_slack(settings: Settings) -> Check:
    if not settings.slack.enabled:
        return Check("slack", True, f"off ({settings.slack.off_reason})")
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackClientError

    try:
        team = WebClient(token=settings.slack.bot_token, base_url=settings.slack.api_url, timeout=10).auth_test()
    except SlackClientError as exc:
        return Check("slack", False, f"Slack refused the bot token or is unreachable ({exc}); check SLACK_BOT_TOKEN.")
    missing = [
        name
        for name, value in (
            ("SLACK_ONCALL_CHANNEL", settings.slack.oncall_channel),
            ("SLACK_UPDATES_CHANNEL", settings.slack.updates_channel),
        )
        if not value
    ]
    if missing:
        return Check("slack", False, f"{' and '.join(missing)} not set: pages or notices have nowhere to go.")
    return Check("slack", True, f"signed in to Slack team {team.get('team')} as {team.get('user')}")


def check_paging(settings: Settings) -> Check:
    """Pages reach the on-call engineer through Slack only: without it an urgent case is recorded but no one is told."""
    if settings.slack.enabled:
        return Check("paging", True, "urgent cases page the on-call engineer in Slack")
    return Check(
        "paging",
        False,
        f"the on-call engineer cannot be paged: Slack is off ({settings.slack.off_reason}); "
        "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN) as .env.example "
        "and slack/manifest.yml describe, then restart `make run`.",
    )


def run_checks(settings: Settings) -> list[Check]:
    return [
        check_python(),
        check_model(settings),
        check_faq_index(settings),
        check_database(settings),
        check_rasa(settings),
        check_action_server(settings),
        check_web_chat(settings),
        check_outbox(settings),
        check_slack(settings),
        check_paging(settings),
    ]
