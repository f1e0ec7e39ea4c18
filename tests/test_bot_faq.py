"""FAQ answers through the real Rasa server and action server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.training import GENERATED_NLU
from core.settings import PROJECT_ROOT
from faq_index.training_data import HEADER, write_training_data

SUPPORT = "support@modicagroup.com"


def reply_text(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_the_committed_training_data_is_what_the_generator_writes(shipped_index: Path, tmp_path: Path):
    fresh = tmp_path / "faq_generated.yml"
    write_training_data(shipped_index, fresh)
    committed = (PROJECT_ROOT / GENERATED_NLU).read_text()
    assert committed.startswith(HEADER)
    assert committed == fresh.read_text(), "run `helpdesk train` and commit data/nlu/faq_generated.yml"


def test_a_faq_question_is_answered_with_its_source(bot):
    text = reply_text(bot.ask("what is the rollback plan?", sender="faq-rollback"))
    assert "Each maintenance window has a different rollback plan" in text
    assert "(Source: Prepare AWS Migration - More information)" in text


def test_a_run_the_red_question_is_answered_from_that_document(bot):
    text = reply_text(bot.ask("can i still log into the dashboard", sender="faq-dashboard"))
    assert "Omni dashboard" in text and "(Source: Run The Red to Omni migration FAQ (2019))" in text


def test_gibberish_is_refused_with_the_support_contact_and_no_faq_content(bot):
    text = reply_text(bot.ask("zxqv plorb wuggle", sender="faq-gibberish"))
    assert SUPPORT in text
    assert "Source:" not in text


def test_a_question_in_both_migrations_offers_the_other_as_a_button_that_answers_it(bot):
    replies = bot.ask("what will happen to my messages?", sender="faq-twin")
    assert "Messages from mobile users will be queued by the Mobile Network Operator" in reply_text(replies)
    assert "Run The Red" not in reply_text(replies)
    button = replies[0]["buttons"][0]
    assert button["title"].startswith("Run The Red to Omni migration FAQ (2019): ")
    picked = reply_text(bot.ask(button["payload"], sender="faq-twin"))
    assert "Once the mobile networks start the migration process" in picked
    assert "(Source: Run The Red to Omni migration FAQ (2019))" in picked


def test_an_empty_message_gets_a_short_prompt(bot):
    for text in ("", "   "):
        replies = bot.ask(text, sender="faq-empty")
        assert reply_text(replies).startswith("What would you like to know about the migrations?")


SUPERSEDED = [
    "17 August",
    "18 August",
    "19 August",
    "20 August",
    "21 August",
    "22:00 pm",
    "02:00am",
    "2221",
    "0201",
    "17th",
]
WINDOWS = {  # the start as both the FAQ list and the live status write it: "Tue 8 September 2020 21:00"
    1: ("Carrier Connection Migrations", "Mon 7 September 2020 21:00"),
    2: ("Messaging Core Migration", "Tue 8 September 2020 21:00"),
    3: ("Omni Web Interface Migration", "Wed 9 September 2020 21:00"),
    4: ("API End-Point Migration", "Thu 10 September 2020 21:00"),
}


@pytest.mark.parametrize("phase", sorted(WINDOWS))
def test_each_aws_window_is_given_with_its_current_dates_only(bot, phase: int):
    name, when = WINDOWS[phase]
    text = reply_text(bot.ask(f"when is the {name.lower()}?", sender=f"faq-window-{phase}"))
    assert f"Phase {phase}: {name}" in text and when in text and "09:00" in text
    assert [fragment for fragment in SUPERSEDED if fragment in text] == []


@pytest.mark.parametrize(
    "message, expected",
    [
        ("WHAT IS THE ROLLBACK PLAN", "Each maintenance window has a different rollback plan"),
        ("rollback plan?", "Each maintenance window has a different rollback plan"),
        ("omni2", "We have an alternate instance of Omni"),
        ("wil i recieve a remindr?", "you will receive a reminder 1 hour before"),
    ],
)
def test_caps_one_word_and_typos_are_understood(bot, message: str, expected: str):
    assert expected in reply_text(bot.ask(message, sender="faq-messy"))


def test_a_long_message_within_the_limit_is_answered_by_its_question(bot):
    message = (
        "Hello, I manage messaging for a large retailer and I have a question. " * 27 + "What is the rollback plan?"
    )
    assert len(message) <= bot.settings.max_message_chars
    assert "Each maintenance window has a different rollback plan" in reply_text(bot.ask(message, sender="faq-long"))


def test_urgent_problems_get_the_phone_numbers_in_the_first_reply(bot):
    first = bot.ask("our messages are not being delivered, this is urgent!", sender="urgent")[0]["text"]
    assert "0800 77 66 22" in first and "+64 4 498 6000" in first and SUPPORT in first
