"""Runs the Slack app (`helpdesk serve slack`): HTTP mode on SLACK_PORT, or Socket Mode with an app token;
the delivery loop runs beside it."""

from __future__ import annotations

import logging
import sys
import threading
from datetime import timedelta

from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from bot.ops.serve import run_server
from core.errors import ConfigError
from core.retry import Backoff
from core.settings import Settings
from helpdesk_slack.app import build_app
from helpdesk_slack.delivery import SlackDelivery
from helpdesk_slack.http_server import PATH, make_server

logger = logging.getLogger(__name__)


SIGN_IN_RETRY = Backoff(first=timedelta(seconds=5), longest=timedelta(minutes=5))


def start_app(settings: Settings, stop: threading.Event):
    """Build the app, which signs in to Slack first; while Slack refuses or cannot be reached, keep trying,
    so a Slack outage at start-up never takes the customers' chat down with it."""
    failures = 0
    while True:
        try:
            return build_app(settings)
        except (BoltError, SlackClientError, OSError) as exc:  # refused, or unreachable
            failures += 1
            wait = SIGN_IN_RETRY.wait(failures).total_seconds()
            logger.error("Slack app cannot start (%s); trying again in %.0f s. Check SLACK_BOT_TOKEN.", exc, wait)
        if stop.wait(wait):
            raise ConfigError("the Slack app was stopped before it could sign in to Slack.")


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    if not settings.slack.enabled:
        raise ConfigError(f"Slack is off: {settings.slack.off_reason}. See .env.example and slack/manifest.yml.")
    stop = stop or threading.Event()
    app, context = start_app(settings, stop)
    delivery = SlackDelivery(context, context.client)
    threading.Thread(
        target=delivery.run, args=(stop, settings.worker_interval), name="slack-delivery", daemon=True
    ).start()
    if settings.slack.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        logger.info("Slack app in Socket Mode")
        SocketModeHandler(app, settings.slack.app_token).start()
        return
    server = make_server(app, settings.bind_host, settings.slack_port)
    logger.info("Slack app listening on http://%s:%d%s", settings.bind_host, settings.slack_port, PATH)
    try:
        server.serve_forever()
    finally:
        stop.set()
        server.server_close()


if __name__ == "__main__":
    sys.exit(run_server(serve))
