"""The words that end a live handoff for the customer (bot.escalation.leaving), without Rasa."""

from __future__ import annotations

import pytest

from bot.escalation.leaving import named_ref, wants_to_call_off, wants_to_leave


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


@pytest.mark.parametrize(
    "text",
    [
        "never mind",
        "Nevermind!",
        "cancel",
        "cancel my case please",
        "Cancel ESC-0042",
        "I don’t need the engineer anymore",
    ],
)
def test_a_waiting_case_or_a_form_is_called_off_with_never_mind_or_cancel(text):
    assert wants_to_call_off(text)


@pytest.mark.parametrize("text", ["never mind, it's the API again", "ESC-0042", "cancel the 5pm send", "Mind the gap"])
def test_anything_more_than_calling_it_off_is_an_answer(text):
    assert not wants_to_call_off(text)


def test_never_mind_in_a_live_chat_is_for_the_engineer():
    assert not wants_to_leave("never mind")


def test_the_case_a_customer_names_is_read_from_their_words():
    assert named_ref("cancel esc-0042 please") == "ESC-0042"
    assert named_ref("never mind") is None
