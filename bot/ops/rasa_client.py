"""Talks to the running Rasa server over HTTP (REST channel and status API)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from core.errors import BotUnavailable, redact
from core.settings import Settings


def _request(url: str, payload: dict[str, Any] | None = None, timeout: float = 30.0) -> Any:
    """POST `payload` (GET without one) and return the JSON answer; BotUnavailable, without the URL's token."""
    shown = redact(url)
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise BotUnavailable(f"the bot at {shown} answered HTTP {exc.code}; check its log.") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BotUnavailable(f"the bot at {shown} is not answering ({reason}); start it with `make run`.") from None
    return json.loads(body) if body else None


def send_message(
    settings: Settings, text: str, sender: str = "cli", timeout: float = 30.0, message_id: str | None = None
) -> list[dict]:
    """One user message through the REST channel; returns the bot's messages. Sent again with the same
    `message_id`, it is answered with the first copy's replies and not handled twice."""
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    body = {"sender": sender, "message": text} | ({"message_id": message_id} if message_id else {})
    return _request(url, body, timeout=timeout) or []


def trigger_intent(
    settings: Settings, conversation_id: str, intent: str, entities: dict[str, str], timeout: float = 30.0
) -> list[dict]:
    """Inject an intent into a conversation (Rasa's HTTP API); the bot's reply goes to the conversation's
    latest channel (pushed to the web chat's socket) and is returned too."""
    if not settings.rasa_token:
        raise BotUnavailable(
            "Rasa's HTTP API is off, so nothing can reach a customer's chat; set RASA_API_TOKEN "
            "(`make run` sets one for its own servers)."
        )
    query = urllib.parse.urlencode({"output_channel": "latest", "token": settings.rasa_token})
    url = f"{settings.rasa_url}/conversations/{urllib.parse.quote(conversation_id, safe='')}/trigger_intent?{query}"
    reply = _request(url, {"name": intent, "entities": entities}, timeout=timeout) or {}
    return reply.get("messages") or []


def tracker(settings: Settings, conversation_id: str, timeout: float = 30.0) -> dict:
    """A conversation's tracker: its events, slots and latest message (Rasa's HTTP API)."""
    if not settings.rasa_token:
        raise BotUnavailable("Rasa's HTTP API is off, so no conversation can be read; set RASA_API_TOKEN.")
    query = urllib.parse.urlencode({"token": settings.rasa_token})
    url = f"{settings.rasa_url}/conversations/{urllib.parse.quote(conversation_id, safe='')}/tracker?{query}"
    return _request(url, timeout=timeout) or {}


def model_loaded(settings: Settings) -> bool:
    """True when the server answers and, if its API is on, reports a loaded model."""
    if settings.rasa_token:
        query = urllib.parse.urlencode({"token": settings.rasa_token})
        status = _request(f"{settings.rasa_url}/status?{query}", timeout=5)
        return bool(status and status.get("model_file"))
    # Without the API, the REST channel answering is the only sign of life.
    _request(f"{settings.rasa_url}/webhooks/rest/", timeout=5)
    return True


def wait_until_ready(settings: Settings, timeout: float = 180.0) -> None:
    """Block until the Rasa server has its model loaded, or raise BotUnavailable."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if model_loaded(settings):
                return
        except BotUnavailable:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise BotUnavailable(f"the bot at {settings.rasa_url} did not load its model in {timeout:.0f}s.")
        time.sleep(0.5)


def render_reply(messages: list[dict]) -> str:
    """The bot's messages as plain text for a terminal: text, then numbered buttons."""
    lines: list[str] = []
    for message in messages:
        if message.get("text"):
            lines.append(message["text"])
        for number, button in enumerate(message.get("buttons") or [], start=1):
            lines.append(f"  [{number}] {button.get('title', '')}")
    return "\n".join(lines) if lines else "(the bot sent no reply)"
