"""The words that end a live handoff for the customer (bot.escalation.leaving), without Rasa."""

from __future__ import annotations

import pytest

from bot.escalation.leaving import wants_to_leave


@pytest.mark.parametrize(
    "text",
    [
        "stop",
        "STOP",
        "Stop.",
        "cancel",
        "end chat",
        "End the chat!",
        "please stop",
        "stop please",
        "ok, end this chat now",
        "quit",
        "exit",
        "  leave the chat  ",
        "I want to stop",
        "back to the bot",
    ],
)
def test_a_message_that_only_asks_to_stop_ends_the_handoff(text):
    assert wants_to_leave(text)


@pytest.mark.parametrize(
    "text",
    [
        "stop the campaign",
        "don't stop, I'm checking",
        "please stop sending test SMS",
        "cancel the 5pm send",
        "how do I end a campaign?",
        "ok thanks",
        "",
        "done",
        "we had to stop",
        "the chat stopped working",
        "stopped",
    ],
)
def test_anything_more_than_a_request_to_stop_goes_to_the_engineer(text):
    assert not wants_to_leave(text)
