"""The Slack app, driven by signed HTTP requests built as Slack builds them; a local stand-in plays Slack's Web API."""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from datetime import timedelta

import pytest
from conftest import HELPDESK, ONCALL_CHANNEL, STAFF, UPDATES_CHANNEL, helpdesk, read_only

from bot.escalation import chain, escalations, oncall
from bot.ops import worker
from bot.status import phase_status
from core import outbox
from core.clock import parse_instant
from core.errors import StorageError
from core.schema import open_state_db

OUTSIDER = "UOUTSIDER"
T0 = parse_instant("2020-09-08T10:30:00Z")


def texts_of(blocks: list[dict]) -> str:
    found = []
    for block in blocks:
        for part in [block.get("text")] + block.get("fields", []) + block.get("elements", []):
            if isinstance(part, dict) and "text" in part:
                found.append(part["text"]["text"] if isinstance(part["text"], dict) else part["text"])
    return "\n".join(found)


def test_a_request_without_a_valid_signature_gets_401_and_changes_nothing(slack):
    for kwargs in ({"secret": "wrong-secret"}, {"secret": None}, {"timestamp": time.time() - 6 * 60}):
        status, _, _ = slack.command("/phase", "set 2 completed", **kwargs)
        assert status == 401
    assert phase_status.history(open_state_db(slack.settings.state_db)) == []
    assert [call.method for call in slack.standin.calls] == ["auth.test"]  # only the app's own start-up check


def test_faq_shows_the_top_matches_with_document_and_score_to_the_asker_only(slack):
    status, body, _ = slack.command("/faq", "rollback plan")
    reply = json.loads(body)
    assert status == 200 and reply["response_type"] == "ephemeral"
    shown = texts_of(reply["blocks"])
    assert "rollback" in shown.lower() and "score" in shown and ".txt" in shown
    buttons = [b["accessory"] for b in reply["blocks"] if "accessory" in b]
    assert buttons and all(b["action_id"] == "faq_post" for b in buttons)


def test_faq_post_button_posts_the_answer_with_its_source_to_the_channel(slack):
    reply = json.loads(slack.command("/faq", "rollback plan")[1])
    entry = next(b["accessory"]["value"] for b in reply["blocks"] if "accessory" in b)
    assert slack.click("faq_post", entry, channel="C0GENERAL")[0] == 200
    posted = slack.standin.wait_for("chat.postMessage")[0]
    assert posted["channel"] == "C0GENERAL" and "Source:" in texts_of(posted["blocks"])


def test_a_button_for_an_entry_no_longer_indexed_tells_the_clicker_and_posts_nothing(slack):
    assert slack.click("faq_post", "entry_removed_since", channel="C0GENERAL")[0] == 200
    told = slack.standin.wait_for("chat.postEphemeral")[0]
    assert "no longer in the index" in told["text"] and told["user"]
    assert slack.standin.called("chat.postMessage") == []


def test_faq_query_with_markup_is_shown_as_plain_text(slack):
    reply = json.loads(slack.command("/faq", "<script>alert(1)</script> *rollback*")[1])
    header = reply["blocks"][0]["text"]
    assert header["type"] == "plain_text" and "<script>" in header["text"]
    assert "<script>" not in reply["text"]  # the fallback text is escaped


def test_empty_and_huge_faq_queries_get_a_clear_message(slack):
    assert "Usage: /faq" in json.loads(slack.command("/faq", "   ")[1])["text"]
    assert "too long" in json.loads(slack.command("/faq", "x " * 600)[1])["text"]


def test_phase_shows_the_status_table(slack):
    reply = json.loads(slack.command("/phase", "")[1])
    table = reply["blocks"][0]["text"]["text"]
    assert "Phase 1" in table and "Phase 4" in table and "state now" in table


def test_a_staff_member_reports_a_phase_and_the_home_tab_follows(slack):
    slack.event({"type": "app_home_opened", "user": STAFF, "channel": "D0STAFF", "tab": "home", "event_ts": "1.1"})
    first = slack.standin.wait_for("views.publish")[0]
    assert first["user_id"] == STAFF and "Migration status" in texts_of(first["view"]["blocks"])
    slack.delivery.refresh_home()
    published = len(slack.standin.called("views.publish"))
    reply = json.loads(slack.command("/phase", "set 2 extended until 2020-09-08T14:30Z DNS is slow")[1])
    assert reply["text"].startswith("Recorded: Phase 2")
    [report] = phase_status.history(open_state_db(slack.settings.state_db))
    assert report["state"] == "extended" and report["by"] == STAFF and report["note"] == "DNS is slow"
    assert slack.delivery.refresh_home() and not slack.delivery.refresh_home()  # once per change
    view = slack.standin.called("views.publish")[published]["view"]
    assert "Note: DNS is slow" in texts_of(view["blocks"])


def test_a_staff_only_command_from_anyone_else_is_refused_and_changes_nothing(slack):
    reply = json.loads(slack.command("/phase", "set 2 completed", user=OUTSIDER)[1])
    assert "only support staff" in reply["text"]
    assert phase_status.history(open_state_db(slack.settings.state_db)) == []
    reply = json.loads(slack.command("/oncall", f"set 1 <@{OUTSIDER}|eve>", user=OUTSIDER)[1])
    assert "only support staff" in reply["text"]
    assert oncall.current_rota(open_state_db(slack.settings.state_db)).steps[0].slack_user == "U00PRIMARY"


def test_a_bad_phase_report_says_why_and_records_nothing(slack):
    assert "Nothing recorded: unknown state" in json.loads(slack.command("/phase", "set 2 exploded")[1])["text"]
    assert "Nothing recorded" in json.loads(slack.command("/phase", "set 9 completed")[1])["text"]
    assert "an extension needs its new end" in json.loads(slack.command("/phase", "set 2 extended")[1])["text"]
    assert phase_status.history(open_state_db(slack.settings.state_db)) == []


def test_staff_change_who_is_on_call(slack):
    assert "Primary on-call" in json.loads(slack.command("/oncall", "")[1])["text"]
    reply = json.loads(slack.command("/oncall", "set 1 <@U0NEWPRIME|mere> +64 21 555 0100")[1])
    assert "<@U0NEWPRIME>" in reply["text"]
    step = oncall.current_rota(open_state_db(slack.settings.state_db)).steps[0]
    assert (step.slack_user, step.name, step.phone) == ("U0NEWPRIME", "mere", "+64 21 555 0100")
    assert "Usage" in json.loads(slack.command("/oncall", "set one someone")[1])["text"]


def page_of(slack, ref: str) -> dict:
    return next(p for p in slack.standin.called("chat.postMessage") if p.get("blocks") and ref in p["text"])


def page_message(slack, ref: str) -> dict:
    """The page as Slack sends it with a click on one of its buttons."""
    page = page_of(slack, ref)
    ts = escalations.get(open_state_db(slack.settings.state_db), ref).slack_ts
    return {"ts": ts, "text": page["text"], "blocks": page["blocks"]}


def new_case(slack, summary="API returns 500 for every send", now=T0, conversation="web-abc") -> escalations.Escalation:
    return escalations.create(
        open_state_db(slack.settings.state_db),
        conversation,
        {"contact_name": "Ana", "company": "Kiwi Texts", "callback": "+64215550199", "product": "API"},
        summary,
        [{"from": "customer", "text": "our messages are not delivered"}],
        oncall.current_rota(open_state_db(slack.settings.state_db)),
        now,
    ).case


def test_a_page_reaches_the_oncall_channel_with_the_case_and_the_buttons(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    page = page_of(slack, case.ref)
    assert page["channel"] == ONCALL_CHANNEL and "<@U00PRIMARY>" in texts_of(page["blocks"])
    assert "Call back on: +64215550199" in texts_of(page["blocks"])
    actions = next(b for b in page["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [
        "escalation_acknowledge",
        "escalation_snooze",
        "escalation_resolve",
        f"escalation_reassign:{case.ref}",
    ]
    slack.delivery.run_round(T0 + timedelta(seconds=2))
    transcript = [p for p in slack.standin.called("chat.postMessage") if p.get("thread_ts")]
    assert "customer: our messages are not delivered" in texts_of(transcript[0]["blocks"])


def test_what_a_customer_typed_is_never_markup_in_slack(slack):
    case = new_case(slack, summary="<@U00HEADOFSD> <!channel> *bold* <https://evil.example|click>")
    slack.delivery.run_round(T0)
    page = page_of(slack, case.ref)
    summary = next(b for b in page["blocks"] if "Summary:" in json.dumps(b))
    assert summary["text"]["type"] == "plain_text"
    assert "<!channel>" not in page["text"] and "&lt;!channel&gt;" in page["text"]


def test_acknowledge_and_resolve_buttons_update_the_escalation_and_the_page(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    message = page_message(slack, case.ref)
    slack.click("escalation_acknowledge", case.ref, message=message)
    updated = slack.standin.wait_for("chat.update")[0]
    assert escalations.get(open_state_db(slack.settings.state_db), case.ref).status == "acknowledged"
    assert "Acknowledged by ustaff01" in texts_of(updated["blocks"])
    assert [e["action_id"] for b in updated["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "escalation_reply",
        "escalation_resolve",
    ]
    db = open_state_db(slack.settings.state_db)
    assert chain.advance(db, oncall.current_rota(db), T0 + timedelta(hours=1)).paged == []  # acknowledged: no page
    slack.click("escalation_resolve", case.ref, message=message)
    slack.standin.wait_for("chat.update", 2)
    assert escalations.get(open_state_db(slack.settings.state_db), case.ref).status == "resolved"


def test_escalation_buttons_are_for_staff_only(slack):
    case = new_case(slack)
    slack.click("escalation_acknowledge", case.ref, user=OUTSIDER)
    note = slack.standin.wait_for("chat.postEphemeral")[0]
    assert note["user"] == OUTSIDER and "only support staff" in note["text"]
    assert escalations.get(open_state_db(slack.settings.state_db), case.ref).status == "triggered"


def test_a_slack_outage_delays_pages_but_delivers_each_once_and_the_history_shows_the_retries(slack):
    slack.standin.failures = 5
    cases = [new_case(slack, summary=f"case {n}", conversation=f"web-{n}") for n in range(3)]
    now = T0
    for _ in range(15):  # the delivery loop's rounds, with the clock moved on by hand
        slack.delivery.run_round(now)
        now += timedelta(minutes=2)
    pages = [p for p in slack.standin.called("chat.postMessage") if p.get("blocks") and not p.get("thread_ts")]
    assert sorted(p["text"].split()[0] for p in pages) == [c.ref for c in cases]  # each once, none lost
    assert outbox.pending(open_state_db(slack.settings.state_db)) == []
    history = [e for c in cases for e in escalations.history(open_state_db(slack.settings.state_db), c.ref)]
    failures = [e for e in history if e["what"] == "delivery failed"]
    assert len(failures) == 5 and all("internal_error" in e["detail"] for e in failures)
    assert sum(e["what"] == "page delivered" for e in history) == 3


def test_a_page_posted_while_the_database_refused_to_record_it_is_recorded_later_not_posted_again(slack):
    case = new_case(slack)
    with read_only(slack.settings.state_db):  # Slack takes the page; recording its thread then fails
        with pytest.raises(StorageError):
            slack.delivery.run_round(T0)
    for seconds in (2, 4):
        slack.delivery.run_round(T0 + timedelta(seconds=seconds))
    pages = [p for p in slack.standin.called("chat.postMessage") if p.get("blocks") and not p.get("thread_ts")]
    assert len(pages) == 1
    assert escalations.get(open_state_db(slack.settings.state_db), case.ref).slack_ts
    assert outbox.pending(open_state_db(slack.settings.state_db), ["page"]) == []


def test_an_unacknowledged_page_goes_to_the_next_step_in_the_pages_thread(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    report = worker.run_round(slack.settings, T0 + timedelta(minutes=10))
    assert report.chain.paged == [case.ref]
    slack.delivery.run_round(T0 + timedelta(minutes=10))
    broadcast = [p for p in slack.standin.called("chat.postMessage") if p.get("reply_broadcast")]
    assert len(broadcast) == 1 and "<@U0SECONDARY>" in broadcast[0]["text"]
    [updated] = slack.standin.called("chat.update")  # the page itself now shows who is paged and the chain's place
    assert "Paging <@U0SECONDARY>" in texts_of(updated["blocks"])
    assert "step 2 of 3, round 1 of 3; the next page Tue 8 September 2020 22:50 NZST" in texts_of(updated["blocks"])


def test_the_whole_chain_unanswered_pages_every_round_then_tells_the_support_channel_once(slack):
    from conftest import UPDATES_CHANNEL

    case = new_case(slack)
    rota = oncall.current_rota(open_state_db(slack.settings.state_db))
    rounds, steps = rota.repeat + 1, len(rota.steps)
    for n in range(rounds * steps + 2):  # the worker and the Slack app, every ack timeout, past the chain's end
        now = T0 + n * rota.ack_timeout
        worker.run_round(slack.settings, now)
        slack.delivery.run_round(now)
    posts = slack.standin.called("chat.postMessage")
    in_thread = [p for p in posts if p.get("thread_ts") and p.get("reply_broadcast")]
    assert len(in_thread) == rounds * steps - 1  # every page after the first, each once
    assert sum("Round 2 of 3" in p["text"] for p in in_thread) == steps
    [ended] = [p for p in posts if p["channel"] == UPDATES_CHANNEL]
    assert case.ref in ended["text"] and "<@U00HEADOFSD>" in ended["text"] and "3 round(s)" in ended["text"]
    history = [e["what"] for e in escalations.history(open_state_db(slack.settings.state_db), case.ref)]
    paging = [what for what in history if what not in ("customer updated", "delivery failed")]  # no chat here
    assert paging.count("paged") == rounds * steps and paging[-2:] == ["chain ended", "support channel told"]
    assert history.count("customer updated") == rounds * steps  # each move and the end


def test_a_worker_killed_at_any_moment_of_the_chain_pages_each_step_once(slack):
    """The real `helpdesk worker`, SIGKILLed at a different moment of each step (before its round, inside it,
    between rounds) and started again, as supervisord would."""
    db = open_state_db(slack.settings.state_db)
    case = new_case(slack)
    rota = oncall.current_rota(db)
    moves = (rota.repeat + 1) * len(rota.steps)  # every page after the first, then the chain's end
    moment = random.Random(17)
    for n in range(1, moves + 1):
        now = T0 + n * rota.ack_timeout
        env = {**os.environ, **slack.env, "HELPDESK_NOW": now.isoformat(), "HELPDESK_WORKER_INTERVAL": "0.05"}
        running = subprocess.Popen([HELPDESK, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment.uniform(0.1, 0.9))  # the moment of the kill, not a wait for something
        running.kill()
        running.wait(timeout=30)
        assert helpdesk("worker", "--once", env=env).returncode == 0  # started again
        slack.delivery.run_round(now)
    pages = [m for m in outbox.pending(db, ["page"]) if json.loads(m["payload"])["ref"] == case.ref]
    assert pages == []  # all delivered...
    posts = [p for p in slack.standin.called("chat.postMessage") if case.ref in p["text"]]
    first = [p for p in posts if p.get("blocks") and not p.get("thread_ts")]
    later = [p for p in posts if p.get("reply_broadcast")]
    assert (len(first), len(later)) == (1, moves - 1)  # ...each once
    assert len({p["text"] for p in later}) == len(later)
    assert len([p for p in posts if p["channel"] == UPDATES_CHANNEL]) == 1  # the chain's end, once
    history = [e["what"] for e in escalations.history(db, case.ref)]
    assert (history.count("paged"), history.count("chain ended"), history.count("customer updated")) == (
        moves,
        1,
        moves,
    )


def test_an_acknowledged_case_left_open_reminds_its_acknowledger_in_the_pages_thread(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    escalations.acknowledge(open_state_db(slack.settings.state_db), case.ref, "tama", T0 + timedelta(minutes=2))
    worker.run_round(slack.settings, T0 + timedelta(minutes=62))
    slack.delivery.run_round(T0 + timedelta(minutes=62))
    [reminder] = [p for p in slack.standin.called("chat.postMessage") if ":hourglass:" in p["text"]]
    assert reminder["thread_ts"] and reminder["reply_broadcast"]
    assert f"{case.ref} was acknowledged by tama 60 min ago and is still open" in reminder["text"]


def test_a_case_the_customer_cancels_is_marked_on_its_page_and_its_later_pages_are_not_sent(slack):
    db = open_state_db(slack.settings.state_db)
    case = new_case(slack)
    slack.delivery.run_round(T0)
    worker.run_round(slack.settings, T0 + timedelta(minutes=10))  # the next step is queued...
    escalations.cancel_by_customer(db, case.conversation_id, T0 + timedelta(minutes=10, seconds=5))
    slack.delivery.run_round(T0 + timedelta(minutes=11))  # ...and the customer cancels before it goes out
    posts = slack.standin.called("chat.postMessage")
    [told] = [p for p in posts if p.get("reply_broadcast")]
    assert "The customer cancelled" in told["text"] and told["reply_broadcast"]
    assert not any("<@U0SECONDARY>" in p["text"] for p in posts)
    [updated] = slack.standin.called("chat.update")
    assert "Closed by the customer from the chat" in texts_of(updated["blocks"])
    assert "No actions left." in texts_of(updated["blocks"])
    assert "page not sent" in [e["what"] for e in escalations.history(db, case.ref)]


def test_a_customer_ending_the_chat_with_the_engineer_is_said_in_the_thread_and_on_the_page(slack):
    db = open_state_db(slack.settings.state_db)
    case = new_case(slack)
    slack.delivery.run_round(T0)
    escalations.acknowledge(db, case.ref, "tama", T0 + timedelta(minutes=1))
    escalations.customer_left(db, case.conversation_id, T0 + timedelta(minutes=5))
    slack.delivery.run_round(T0 + timedelta(minutes=5))
    [told] = [p for p in slack.standin.called("chat.postMessage") if p.get("reply_broadcast")]
    assert told["text"] == f":wave: The customer ended the chat; {case.ref} is resolved."
    [updated] = slack.standin.called("chat.update")
    assert "Closed by the customer from the chat" in texts_of(updated["blocks"])


def test_a_case_cancelled_before_its_page_reached_slack_pages_nobody(slack):
    db = open_state_db(slack.settings.state_db)
    case = new_case(slack)
    escalations.cancel_by_customer(db, case.conversation_id, T0)
    slack.delivery.run_round(T0)
    assert slack.standin.called("chat.postMessage") == [] and outbox.pending(db) == []


def test_maintenance_notices_are_posted_once_each_also_after_a_restart(slack):
    from helpdesk_slack.delivery import SlackDelivery

    hour_before_phase_2 = parse_instant("2020-09-08T08:00:00Z")
    queued = worker.run_round(slack.settings, hour_before_phase_2).notices_queued
    assert len(queued) == 1
    slack.delivery.run_round(hour_before_phase_2)
    restarted = SlackDelivery(slack.context, slack.context.client)
    restarted.run_round(hour_before_phase_2 + timedelta(minutes=1))
    assert worker.run_round(slack.settings, hour_before_phase_2 + timedelta(minutes=2)).notices_queued == []
    notices = [p for p in slack.standin.called("chat.postMessage") if p["channel"] == UPDATES_CHANNEL]
    assert len(notices) == 1 and "starts in 1 hour" in notices[0]["text"]


def test_the_reply_button_opens_a_form_whose_text_reaches_the_customer(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    escalations.acknowledge(open_state_db(slack.settings.state_db), case.ref, "tama", T0)
    slack.click("escalation_reply", case.ref, message=page_message(slack, case.ref))
    [opened] = slack.standin.called("views.open")
    modal = opened["view"]
    assert modal["callback_id"] == "escalation_reply" and json.loads(modal["private_metadata"])["ref"] == case.ref
    submission = {
        "type": "view_submission",
        "team": {"id": "T0TEAM"},
        "user": {"id": STAFF, "name": "tama"},
        "api_app_id": "A0HELPDESK",
        "trigger_id": "1.2.3",
        "view": {
            **modal,
            "id": "V0REPLY",
            "state": {
                "values": {
                    "reply": {"text": {"type": "plain_text_input", "value": "We're restarting the gateway now."}}
                }
            },
        },
    }
    status, body, _ = slack.interact(submission)
    assert status == 200 and body == ""
    [relay] = outbox.pending(open_state_db(slack.settings.state_db), kinds=["relay_to_customer"])
    assert json.loads(relay["payload"])["text"] == "We're restarting the gateway now."


def test_a_reply_to_an_escalation_nobody_acknowledged_is_refused_in_the_form(slack):
    case = new_case(slack)
    modal = {
        "type": "modal",
        "callback_id": "escalation_reply",
        "id": "V0REPLY2",
        "private_metadata": json.dumps({"ref": case.ref, "channel": ONCALL_CHANNEL, "thread_ts": "1.1"}),
        "state": {"values": {"reply": {"text": {"type": "plain_text_input", "value": "hello"}}}},
    }
    status, body, _ = slack.interact(
        {"type": "view_submission", "team": {"id": "T0TEAM"}, "user": {"id": STAFF, "name": "tama"}, "view": modal}
    )
    reply = json.loads(body)
    assert reply["response_action"] == "errors" and "acknowledge it before replying" in reply["errors"]["reply"]
    assert outbox.pending(open_state_db(slack.settings.state_db), kinds=["relay_to_customer"]) == []


def test_members_of_the_staff_channel_count_as_staff(tmp_path, shipped_index):
    from conftest import SlackHarness, settings_env

    harness = SlackHarness(
        settings_env(tmp_path / "var", HELPDESK_FAQ_DB=str(shipped_index), SLACK_STAFF_CHANNEL="C0STAFF")
    )
    try:
        harness.standin.members = ["U0CHANNELMEMBER"]
        reply = json.loads(harness.command("/phase", "set 2 completed", user="U0CHANNELMEMBER")[1])
        assert reply["text"].startswith("Recorded")
        assert harness.standin.called("conversations.members")[0]["channel"] == "C0STAFF"
        assert "only support staff" in json.loads(harness.command("/phase", "set 2 started", user=OUTSIDER)[1])["text"]
    finally:
        harness.close()


def test_without_slack_tokens_make_run_starts_everything_else_and_says_slack_is_off(tmp_path):
    from conftest import settings_env

    from bot.ops.serve import components_to_start
    from core.settings import Settings

    started, off = components_to_start(Settings.from_env(settings_env(tmp_path)))
    assert started == ["rasa", "actions", "web", "worker"]
    assert off == ["Slack is off (SLACK_BOT_TOKEN is not set; see .env.example and slack/manifest.yml)."]
    configured = Settings.from_env(settings_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s"))
    assert components_to_start(configured) == (["rasa", "actions", "web", "worker", "slack"], [])


def test_the_slack_app_keeps_trying_to_start_while_slack_is_unreachable(tmp_path, caplog):
    import threading

    import pytest
    from conftest import free_port, settings_env

    from core.errors import ConfigError
    from core.settings import Settings
    from helpdesk_slack.main import start_app

    unreachable = Settings.from_env(
        settings_env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/",
        )
    )
    stopped = threading.Event()
    stopped.set()  # stop at the first wait: one failed attempt, logged, then a clean exit
    with pytest.raises(ConfigError, match="stopped before it could sign in"):
        start_app(unreachable, stopped)
    assert "Slack app cannot start" in caplog.text and "trying again in 5 s" in caplog.text


def test_a_malformed_body_is_refused_and_changes_nothing(slack):
    # Signed, so they pass the signature check, but not Slack's encoding: refused before any listener runs.
    assert slack.post("not json at all", "application/json")[0] == 400
    assert slack.post("payload=%7Bnot-json", "application/x-www-form-urlencoded")[0] == 400
    assert slack.post("", "application/json")[0] == 404  # nothing to handle
    assert [call.method for call in slack.standin.calls] == ["auth.test"]


def test_a_huge_customer_message_reaches_the_thread_cut_to_fit_one_slack_message(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    escalations.acknowledge(open_state_db(slack.settings.state_db), case.ref, "tama", T0)
    escalations.relay_from_customer(open_state_db(slack.settings.state_db), "web-abc", "help " * 40_000, "m-huge", T0)
    slack.delivery.run_round(T0 + timedelta(seconds=1))
    relayed = [p for p in slack.standin.called("chat.postMessage") if p["text"].startswith("Customer:")]
    assert len(relayed) == 1 and len(relayed[0]["blocks"]) <= 50 and relayed[0]["text"].endswith("…")
    assert outbox.pending(open_state_db(slack.settings.state_db), kinds=["relay_to_engineer"]) == []


def signed_event(slack, event: dict, event_id: str, retry: int | None = None) -> int:
    """POST an Events API event with a fixed event_id, as a retry (header X-Slack-Retry-Num) when `retry` is given."""
    import urllib.request

    from conftest import SIGNING_SECRET
    from slack_standin import signature

    body = json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0TEAM",
            "api_app_id": "A0HELPDESK",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )
    stamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature(SIGNING_SECRET, stamp, body),
    }
    if retry is not None:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    with urllib.request.urlopen(
        urllib.request.Request(slack.url, data=body.encode(), headers=headers), timeout=30
    ) as response:
        return response.status


def dm(ts: str) -> dict:
    return {
        "type": "message",
        "channel_type": "im",
        "channel": "D0STAFF",
        "user": STAFF,
        "text": "rollback plan?",
        "ts": ts,
    }


def test_a_retried_event_is_processed_once(slack):
    # No Rasa runs here, so each DM processed gets the "not answering" reply in its thread.
    assert signed_event(slack, dm("1700000100.000001"), "Ev0FIRST") == 200
    slack.standin.wait_for("chat.postMessage")
    assert signed_event(slack, dm("1700000100.000001"), "Ev0FIRST", retry=1) == 200
    # Another event's answer marks the point by which a second answer to the retry would have been queued.
    assert signed_event(slack, dm("1700000200.000002"), "Ev0SECOND") == 200
    answers = slack.standin.wait_for("chat.postMessage", 2)
    assert sorted(a["thread_ts"] for a in answers) == ["1700000100.000001", "1700000200.000002"]


def test_a_reply_in_a_pages_thread_sent_again_at_once_is_handled_once(slack):
    # A reply in a page's thread is handled before Slack gets its ack, so each copy handled has left its mark
    # by the time its answer comes: here a "not sent" note, as nobody acknowledged the case yet.
    case = new_case(slack)
    slack.delivery.run_round(T0)
    page_ts = escalations.get(open_state_db(slack.settings.state_db), case.ref).slack_ts
    reply = {
        "type": "message",
        "channel": ONCALL_CHANNEL,
        "user": STAFF,
        "text": "on it",
        "ts": "1700000300.000001",
        "thread_ts": page_ts,
    }
    assert signed_event(slack, reply, "Ev0REPLY") == 200
    assert signed_event(slack, reply, "Ev0REPLY", retry=1) == 200
    assert signed_event(slack, reply, "Ev0REPLY", retry=2) == 200
    [note] = slack.standin.called("chat.postEphemeral")
    assert note["thread_ts"] == page_ts and "Not sent to the customer" in note["text"]


def test_seen_event_ids_are_forgotten_after_a_day(tmp_path):
    from core.db import connect
    from helpdesk_slack.dedupe import TABLE, first_sighting

    state_db = tmp_path / "state.db"
    assert first_sighting(state_db, "Ev1", T0)
    assert not first_sighting(state_db, "Ev1", T0 + timedelta(hours=1))
    assert first_sighting(state_db, "Ev2", T0 + timedelta(days=1, hours=1))  # recording Ev2 drops Ev1
    assert [row["event_id"] for row in connect(state_db)[TABLE].rows] == ["Ev2"]


def test_copies_of_an_event_racing_in_threads_are_let_through_once(tmp_path):
    import threading

    from helpdesk_slack.dedupe import first_sighting

    state_db = tmp_path / "state.db"
    first_sighting(state_db, "Ev0WARMUP", T0)  # the table exists, so the race is over the insert alone
    start = threading.Barrier(8)
    results: list[bool] = []

    def copy() -> None:
        start.wait()
        results.append(first_sighting(state_db, "Ev0RACE", T0))

    threads = [threading.Thread(target=copy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


def raw_post(slack, head: str, body: bytes = b"", hang_up: bool = True) -> int:
    """Send a hand-written POST to the Slack endpoint over a socket; returns the status it gets.
    `head` is the request's header lines; hang_up: stop sending (as a client that closed) after the body."""
    import socket

    host, port = slack.server.server_address[:2]
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n{head}\r\n".encode() + body)
        if hang_up:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def test_a_bad_content_length_gets_a_clear_error_and_the_server_keeps_answering(slack):
    import urllib.request

    from helpdesk_slack.http_server import MAX_BODY

    body = b'{"type": "event_callback"}'
    json_type = "Content-Type: application/json\r\n"
    cases = [
        (json_type, 411),  # no length at all
        (json_type + "Content-Length: lots\r\n", 400),
        (json_type + "Content-Length: -5\r\n", 400),
        (json_type + "Content-Length: 1_0\r\n", 400),
        (json_type + f"Content-Length: {len(body)}\r\nContent-Length: 3\r\n", 400),
        (json_type + f"Content-Length: {len(body) + 100}\r\n", 400),  # the client sends less, then closes
        (json_type + f"Content-Length: {MAX_BODY + 1}\r\n", 413),
    ]
    for head, status in cases:
        assert raw_post(slack, head, body) == status, head
        with urllib.request.urlopen(slack.url.replace("/slack/events", "/health"), timeout=30) as health:
            assert health.status == 200
    assert json.loads(slack.command("/phase", "")[1])["blocks"]  # a real request still works
    assert [call.method for call in slack.standin.calls] == ["auth.test"]  # no refused request reached a listener


def test_a_client_that_goes_quiet_mid_body_gets_400_instead_of_holding_a_thread(slack):
    handler = slack.server.RequestHandlerClass
    assert handler.timeout and handler.timeout <= 30  # without a socket timeout the read would wait forever
    handler.timeout = 0.5  # this server's handler only: no need to wait the full 10 s here
    assert raw_post(slack, "Content-Type: application/json\r\nContent-Length: 100\r\n", b"{", hang_up=False) == 400
    assert json.loads(slack.command("/phase", "")[1])["blocks"]


def test_staff_see_the_open_escalations_and_where_each_ones_paging_stands(tmp_path, shipped_index):
    from conftest import SlackHarness, settings_env

    four_minutes_on = (T0 + timedelta(minutes=4)).isoformat()
    slack = SlackHarness(
        settings_env(tmp_path / "var", HELPDESK_FAQ_DB=str(shipped_index), HELPDESK_NOW=four_minutes_on)
    )
    try:
        waiting = new_case(slack)
        taken = new_case(slack, summary="Inbound replies missing", conversation="web-def")
        escalations.acknowledge(open_state_db(slack.settings.state_db), taken.ref, "tama", T0 + timedelta(minutes=1))
        status, body, _ = slack.command("/escalations", "")
    finally:
        slack.close()
    text = json.loads(body)["text"]
    assert status == 200 and waiting.ref in text and taken.ref in text
    assert "step 1 of 3, round 1 of 3; next page in 6 min unless acknowledged" in text
    assert "acknowledged by tama; reminded if still open in 57 min" in text


def test_the_open_escalations_are_for_staff_only(slack):
    new_case(slack)
    status, body, _ = slack.command("/escalations", "", user="UCUSTOMER")
    assert status == 200 and "only support staff" in json.loads(body)["text"]


def test_snooze_holds_the_next_page_for_fifteen_minutes_and_the_page_says_so(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    slack.click("escalation_snooze", case.ref, message=page_message(slack, case.ref))
    updated = slack.standin.wait_for("chat.update")[0]
    assert "snoozed" in texts_of(updated["blocks"])
    db = open_state_db(slack.settings.state_db)
    snoozed = escalations.get(db, case.ref)
    assert snoozed.snoozed_until is not None and snoozed.status == "triggered"
    held_until = snoozed.snoozed_until
    assert chain.advance(db, oncall.current_rota(db), held_until - timedelta(seconds=1)).paged == []
    assert chain.advance(db, oncall.current_rota(db), held_until).paged == [case.ref]
    assert "snoozed" in [e["what"] for e in escalations.history(db, case.ref)]


def pick_user(slack, case, page: dict, picked: str, user: str = STAFF):
    """A pick in the page's Reassign to... picker."""
    message = {**page_message(slack, case.ref), "text": page["text"], "blocks": page["blocks"]}
    return slack.click(f"escalation_reassign:{case.ref}", None, user=user, message=message, selected_user=picked)


def test_reassign_pages_the_chosen_person_now_in_the_pages_thread(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    page = page_of(slack, case.ref)
    status, _, _ = pick_user(slack, case, page, "U0OTHER")
    assert status == 200
    db = open_state_db(slack.settings.state_db)
    assert [e["detail"] for e in escalations.history(db, case.ref) if e["what"] == "reassigned"] == ["U0OTHER"]
    slack.delivery.run_round(slack.settings.clock.now())  # the click was recorded at the app's clock, the real one
    [paged] = [p for p in slack.standin.called("chat.postMessage") if ":arrows_counterclockwise:" in p["text"]]
    assert paged["thread_ts"] and f"{case.ref} was reassigned by ustaff01: paging <@U0OTHER>" in paged["text"]


def test_reassign_is_for_staff_only_and_changes_nothing_else(slack):
    case = new_case(slack)
    slack.delivery.run_round(T0)
    pick_user(slack, case, page_of(slack, case.ref), "U0OTHER", user="UCUSTOMER")
    db = open_state_db(slack.settings.state_db)
    assert "reassigned" not in [e["what"] for e in escalations.history(db, case.ref)]
