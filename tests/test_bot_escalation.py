"""Urgent cases through the real Rasa server and action server: numbers first, then a tracked handoff."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import read_only

from actions.escalation import FORM_SLOTS
from bot.escalation import escalations
from bot.escalation.oncall import current_rota
from bot.ops import worker
from core.clock import Clock
from core.schema import open_state_db


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
    assert "under 500 characters" in texts(bot.ask("x" * 1000, sender=sender))
    done = texts(bot.ask("Every send returns HTTP 500 since 9pm", sender=sender))
    assert "Your reference is ESC-" in done and "+64215550199" in done
    ref = done.split("Your reference is ")[1][:8]
    case = escalations.get(open_state_db(bot.settings.state_db), ref)
    assert case.contact == {
        "contact_name": "Ana Smith",
        "company": "Kiwi Texts",
        "callback": "+64215550199",
        "product": "API",
    }
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


FORM_ANSWERS = ("Ana Smith", "Kiwi Texts", "021 555 0199", "API")


def answer_all_but_the_last(bot, sender: str) -> None:
    """Accept the offer of the engineer and answer the form's questions up to the description."""
    bot.ask("urgent: our messages are not being delivered", sender=sender)
    assert texts(bot.ask("/affirm", sender=sender)) == "What is your name?"  # the form starts from empty answers
    for answer in FORM_ANSWERS:
        bot.ask(answer, sender=sender)


def fill_form(bot, sender: str, summary: str) -> str:
    """Run the form to the end; returns the bot's last reply."""
    answer_all_but_the_last(bot, sender)
    return texts(bot.ask(summary, sender=sender))


def cases_of(bot, sender: str) -> list[escalations.Escalation]:
    return [
        case for case in escalations.listing(open_state_db(bot.settings.state_db)) if case.conversation_id == sender
    ]


@contextlib.contextmanager
def locked(path: Path):
    """Another process holds the database's write lock for the whole block."""
    holder = sqlite3.connect(str(path), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("fault", [read_only, locked], ids=["read-only", "locked"])
def test_a_database_fault_keeps_the_answers_and_yes_records_them_once(bot, fault):
    sender, path = f"esc-db-{fault.__name__}", bot.settings.state_db
    escalations.listing(open_state_db(path))  # the database and its tables exist before the fault
    answer_all_but_the_last(bot, sender)
    with fault(path):
        failed = bot.ask("Every send returns HTTP 500 since 9pm", sender=sender)
    assert "couldn't record your case" in texts(failed) and "0800 77 66 22 (+64 4 498 6000)" in texts(failed)
    assert "Your reference is" not in texts(failed) and cases_of(bot, sender) == []
    assert [b["payload"] for b in failed[-1]["buttons"]] == ["/affirm", "/deny"]  # the offer to try again
    assert bot.slots(sender)["contact_name"] == "Ana Smith"  # the answers are kept for it

    done = texts(bot.ask("/affirm", sender=sender))
    assert "Your reference is ESC-" in done
    [case] = cases_of(bot, sender)
    assert case.contact == {
        "contact_name": "Ana Smith",
        "company": "Kiwi Texts",
        "callback": "+64215550199",
        "product": "API",
    }
    assert case.summary == "Every send returns HTTP 500 since 9pm"
    assert all(bot.slots(sender)[slot] is None for slot in FORM_SLOTS)
    bot.ask("/affirm", sender=sender)  # a yes out of context files nothing more
    assert len(cases_of(bot, sender)) == 1


def test_no_to_trying_again_forgets_the_answers_and_a_new_request_asks_afresh(bot):
    sender, path = "esc-db-no", bot.settings.state_db
    escalations.listing(open_state_db(path))
    answer_all_but_the_last(bot, sender)
    with read_only(path):
        assert "couldn't record your case" in texts(bot.ask("Stale problem", sender=sender))
    assert "discarded those answers" in texts(bot.ask("/deny", sender=sender))
    assert "Your reference is" in fill_form(bot, sender, "Fresh problem")
    [case] = cases_of(bot, sender)
    assert case.summary == "Fresh problem"


def test_an_offer_accepted_after_a_failure_starts_the_form_from_empty_answers(bot):
    sender, path = "esc-db-stale", bot.settings.state_db
    escalations.listing(open_state_db(path))
    answer_all_but_the_last(bot, sender)
    with read_only(path):
        bot.ask("Stale problem", sender=sender)
    # The customer ignores the offer to try again and asks for a person later: nothing stale is filed.
    assert "Your reference is" in fill_form(bot, sender, "Fresh problem")
    assert [case.summary for case in cases_of(bot, sender)] == ["Fresh problem"]


def test_slack_off_the_reply_does_not_claim_a_page_and_gives_the_number(bot):
    assert not bot.settings.slack.enabled  # the test bot has no Slack: no page can go out
    done = fill_form(bot, "esc-no-slack", "Every send returns HTTP 500")
    ref = done.split("Your reference is ")[1][:8]
    assert "paged the on-call engineer" not in done and "could not page the on-call engineer automatically" in done
    assert f"ring 0800 77 66 22 (+64 4 498 6000) now and quote {ref}" in done


def test_a_second_request_adds_to_the_open_case_and_past_the_limit_nothing_is_recorded(bot):
    sender = "esc-again"
    ref = fill_form(bot, sender, "Every send returns HTTP 500").split("Your reference is ")[1][:8]
    again = fill_form(bot, sender, "Now the portal is down too")
    assert f"You already have an open case, {ref}, so I've added these details to it" in again
    assert [case.ref for case in cases_of(bot, sender)] == [ref]
    assert "customer added" in [
        event["what"] for event in escalations.history(open_state_db(bot.settings.state_db), ref)
    ]
    fill_form(bot, sender, "Third time")  # three requests an hour are taken from one conversation
    limited = fill_form(bot, sender, "Fourth time")
    assert "can't take another request" in limited and "0800 77 66 22 (+64 4 498 6000)" in limited
    details = [
        e["detail"]
        for e in escalations.history(open_state_db(bot.settings.state_db), ref)
        if e["what"] == "customer added"
    ]
    assert details == ["Now the portal is down too", "Third time"] and len(cases_of(bot, sender)) == 1
    assert all(bot.slots(sender)[slot] is None for slot in FORM_SLOTS)  # the limit clears the answers


def promised_a_page(bot, sender: str) -> escalations.Escalation:
    """A case whose reply promised a page (as with Slack on and healthy); its page never goes out (Slack is off)."""
    assert not bot.settings.slack.enabled
    db = open_state_db(bot.settings.state_db)
    return escalations.create(
        db,
        sender,
        {"contact_name": "Ana Smith", "callback": "+64215550199"},
        "Every send returns HTTP 500",
        [],
        current_rota(db),
        Clock().now(),
    ).case


def paging_failed_text(ref: str) -> str:
    return (
        f"I'm sorry: I could not reach the on-call engineer automatically about {ref}. "
        f"Please ring 0800 77 66 22 (+64 4 498 6000) now and quote {ref}."
    )


def test_a_customer_whose_page_has_not_gone_out_in_time_is_told_to_ring_once(bot):
    sender, told_at_once = "esc-page-stuck", "esc-page-stuck-told"
    assert "could not page the on-call engineer automatically" in fill_form(bot, told_at_once, "Portal is down")
    bot.ask("hello", sender=sender)
    case = promised_a_page(bot, sender)
    now = case.created_at

    report = worker.run_round(bot.settings, now + escalations.PAGE_DELIVERY_GRACE)
    assert case.ref in report.told_page_failed and f"page_failed:{case.ref}" in report.delivered
    assert bot.said_by_bot(sender)[-1] == paging_failed_text(case.ref)
    assert not [text for text in bot.said_by_bot(told_at_once) if "could not reach" in text]  # told already

    worker.run_round(bot.settings, now + timedelta(minutes=15))  # later rounds, the next step paged meanwhile
    assert sum("could not reach the on-call engineer" in text for text in bot.said_by_bot(sender)) == 1
    assert "rollback" in texts(bot.ask("what is the rollback plan?", sender=sender)).lower()  # still answered


def test_a_customer_told_in_the_middle_of_a_form_gets_the_question_again_and_can_finish(bot):
    sender = "esc-page-stuck-form"
    bot.ask("hello", sender=sender)
    case = promised_a_page(bot, sender)
    bot.ask("urgent: our messages are not being delivered", sender=sender)  # asking for the engineer again
    bot.ask("/affirm", sender=sender)
    assert "Which company" in texts(bot.ask("Ana Smith", sender=sender))
    worker.run_round(bot.settings, case.created_at + escalations.PAGE_DELIVERY_GRACE)
    said = bot.said_by_bot(sender)
    assert said[-2] == paging_failed_text(case.ref) and "Which company" in said[-1]  # then the form asks again
    assert bot.slots(sender)["company"] is None  # the notice is not taken for an answer
    for answer in ("Kiwi Texts", "021 555 0199", "API"):
        bot.ask(answer, sender=sender)
    done = texts(bot.ask("Still nothing is delivered", sender=sender))
    assert f"You already have an open case, {case.ref}" in done
