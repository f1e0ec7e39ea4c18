"""The kind of answer a question wants (a time, a way to reach someone, a reason) and the kinds an FAQ
entry gives: a 'when' question is better answered by an entry about dates than by one that only shares
its words."""

from __future__ import annotations

import re

from faq_index.dates import find_dates

TIME, CONTACT, REASON = "time", "contact", "reason"

_WANTS = {
    TIME: re.compile(
        r"^\s*when\b|\b(?:what|which) (?:dates?|days?|times?)\b|\bhow long\b|\bby when\b"
        r"|\b(?:dates?|times?|schedule|deadline)\b",
        re.I,
    ),
    CONTACT: re.compile(
        r"^\s*who\b|\bwho (?:do|can|should|to)\b|\b(?:call|ring|phone|email|contact|get in touch)\b", re.I
    ),
    REASON: re.compile(r"^\s*why\b|\bhow come\b|\bthe reasons?\b", re.I),
}
_PHONE_OR_EMAIL = re.compile(r"\+?\d[\d ]{7,}\d|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def wanted(question: str) -> frozenset[str]:
    """What kinds of answer `question` asks for (often none)."""
    return frozenset(kind for kind, pattern in _WANTS.items() if pattern.search(question))


def given(question: str, answer: str) -> frozenset[str]:
    """What kinds of answer an entry gives: what its own question asks for, plus dates or contact
    details its answer states."""
    kinds = set(wanted(question))
    if len(find_dates(answer, default_year=2000)) >= 2:  # any year will do: only the count matters
        kinds.add(TIME)
    if _PHONE_OR_EMAIL.search(answer):
        kinds.add(CONTACT)
    return frozenset(kinds)
