"""Urgent cases through the real Rasa server and action server: numbers first, then a tracked handoff."""
from __future__ import annotations

from bot import escalations


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text", "") for reply in replies)


def test_an_urgent_message_gets_the_numbers_then_the_offer_of_an_engineer(bot):
    replies = bot.ask("URGENT our SMS are not being delivered", sender="esc-offer")
    assert "0800 77 66 22" in replies[0]["text"] and "support@modicagroup.com" in replies[0]["text"]
    assert "on-call engineer" in replies[-1]["text"]
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny"]
    assert "0800 77 66 22" in texts(bot.ask("/deny", sender="esc-offer"))


def test_the_form_runs_to_a_stored_escalation_with_the_transcript(bot):
    sender = "esc-form"
    bot.ask("our messages are not being delivered, this is urgent", sender=sender)
    assert "your name" in texts(bot.ask("/affirm", sender=sender))
    assert "company" in texts(bot.ask("Ana Smith", sender=sender))
    assert "phone number or email" in texts(bot.ask("Kiwi Texts", sender=sender))
    assert "doesn't look like a phone number" in texts(bot.ask("call me maybe", sender=sender))
    assert "Which product" in texts(bot.ask("021 555 0199", sender=sender))
    assert "what is going wrong" in texts(bot.ask("API", sender=sender))
    assert "without HTML tags" in texts(bot.ask("<img src=x onerror=alert(1)>", sender=sender))
    assert "under 500 characters" in texts(bot.ask("x" * 5000, sender=sender))
    done = texts(bot.ask("Every send returns HTTP 500 since 9pm", sender=sender))
    assert "Your reference is ESC-" in done and "+64215550199" in done
    ref = done.split("Your reference is ")[1][:8]
    case = escalations.get(bot.settings.state_db, ref)
    assert case.contact == {"contact_name": "Ana Smith", "company": "Kiwi Texts", "callback": "+64215550199",
                            "product": "API"}
    assert case.summary == "Every send returns HTTP 500 since 9pm" and case.status == "triggered"
    said = [line["text"] for line in case.transcript]
    assert "our messages are not being delivered, this is urgent" in said and "call me maybe" in said


def test_strong_words_get_the_numbers_whatever_the_classifier_thinks(bot):
    first = bot.ask("hey, the api is down and we are losing money", sender="esc-strong")[0]["text"]
    assert "0800 77 66 22" in first and "+64 4 498 6000" in first


def test_two_unanswerable_questions_in_a_row_bring_the_offer_of_a_person(bot):
    sender = "esc-misses"
    first = texts(bot.ask("zxqv plorb wuggle", sender=sender))
    assert "support@modicagroup.com" in first and "on-call engineer" not in first
    second = bot.ask("flarn gimble quux", sender=sender)
    assert "support@modicagroup.com" in texts(second) and "on-call engineer" in second[-1]["text"]
    assert "your name" in texts(bot.ask("/affirm", sender=sender))
