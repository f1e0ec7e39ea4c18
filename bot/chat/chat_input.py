"""What a customer's chat message may be before it reaches Rasa: checked once, for every channel.

Rasa reads a message that starts with "/" as an intent, bypassing its classifier. Customers may send
only the payloads of the buttons the bot itself shows (yes/no, an FAQ entry), the web chat's votes on an
answer (/feedback_positive, /feedback_negative, optionally {"rated": "<n>"}: the reply to the customer's
n-th message) and /restart; any other "/..." text reaches the classifier as plain words, so a customer can
never trigger an intent that only the system or an engineer may (EXTERNAL_*). A message longer than the
limit never reaches NLU: it is replaced by the `message_too_long` intent, whose reply says how long a
message may be.
"""

from __future__ import annotations

import json
import re

from bot.answers.faq import CHOICE_INTENT, choice_payload, entry_of_payload
from core.errors import InvalidMessage

TOO_LONG_INTENT = "message_too_long"
PLAIN_PAYLOADS = frozenset({"/affirm", "/deny", "/restart", "/urgent_problem"})  # the buttons domain.yml gives
MAX_ENTRY_ID = 300  # FAQ entry ids are "<file> :: <question>"; a longer one is not ours
FEEDBACK_INTENTS = frozenset({"feedback_positive", "feedback_negative"})  # the web chat's thumbs up and down
RATED = "rated"  # the votes' one entity: which customer message's reply is rated (1 = the conversation's first)
_RATED_VALUE = re.compile(r"[1-9][0-9]{0,5}")  # a message number as text: "1" to "999999"


def too_long_payload(limit: int) -> str:
    """The intent that replaces an over-long message, with the limit for the reply."""
    return f"/{TOO_LONG_INTENT}" + json.dumps({"message_limit": str(limit)})


def screen(text: object, limit: int) -> str:
    """The text to hand to Rasa for a customer's message; InvalidMessage if it is not text at all."""
    if not isinstance(text, str):
        raise InvalidMessage("the message must be a string of text")
    if len(text) > limit:
        return too_long_payload(limit)
    stripped = text.strip()
    if not stripped.startswith("/"):
        return text
    return _allowed_payload(stripped) or stripped.lstrip("/").lstrip()


def _allowed_payload(text: str) -> str | None:
    """The payload, re-written by us, if it is one the bot issues; None otherwise."""
    if text in PLAIN_PAYLOADS:
        return text
    if text.startswith(f"/{CHOICE_INTENT}{{"):
        entry = entry_of_payload(text)
        if entry and len(entry) <= MAX_ENTRY_ID and set(_keys(text)) == {"faq_entry"}:
            return choice_payload(entry)
        return None
    intent, brace, _ = text[1:].partition("{")
    if intent in FEEDBACK_INTENTS:
        if not brace:
            return text
        rated = rated_of_payload(text)
        if rated is not None and set(_keys(text)) == {RATED}:
            return feedback_payload(intent, rated)
    return None


def feedback_payload(intent: str, rated: int | None = None) -> str:
    """A vote as the web chat sends it: `/feedback_negative{"rated": "3"}` rates the reply to message 3."""
    return f"/{intent}" + (json.dumps({RATED: str(rated)}) if rated is not None else "")


def rated_of_payload(payload: str) -> int | None:
    """The message number a vote's payload names, or None when it names none or not one we would send."""
    try:
        value = json.loads(payload[payload.index("{") :])
    except ValueError:
        return None
    rated = value.get(RATED) if isinstance(value, dict) else None
    return int(rated) if isinstance(rated, str) and _RATED_VALUE.fullmatch(rated) else None


def _keys(payload: str) -> list[str]:
    try:
        value = json.loads(payload[payload.index("{") :])
    except ValueError:
        return []
    return list(value) if isinstance(value, dict) else []
