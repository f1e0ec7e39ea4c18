"""FAQ answers through the real Rasa server and action server."""
from __future__ import annotations

from pathlib import Path

from bot.settings import PROJECT_ROOT
from bot.training import GENERATED_NLU
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
        assert replies and len(reply_text(replies)) < 200, replies
        assert "Source:" not in reply_text(replies)
