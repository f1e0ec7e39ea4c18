"""Validation of what a customer types into the escalation form: clear messages, nothing rendered."""

from __future__ import annotations

import re

MAX_NAME = 120
MAX_DESCRIPTION = 500
SKIP_WORDS = {"skip", "no", "none", "n/a", "na", "not sure", "dont know", "don't know", "-"}
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")


class InvalidAnswer(ValueError):
    """The answer cannot be used; the message says what is wanted instead."""


def normalise_phone(text: str) -> str | None:
    """A New Zealand or international phone number in E.164 form, or None.

    Accepts '021 555 0199', '(04) 498 6000', '0800 77 66 22', '+64 4 498 6000', '+44 20 7946 0958'.
    """
    cleaned = re.sub(r"[\s().-]", "", text)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    if re.fullmatch(r"\+[1-9]\d{7,14}", cleaned):
        return cleaned
    if re.fullmatch(r"0800\d{6,7}|0508\d{6}", cleaned):
        return cleaned  # NZ free-phone numbers have no international form
    if re.fullmatch(r"0[2-9]\d{6,9}", cleaned):
        return "+64" + cleaned[1:]
    return None


def callback(text: str) -> str:
    """A call-back phone number or email address."""
    value = text.strip()
    if _EMAIL.match(value) and len(value) <= 254:
        return value.lower()
    number = normalise_phone(value)
    if number:
        return number
    raise InvalidAnswer(
        "That doesn't look like a phone number or an email address. Please type a number such as "
        "021 555 0199 or +64 4 498 6000, or an email address."
    )


def phone(text: str) -> str:
    value = normalise_phone(text.strip())
    if value is None:
        raise InvalidAnswer(
            "That doesn't look like a phone number. Please type one such as 021 555 0199 or +64 4 498 6000."
        )
    return value


def email(text: str) -> str:
    value = text.strip()
    if not (_EMAIL.match(value) and len(value) <= 254):
        raise InvalidAnswer("That doesn't look like an email address. Please type one such as oncall@example.co.nz.")
    return value.lower()


def plain_text(text: str, what: str, limit: int) -> str:
    value = " ".join(text.split())
    if not value:
        raise InvalidAnswer(f"Please type your {what}.")
    if len(value) > limit:
        raise InvalidAnswer(
            f"That is longer than I can take ({len(value)} characters); please keep your {what} "
            f"under {limit} characters."
        )
    if re.search(r"<\s*/?\s*[a-z!][^>]*>", value, re.I):
        raise InvalidAnswer(f"Please type your {what} as plain text, without HTML tags.")
    return value


def optional(text: str, what: str, limit: int) -> str | None:
    """Plain text, or None when the customer skips it."""
    if " ".join(text.lower().split()) in SKIP_WORDS:
        return None
    return plain_text(text, what, limit)
