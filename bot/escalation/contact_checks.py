"""Validation of what a customer types into the escalation form: clear messages (domain.yml's utter_invalid_*
responses), nothing rendered."""

from __future__ import annotations

import re

from bot.wording import Reply

MAX_NAME = 120
MAX_DESCRIPTION = 500
SKIP_WORDS = {"skip", "no", "none", "n/a", "na", "not sure", "dont know", "don't know", "-"}
_EMAIL = re.compile(r"^[\w.+-]+@[\w-]+(\.[\w-]+)+$")


class InvalidAnswer(ValueError):
    """The answer cannot be used; its reply (a response of domain.yml) says what is wanted instead."""

    def __init__(self, response: str, **values: str) -> None:
        self.reply = Reply(response, values)
        super().__init__(self.reply.text)


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
    raise InvalidAnswer("utter_invalid_callback")


def phone(text: str) -> str:
    value = normalise_phone(text.strip())
    if value is None:
        raise InvalidAnswer("utter_invalid_phone")
    return value


def email(text: str) -> str:
    value = text.strip()
    if not (_EMAIL.match(value) and len(value) <= 254):
        raise InvalidAnswer("utter_invalid_email")
    return value.lower()


def plain_text(text: str, what: str, limit: int) -> str:
    value = " ".join(text.split())
    if not value:
        raise InvalidAnswer("utter_answer_empty", what=what)
    if len(value) > limit:
        raise InvalidAnswer("utter_answer_too_long", what=what, length=str(len(value)), limit=str(limit))
    if re.search(r"<\s*/?\s*[a-z!][^>]*>", value, re.I):
        raise InvalidAnswer("utter_answer_has_markup", what=what)
    return value


def optional(text: str, what: str, limit: int) -> str | None:
    """Plain text, or None when the customer skips it."""
    if " ".join(text.lower().split()) in SKIP_WORDS:
        return None
    return plain_text(text, what, limit)
