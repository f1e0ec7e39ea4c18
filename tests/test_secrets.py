"""Secrets never reach stored error text, logs or CLI output."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from conftest import free_port, settings_env

from bot.ops import rasa_client
from core import outbox
from core.errors import BotUnavailable, redact
from core.schema import open_state_db
from core.settings import Settings

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "text, secret",
    [
        (
            "http://127.0.0.1:5005/conversations/x/trigger_intent?output_channel=latest&token=s3cr3t-T0KEN",
            "s3cr3t-T0KEN",
        ),
        ("slack said invalid_auth for xoxb-1234-5678-abcdefABCDEF", "xoxb-1234-5678-abcdefABCDEF"),
        ("socket mode with xapp-1-A0-123-abc failed", "xapp-1-A0-123-abc"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "eyJhbGciOi.payload.sig"),
    ],
)
def test_redact_hides_every_kind_of_secret_and_keeps_the_rest(text, secret):
    assert redact(text) == text.replace(secret, "***")


def test_an_unreachable_rasa_is_reported_without_its_api_token(tmp_path):
    settings = Settings.from_env(settings_env(tmp_path, RASA_PORT=str(free_port()), RASA_API_TOKEN="s3cr3t-T0KEN"))
    with pytest.raises(BotUnavailable) as raised:
        rasa_client.trigger_intent(settings, "web-1", "EXTERNAL_handoff_started", {"ref": "ESC-0001"}, timeout=2)
    assert "s3cr3t-T0KEN" not in str(raised.value) and "token=***" in str(raised.value)


def test_a_failed_delivery_stores_its_error_without_the_token(tmp_path):
    state_db = tmp_path / "helpdesk.db"
    outbox.enqueue(open_state_db(state_db), "handoff:ESC-0001", "handoff", {"ref": "ESC-0001"}, NOW)

    def send(message):
        raise BotUnavailable("the bot at http://127.0.0.1:5005/x?token=s3cr3t-T0KEN is not answering")

    report = outbox.drain(open_state_db(state_db), send, NOW)
    assert report.failed and "s3cr3t-T0KEN" not in report.failed[0][1]
    assert "s3cr3t-T0KEN" not in outbox.pending(open_state_db(state_db))[0]["last_error"]
