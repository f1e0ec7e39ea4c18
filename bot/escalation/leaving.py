"""Does a customer want out: of a live handoff, of their waiting case, of a form? Decided from the words alone,
not by the classifier.

Only a message that is nothing but a request to stop ("stop", "cancel", "end chat", "please end the chat!")
counts; anything with more in it ("stop the campaign", "don't stop, I'm checking") is for the engineer, or an
answer to the form. A case or a form is also called off with "never mind", "cancel my case", "cancel ESC-0042".
"""

from __future__ import annotations

import re

_COMMANDS = frozenset(
    {
        "stop",
        "cancel",
        "end",
        "quit",
        "exit",
        "leave",
        "end chat",
        "end the chat",
        "end this chat",
        "stop chat",
        "stop the chat",
        "stop this chat",
        "close chat",
        "close the chat",
        "close this chat",
        "leave chat",
        "leave the chat",
        "leave this chat",
        "exit chat",
        "quit chat",
        "cancel chat",
        "cancel the chat",
        "end conversation",
        "end the conversation",
        "stop chatting",
        "i want to stop",
        "i want to leave",
        "i want to end the chat",
        "back to the bot",
        "talk to the bot",
        "go back to the bot",
    }
)
# Calling off a case nobody has taken yet, or a form half answered (not a live chat: "never mind" is for the engineer).
_CALL_OFF = _COMMANDS | frozenset(
    {
        "never mind",
        "nevermind",
        "forget it",
        "forget about it",
        "cancel that",
        "cancel it",
        "cancel the case",
        "cancel my case",
        "cancel the escalation",
        "cancel my escalation",
        "cancel the request",
        "cancel my request",
        "close the case",
        "close my case",
        "i don't need the engineer",
        "i don't need an engineer",
        "i don't need the engineer anymore",
        "i don't need an engineer anymore",
        "no need",
        "no need anymore",
        "not needed anymore",
    }
)
_REF = re.compile(r"\besc-\d+\b")  # a case named in "cancel ESC-0042" (named_ref), not part of the words
_FILLER = r"(?:ok|okay|please|pls|thanks|thank you|now)"
_POLITE = re.compile(rf"^(?:{_FILLER}\s+)+|(?:\s+{_FILLER})+$")  # 'please stop', 'end the chat now'


def _words(text: str) -> str:
    words = " ".join(re.sub(r"[^\w' ]+", " ", _REF.sub("", text.casefold().replace("’", "'"))).split())
    return _POLITE.sub("", words).strip()


def wants_to_leave(text: str) -> bool:
    """True when the whole message asks to end the chat with the engineer."""
    return _words(text) in _COMMANDS


def named_ref(text: str) -> str | None:
    """The case a message names ("cancel ESC-0042"), if any."""
    found = _REF.search(text.casefold())
    return found.group(0).upper() if found else None


def wants_to_call_off(text: str) -> bool:
    """True when the whole message calls off a waiting case or a form ("never mind", "cancel ESC-0042")."""
    return _words(text) in _CALL_OFF
