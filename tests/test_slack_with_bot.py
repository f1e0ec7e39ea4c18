"""The Slack app in front of the real Rasa bot: questions answered in threads, acks inside Slack's 3 seconds,
and an engineer's thread replies reaching the customer."""

from __future__ import annotations

from conftest import ONCALL_CHANNEL, STAFF, SlackHarness, settings_env
from slack_standin import HeldRasa
from test_slack_app import texts_of

from bot.escalation import escalations
from bot.ops import worker
from core.clock import Clock
from core.schema import open_state_db


def test_a_direct_message_is_answered_by_the_bot_in_its_thread_with_the_source(slack_bot):
    status, _, _ = slack_bot.event(
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D0STAFF",
            "user": STAFF,
            "text": "what is the rollback plan for the aws migration?",
            "ts": "1700000100.000100",
        }
    )
    assert status == 200
    reply = slack_bot.standin.wait_for("chat.postMessage")[0]
    assert reply["channel"] == "D0STAFF" and reply["thread_ts"] == "1700000100.000100"
    assert "Source:" in texts_of(reply["blocks"])


def test_a_mention_is_answered_and_the_bots_buttons_go_back_to_the_same_conversation(slack_bot):
    slack_bot.event(
        {
            "type": "app_mention",
            "channel": "C0GENERAL",
            "user": STAFF,
            "text": "<@UHELPDESK> this is urgent, our sms are not delivered",
            "ts": "1700000200.000100",
        }
    )
    reply = slack_bot.standin.wait_for("chat.postMessage")[0]
    assert "0800 77 66 22" in texts_of(reply["blocks"])
    button = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"] if "/deny" in e["value"])
    slack_bot.click(button["action_id"], button["value"], channel="C0GENERAL")
    second = slack_bot.standin.wait_for("chat.postMessage", 2)[1]
    assert second["thread_ts"] == "1700000200.000100" and "ring 0800 77 66 22" in texts_of(second["blocks"])


def test_slack_gets_its_ack_while_the_bot_is_still_thinking(tmp_path, shipped_index):
    """The ack does not wait for the bot at all (bench/slack_ack.py measures how fast it is)."""
    slow = HeldRasa()
    harness = SlackHarness(settings_env(tmp_path / "var", RASA_PORT=str(slow.port), HELPDESK_FAQ_DB=str(shipped_index)))
    try:
        status, _, _ = harness.event(
            {
                "type": "message",
                "channel_type": "im",
                "channel": "D0STAFF",
                "user": STAFF,
                "text": "hello?",
                "ts": "1700000300.000100",
            }
        )
        assert status == 200
        assert slow.asked.wait(30) and not slow.release.is_set()  # the bot has the question and has not answered
        assert harness.standin.called("chat.postMessage") == []
        slow.release.set()
        assert "finally, an answer" in texts_of(harness.standin.wait_for("chat.postMessage")[0]["blocks"])
    finally:
        harness.close()
        slow.close()


def test_an_engineers_thread_reply_reaches_the_customer_and_the_customers_words_reach_the_thread(slack_bot, bot):
    sender, db = "slack-handoff-web", open_state_db(bot.settings.state_db)
    ref = bot.escalate(sender)
    now = Clock().now()
    slack_bot.delivery.run_round(now)
    page = next(p for p in slack_bot.standin.called("chat.postMessage") if p.get("blocks") and ref in p["text"])
    case = escalations.get(db, ref)
    message = {"ts": case.slack_ts, "text": page["text"], "blocks": page["blocks"]}
    slack_bot.click("escalation_acknowledge", ref, message=message)
    slack_bot.standin.wait_for("chat.update")
    worker.run_round(bot.settings, Clock().now())
    assert "joined this chat" in bot.said_by_bot(sender)[-1]

    slack_bot.event(
        {
            "type": "message",
            "channel": ONCALL_CHANNEL,
            "user": STAFF,
            "text": "Hi Ana, on it <!channel>",
            "ts": "1700000400.000200",
            "thread_ts": case.slack_ts,
        }
    )
    assert len(worker.run_round(bot.settings, Clock().now()).delivered) == 1  # queued before Slack got its ack
    assert bot.said_by_bot(sender)[-1] == "Tama Engineer (on-call engineer): Hi Ana, on it <!channel>"

    assert bot.ask("thanks, it's working again", sender=sender) == []
    slack_bot.delivery.run_round(Clock().now())
    relayed = [p for p in slack_bot.standin.called("chat.postMessage") if p.get("text", "").startswith("Customer:")]
    assert relayed[-1]["thread_ts"] == case.slack_ts and relayed[-1]["blocks"][0]["text"]["type"] == "plain_text"
