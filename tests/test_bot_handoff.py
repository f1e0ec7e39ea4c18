"""The live handoff through the real Rasa and action servers: an engineer joins, talks with the customer
through the bot, and hands the conversation back."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import timedelta

from bot.escalation import escalations
from bot.ops import worker
from core import outbox
from core.clock import Clock
from core.schema import open_state_db


def test_an_acknowledged_escalation_puts_the_customer_through_to_the_engineer_until_resolved(bot):
    sender, db = "handoff-web-1", open_state_db(bot.settings.state_db)
    ref = bot.escalate(sender)
    now = Clock().now()
    escalations.acknowledge(db, ref, "Tama", now)
    assert f"handoff:{ref}:acknowledged" in worker.run_round(bot.settings, now).delivered
    assert "Tama from the on-call team has joined this chat" in bot.said_by_bot(sender)[-1]

    assert bot.ask("is anyone there? what is the rollback plan?", sender=sender) == []  # the bot keeps quiet
    relayed = [m for m in outbox.pending(db, kinds=["relay_to_engineer"]) if ref in m["payload"]]
    assert len(relayed) == 1 and "what is the rollback plan?" in relayed[0]["payload"]

    escalations.relay_from_engineer(db, ref, "Hi Ana, <b>looking</b> at it now", "Tama", "slack-1", now)
    worker.run_round(bot.settings, now)
    assert bot.said_by_bot(sender)[-1] == "Tama (on-call engineer): Hi Ana, <b>looking</b> at it now"

    escalations.resolve(db, ref, "Tama", now + timedelta(minutes=5))
    worker.run_round(bot.settings, now + timedelta(minutes=5))
    assert "You're talking to the helpdesk bot again" in bot.said_by_bot(sender)[-1]
    answer = " ".join(m.get("text", "") for m in bot.ask("what is the rollback plan?", sender=sender))
    assert "roll" in answer.lower() and "Source" in answer  # the bot answers again


def test_the_next_step_is_paged_when_the_injected_clock_passes_the_timeout(bot, tmp_path):
    import subprocess

    from conftest import HELPDESK

    bot.set_clock("2020-09-08T10:30:00Z")
    try:
        ref = bot.escalate("handoff-web-2")
    finally:
        bot.set_clock(None)
    env = {**bot.env, "HELPDESK_NOW": "2020-09-08T10:39:59Z"}
    early = subprocess.run([HELPDESK, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert early.returncode == 0 and ref not in early.stdout
    env["HELPDESK_NOW"] = "2020-09-08T10:40:00Z"
    late = subprocess.run([HELPDESK, "worker", "--once"], env=env, capture_output=True, text=True, timeout=120)
    assert f"{ref}: not acknowledged in time, paged the next step" in late.stdout
    pages = [
        m for m in outbox.pending(open_state_db(bot.settings.state_db), kinds=["page"]) if f'"{ref}"' in m["payload"]
    ]
    assert [m["key"] for m in pages] == [f"page:{ref}:0", f"page:{ref}:1"]


def test_a_customer_gives_their_own_oncall_engineers_details(bot):
    from bot.escalation import customer_contacts

    sender = "contact-form"
    assert "Which company" in bot.ask("I'd like to give you our on-call engineer's details", sender=sender)[0]["text"]
    assert "name" in bot.ask("Kiwi Texts", sender=sender)[0]["text"]
    assert "phone number" in bot.ask("Rua Tane", sender=sender)[0]["text"]
    assert "doesn't look like a phone number" in bot.ask("ring me", sender=sender)[0]["text"]
    assert "email" in bot.ask("skip", sender=sender)[-1]["text"]
    assert "phone number or an email" in bot.ask("skip", sender=sender)[0]["text"]  # one of the two is needed
    done = bot.ask("Ops@KiwiTexts.co.nz", sender=sender)[0]["text"]
    assert "Rua Tane as Kiwi Texts's on-call engineer" in done and "ops@kiwitexts.co.nz" in done
    [saved] = [c for c in customer_contacts.listing(open_state_db(bot.settings.state_db)) if c.company == "Kiwi Texts"]
    assert (saved.name, saved.phone, saved.email) == ("Rua Tane", "", "ops@kiwitexts.co.nz")


def test_a_contact_that_cannot_be_saved_is_not_kept_and_the_customer_is_told_where_to_send_it(bot):
    from conftest import read_only

    from bot.escalation import customer_contacts

    sender, path = "contact-form-read-only", bot.settings.state_db
    customer_contacts.listing(open_state_db(path))  # the database and its table exist before the fault
    for answer in ("I'd like to give you our on-call engineer's details", "Read Only Ltd", "Rua Tane", "skip"):
        bot.ask(answer, sender=sender)
    with read_only(path):
        failed = " ".join(m.get("text", "") for m in bot.ask("ops@readonly.example.com", sender=sender))
    assert "couldn't save those details" in failed and "nothing was recorded" in failed
    assert "support@modicagroup.com" in failed and "0800 77 66 22 (+64 4 498 6000)" in failed
    assert all(
        bot.slots(sender)[slot] is None for slot in ("oncall_company", "oncall_name", "oncall_phone", "oncall_email")
    )
    assert not [c for c in customer_contacts.listing(open_state_db(path)) if c.company == "Read Only Ltd"]
    assert "Which company" in bot.ask("here are our on-call engineer's details", sender=sender)[0]["text"]


def in_handoff(bot, sender: str) -> str:
    """An escalation from `sender`, acknowledged by Tama, whose joining has reached the chat; returns its ref."""
    ref = bot.escalate(sender)
    now = Clock().now()
    escalations.acknowledge(open_state_db(bot.settings.state_db), ref, "Tama", now)
    worker.run_round(bot.settings, now)
    assert "Tama from the on-call team has joined this chat" in bot.said_by_bot(sender)[-1]
    return ref


def relayed_to_engineer(bot, ref: str) -> list[str]:
    return [
        json.loads(m["payload"])["text"]
        for m in outbox.pending(open_state_db(bot.settings.state_db), kinds=["relay_to_engineer"])
        if json.loads(m["payload"])["ref"] == ref
    ]


def answered_by_the_bot(bot, sender: str, ref: str) -> None:
    before = relayed_to_engineer(bot, ref)
    answer = " ".join(m.get("text", "") for m in bot.ask("what is the rollback plan?", sender=sender))
    assert "roll" in answer.lower() and "Source" in answer
    assert relayed_to_engineer(bot, ref) == before  # not relayed


def page_told_closed(bot, ref: str) -> bool:
    """The page's Slack thread is to hear that the customer closed the case (slack/delivery.py)."""
    pending = outbox.pending(open_state_db(bot.settings.state_db), kinds=["closed_by_customer"])
    return f"closed_by_customer:{ref}" in [m["key"] for m in pending]


def test_restart_during_a_handoff_ends_it_tells_the_engineer_and_restarts(bot):
    sender = "handoff-restart"
    ref = in_handoff(bot, sender)
    left = " ".join(m.get("text", "") for m in bot.ask("/restart", sender=sender))
    assert "ended your chat with the on-call engineer" in left
    assert escalations.get(open_state_db(bot.settings.state_db), ref).status == "resolved"
    assert page_told_closed(bot, ref)
    answered_by_the_bot(bot, sender, ref)


def test_stop_during_a_handoff_ends_it_and_the_bot_answers_again(bot):
    sender = "handoff-stop"
    ref = in_handoff(bot, sender)
    assert bot.ask("please stop the test campaign", sender=sender) == []  # more than 'stop': for the engineer
    assert "please stop the test campaign" in relayed_to_engineer(bot, ref)
    too_long = " ".join(m.get("text", "") for m in bot.ask("x" * (bot.settings.max_message_chars + 1), sender=sender))
    assert "too long" in too_long and len(relayed_to_engineer(bot, ref)) == 1  # answered by its rule, not relayed
    left = " ".join(m.get("text", "") for m in bot.ask("Stop", sender=sender))
    assert f"ended your chat with the on-call engineer and told them; {ref} is closed" in left
    assert escalations.get(open_state_db(bot.settings.state_db), ref).status == "resolved"
    assert page_told_closed(bot, ref)
    answered_by_the_bot(bot, sender, ref)


def test_a_case_closed_before_its_notice_arrives_hands_the_chat_back_at_once(bot):
    sender = "handoff-closed"
    ref = in_handoff(bot, sender)
    escalations.resolve(
        open_state_db(bot.settings.state_db), ref, "Tama", Clock().now()
    )  # the notice is not delivered yet
    closed = " ".join(m.get("text", "") for m in bot.ask("are you still there?", sender=sender))
    assert "The engineer has closed this case" in closed
    answered_by_the_bot(bot, sender, ref)  # the slot's reset was not undone by a fallback


def test_a_new_session_does_not_carry_the_handoff_over(bot):
    sender = "handoff-session"
    ref = in_handoff(bot, sender)
    query = urllib.parse.urlencode({"token": bot.settings.rasa_token})
    url = f"{bot.settings.rasa_url}/conversations/{sender}/execute?{query}"
    request = urllib.request.Request(
        url, data=json.dumps({"name": "action_session_start"}).encode(), headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=30).close()  # its answer holds the tracker from before the action
    assert bot.slots(sender)["handoff_ref"] is None
    answered_by_the_bot(bot, sender, ref)


def test_an_engineer_joining_while_the_customer_is_in_a_form_reaches_them_and_the_form_is_left(bot):
    sender, db = "handoff-mid-form", open_state_db(bot.settings.state_db)
    ref = bot.escalate(sender)
    bot.ask("urgent: still nothing is delivered", sender=sender)
    bot.ask("/affirm", sender=sender)  # a second request: the form asks for a name again
    assert bot.slots(sender)["requested_slot"] == "contact_name"
    now = Clock().now()
    escalations.acknowledge(db, ref, "Tama", now)
    worker.run_round(bot.settings, now)
    assert "Tama from the on-call team has joined this chat" in bot.said_by_bot(sender)[-1]
    assert bot.slots(sender)["handoff_ref"] == ref and bot.slots(sender)["contact_name"] is None
    assert bot.ask("thanks for joining", sender=sender) == []  # now for the engineer, not the form
    assert "thanks for joining" in relayed_to_engineer(bot, ref)


def said(replies: list[dict]) -> str:
    return " ".join(m.get("text", "") for m in replies)


def test_a_waiting_customer_is_told_when_the_chain_moves_on_and_cancels_the_case_with_never_mind(bot, slack_bot):
    sender, db = "waiting-cancel", open_state_db(bot.settings.state_db)
    ref = bot.escalate(sender)
    assert "Type 'cancel' if you no longer need them" in bot.said_by_bot(sender)[-1]
    now = Clock().now()
    slack_bot.delivery.run_round(now)  # the page reaches Slack
    later = now + timedelta(minutes=10)
    assert ref in worker.run_round(bot.settings, later).chain.paged
    update = bot.said_by_bot(sender)[-1]
    assert update.startswith(f"Update on {ref}: nobody has answered yet, so I'm now paging the Secondary on-call")
    assert "0800 77 66 22" in update

    assert "I've cancelled" in said(bot.ask("never mind", sender=sender))
    case = escalations.get(db, ref)
    assert (case.status, case.resolved_by) == ("resolved", "customer")
    assert page_told_closed(bot, ref)
    assert ref not in worker.run_round(bot.settings, later + timedelta(minutes=10)).chain.paged
    assert "nothing to cancel" in said(bot.ask("cancel", sender=sender))  # said again: nothing is waiting
    answered_by_the_bot(bot, sender, ref)


def test_never_mind_in_the_middle_of_the_escalation_form_stops_it_and_records_nothing(bot):
    sender, db = "form-never-mind", open_state_db(bot.settings.state_db)
    bot.ask("urgent: our messages are not being delivered", sender=sender)
    bot.ask("/affirm", sender=sender)
    bot.ask("Ana Smith", sender=sender)
    assert bot.slots(sender)["requested_slot"] == "company"
    assert "nothing was sent or saved" in said(bot.ask("Never mind!", sender=sender))
    slots = bot.slots(sender)
    assert (slots["requested_slot"], slots["contact_name"]) == (None, None)
    assert not [c for c in escalations.listing(db) if c.conversation_id == sender]
    answered_by_the_bot(bot, sender, "")


def test_a_waiting_customer_is_told_to_ring_when_pages_are_not_getting_through(bot):
    sender = "waiting-paging-down"
    ref = bot.escalate(sender)  # no Slack here: the page stays queued
    worker.run_round(bot.settings, Clock().now() + timedelta(minutes=10))
    said = " ".join(bot.said_by_bot(sender)[-2:])
    assert f"Update on {ref}: I still can't reach the on-call team automatically. Please ring 0800" in said
    assert "paging" not in said  # never that someone is being paged
