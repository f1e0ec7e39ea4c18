"""Runs the Slack app (`helpdesk serve slack`): HTTP mode on SLACK_PORT, or Socket Mode with an app token;
the delivery loop runs beside it."""
from __future__ import annotations

import logging
import threading

from bot.errors import ConfigError
from bot.settings import Settings
from helpdesk_slack.app import build_app
from helpdesk_slack.delivery import SlackDelivery
from helpdesk_slack.http_server import PATH, make_server

logger = logging.getLogger(__name__)


def serve(settings: Settings, stop: threading.Event | None = None) -> None:
    if not settings.slack.enabled:
        raise ConfigError(f"Slack is off: {settings.slack.off_reason}. See .env.example and slack/manifest.yml.")
    stop = stop or threading.Event()
    app, context = build_app(settings)
    delivery = SlackDelivery(context, context.client)
    threading.Thread(target=delivery.run, args=(stop, settings.worker_interval), name="slack-delivery",
                     daemon=True).start()
    if settings.slack.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        logger.info("Slack app in Socket Mode")
        SocketModeHandler(app, settings.slack.app_token).start()
        return
    server = make_server(app, "127.0.0.1", settings.slack_port)
    logger.info("Slack app listening on http://127.0.0.1:%d%s", settings.slack_port, PATH)
    try:
        server.serve_forever()
    finally:
        stop.set()
        server.server_close()
