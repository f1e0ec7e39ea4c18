"""Intent decisions that do not depend on the classifier alone: strong words and explicit requests for a
person, and long messages, which are never small talk."""
from __future__ import annotations

import re

_URGENT = re.compile(
    r"\b(?:urgent(?:ly)?|emergency|escalat\w*|asap|critical|outage|losing money|lost revenue|sev(?:erity)?\s*1|p1)\b"
    r"|(?:\bnot|n't|\bnever|\bstopped)\s+(?:being\s+|getting\s+)?(?:deliver\w*|arriv\w*|sen[dt]\w*|working|through)"
    r"|(?:\bis|\bare|'s|'re)\s+(?:all\s+)?down\b",
    re.I,
)
_HUMAN = re.compile(r"\b(human|real person|agent|operator|someone real|speak to (?:a|your) (?:person|team))\b", re.I)
FAQ_MISSES_BEFORE_OFFER = 2  # "I don't know" this many times in a row, and a person is offered


def detect(text: str) -> str | None:
    """'urgent_problem', 'ask_human' or None for a message."""
    if _URGENT.search(text):
        return "urgent_problem"
    if _HUMAN.search(text):
        return "ask_human"
    return None


# Asking for a person names one, or talking to one; without such a word the classifier's 'ask_human' is
# a guess, and a wrong guess offers to page an engineer, so the message is answered as a question instead.
_PERSON_WORDS = re.compile(
    r"\b(human|person|people|someone|somebody|anyone|agent|operator|staff|team|engineer|support|manager|"
    r"talk|speak|chat|call|ring|phone|contact|reach)\b", re.I)
SMALL_TALK = {"greet", "goodbye", "thanks", "bot_challenge", "affirm", "deny"}
LONG_MESSAGE_WORDS = 40  # the classifier learnt from short messages; past this its judgement is not used


def override(text: str, intent: str | None) -> str | None:
    """The intent to use instead of the classifier's, or None to keep it.

    A long message that opens with a greeting is a question with manners, and a request for a person that
    names no person is a guess: both go to the FAQ answer (as `nlu_fallback`, which action_answer_faq
    handles, focusing on a long message's question sentences)."""
    strong = detect(text)
    if strong:
        return strong
    if intent in SMALL_TALK and len(text.split()) > LONG_MESSAGE_WORDS:
        return "nlu_fallback"
    if intent == "ask_human" and not _PERSON_WORDS.search(text):
        return "nlu_fallback"
    return None
