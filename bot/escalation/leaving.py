"""Does a customer in a live handoff want out? Decided from the words alone, not by the classifier.

Only a message that is nothing but a request to stop ("stop", "cancel", "end chat", "please end the chat!")
counts; anything with more in it ("stop the campaign", "don't stop, I'm checking") is for the engineer.
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
_FILLER = r"(?:ok|okay|please|pls|thanks|thank you|now)"
_POLITE = re.compile(rf"^(?:{_FILLER}\s+)+|(?:\s+{_FILLER})+$")  # 'please stop', 'end the chat now'


def wants_to_leave(text: str) -> bool:
    """True when the whole message asks to end the chat with the engineer."""
    words = " ".join(re.sub(r"[^\w' ]+", " ", text.casefold()).split())
    return _POLITE.sub("", words).strip() in _COMMANDS
