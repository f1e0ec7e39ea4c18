"""The learning loop in Slack: /review and the Home tab list the questions that went badly, and staff teach one
with its Teach menu. Signed requests as Slack builds them, the Web API stand-in, real SQLite files: the state
database, and a tracker store written by Rasa's own SQLTrackerStore (helpers of tests/test_review.py). Each
test teaches into a copy of the project's training data whose curated.yml starts empty; the real
data/nlu/curated.yml is never touched.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import yaml
from conftest import STAFF, SlackHarness, settings_env
from test_review import faq_turn, rasa_store, save
from test_slack_app import OUTSIDER, texts_of

from bot.answers.curated import CURATED_NLU, EMPTY, TARGETS
from bot.answers.evaluation import copy_training_inputs
from core.settings import PROJECT_ROOT
from helpdesk_slack.blocks import TEACH_ACTION

REFUSED_TEXT = "can you book me a table for two tonight"
HOSTILE = "<!channel> *bold* <https://evil.example|click> & more"
DONT_KNOW = {"kind": "unknown"}
GOOD = {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.9, "margin": 0.8}


@pytest.fixture
def slack(tmp_path: Path, shipped_index: Path) -> Iterator[SlackHarness]:
    """conftest's `slack`, but on a copy of the project's training data with an empty curated.yml, and with a
    tracker store of its own (no Rasa runs)."""
    root = copy_training_inputs(PROJECT_ROOT, tmp_path / "project")
    (root / CURATED_NLU).write_text(EMPTY, encoding="utf-8")
    harness = SlackHarness(
        settings_env(
            tmp_path / "var",
            HELPDESK_HOME=str(root),
            HELPDESK_FAQ_DB=str(shipped_index),
            RASA_TRACKER_DB=str(tmp_path / "tracker.db"),
            HELPDESK_MODEL_DIR=str(tmp_path / "models"),
        )
    )
    yield harness
    harness.close()


def asked(slack: SlackHarness, conversations: dict[str, list[tuple[str, timedelta, dict]]]) -> None:
    """Conversations in the tracker store: each a list of (question, how long ago, the FAQ action's record)."""
    store = rasa_store(slack.settings.tracker_db)
    now = datetime.now(timezone.utc)  # review reads Rasa's timestamps: the real time
    for sender, turns in conversations.items():
        save(store, sender, [event for text, ago, record in turns for event in faq_turn(text, now - ago, record)])


def curated(slack: SlackHarness) -> str:
    return (slack.settings.root / CURATED_NLU).read_text(encoding="utf-8")


def taught(slack: SlackHarness) -> list[tuple[str, str, dict]]:
    """(text, intent, metadata) of every example in the copy's curated.yml."""
    blocks = yaml.safe_load(curated(slack))["nlu"] or []
    return [(e["text"], block["intent"], e.get("metadata")) for block in blocks for e in block["examples"]]


def review_list(slack: SlackHarness, text: str = "", user: str = STAFF) -> dict:
    """/review's list, as it reaches the response_url (the command itself is only acknowledged)."""
    before = len(slack.standin.called("/respond"))
    status, body, _ = slack.command("/review", text, user=user)
    assert status == 200 and body == ""
    return slack.standin.wait_for("/respond", before + 1)[before]


def menus(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"] if e.get("action_id") == TEACH_ACTION]


def options(menu: dict) -> dict[str, list[dict]]:
    """A Teach menu's options by group label."""
    return {group["label"]["text"]: group["options"] for group in menu["option_groups"]}


def option(menu: dict, label: str) -> str:
    """The value of the option whose text or description is `label`."""
    return next(
        o["value"]
        for group in menu["option_groups"]
        for o in group["options"]
        if label in (o["text"]["text"], o["description"]["text"])
    )


def choose(
    slack: SlackHarness, value: str, user: str = STAFF, view: dict | None = None, block_id: str = "review_1_teach"
) -> tuple[int, str, float]:
    """A Teach menu's choice, from the /review message (ephemeral: answered by response_url) or the Home tab."""
    payload = {
        "type": "block_actions",
        "team": {"id": "T0TEAM"},
        "api_app_id": "A0HELPDESK",
        "trigger_id": "1.2.3",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0TEAM"},
        "actions": [
            {
                "type": "static_select",
                "action_id": TEACH_ACTION,
                "block_id": block_id,
                "selected_option": {"text": {"type": "plain_text", "text": "?"}, "value": value},
                "action_ts": "1700000000.1",
            }
        ],
    }
    if view is None:
        payload |= {
            "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0GENERAL", "is_ephemeral": True},
            "channel": {"id": "C0GENERAL"},
            "response_url": f"{slack.standin.url}/respond",
        }
    else:
        payload |= {
            "container": {"type": "view", "view_id": "V0HOME"},
            "view": {**view, "id": "V0HOME", "hash": "1700000000.abc", "state": {"values": {}}},
        }
    return slack.interact(payload)


def last_reply(slack: SlackHarness) -> str:
    return slack.standin.called("/respond")[-1]["text"]


def test_review_lists_a_refused_question_with_count_reasons_and_a_teach_menu(slack):
    asked(
        slack,
        {
            "shanty-1": [("Can you sing me a sea shanty?", timedelta(hours=3), DONT_KNOW)],
            "shanty-2": [("can you sing me a sea shanty", timedelta(hours=1), DONT_KNOW)],
            "table": [(REFUSED_TEXT, timedelta(hours=2), DONT_KNOW)],
            "content": [("what is the rollback plan?", timedelta(minutes=30), GOOD)],
        },
    )

    reply = review_list(slack)

    assert reply["response_type"] == "ephemeral"
    shown = texts_of(reply["blocks"])
    assert "Questions to review: 2 groups" in shown and "last 7 days" in shown
    assert "1. can you sing me a sea shanty" in shown and f"2. {REFUSED_TEXT}" in shown
    assert "Asked twice" in shown and "Why: refused. The bot: don't know." in shown
    assert "Also asked as: Can you sing me a sea shanty?" in shown
    assert "rollback" not in shown  # answered well: nothing to teach
    first, second = menus(reply["blocks"])
    groups = options(second)
    assert list(groups) == ["Other replies"]  # no FAQ entry shares a word with it
    assert [o["description"]["text"].split(":")[0] for o in groups["Other replies"]] == list(TARGETS)
    values = [o["value"] for menu in (first, second) for group in menu["option_groups"] for o in group["options"]]
    assert len(set(values)) == len(values) and all(len(v) <= 150 for v in values)


def test_teaching_from_review_appends_the_example_with_who_and_when(slack):
    asked(
        slack,
        {
            "table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)],
            "rollback": [("can we roll back the migration if it breaks", timedelta(hours=2), DONT_KNOW)],
        },
    )
    reply = review_list(slack)
    table_menu, undo_menu = menus(reply["blocks"])

    assert choose(slack, option(table_menu, "out_of_scope"))[0] == 200
    faq_choices = options(undo_menu)["FAQ entries (best matches)"]
    assert 1 <= len(faq_choices) <= 3 and list(options(undo_menu)) == ["FAQ entries (best matches)", "Other replies"]
    rollback = next(o for o in faq_choices if "rollback" in o["text"]["text"].lower())
    assert choose(slack, rollback["value"], block_id="review_2_teach")[0] == 200

    [(text, intent, meta), (undo, faq_intent, _)] = taught(slack)
    assert (text, intent) == (REFUSED_TEXT, "out_of_scope")
    assert meta["taught_by"] == "ustaff01 (USTAFF01)"
    at = datetime.fromisoformat(meta["taught_at"].replace("Z", "+00:00"))
    assert abs(at - datetime.now(timezone.utc)) < timedelta(minutes=1)
    assert undo == "can we roll back the migration if it breaks"
    assert faq_intent.startswith("faq/what_is_the_rollback_plan")
    said = last_reply(slack)
    assert said.startswith(
        "Taught \u201ccan we roll back the migration if it breaks\u201d as faq/what_is_the_rollback_plan"
    )
    assert "by ustaff01 (USTAFF01) at " in said and "data/nlu/curated.yml" in said
    assert slack.standin.called("/respond")[-1]["replace_original"] is False


def test_a_long_question_is_shown_cut_but_taught_whole(slack):
    long_text = "we run a pharmacy reminder service " + " ".join(f"and clinic number {n}" for n in range(60)) + " ok?"
    assert 600 < len(long_text) < 2000
    asked(slack, {"long": [(long_text, timedelta(hours=1), DONT_KNOW)]})
    reply = review_list(slack)
    assert long_text not in texts_of(reply["blocks"]) and "the whole question" in texts_of(reply["blocks"])

    choose(slack, option(menus(reply["blocks"])[0], "status: ask_status_now"))

    assert taught(slack)[0][:2] == (long_text, "ask_status_now")


def test_anyone_but_staff_is_refused_and_nothing_is_written(slack):
    asked(slack, {"table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)]})
    status, body, _ = slack.command("/review", "", user=OUTSIDER)
    assert status == 200 and "only support staff" in json.loads(body)["text"]
    menu = menus(review_list(slack)["blocks"])[0]  # a staff member's list
    before = curated(slack)

    assert choose(slack, option(menu, "out_of_scope"), user=OUTSIDER)[0] == 200

    assert "only support staff" in last_reply(slack)
    assert curated(slack) == before and taught(slack) == []


def test_a_duplicate_teach_says_so_and_records_nothing(slack):
    # A question already in the training data is not listed (bot/answers/review.py), so a duplicate comes from a menu
    # pressed again after its question was taught.
    asked(slack, {"table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)]})
    [table_menu] = menus(review_list(slack)["blocks"])
    choose(slack, option(table_menu, "out_of_scope"))
    after_first = curated(slack)

    choose(slack, option(table_menu, "out_of_scope"))
    said = last_reply(slack)
    assert (
        said.startswith(
            f"Nothing recorded: '{REFUSED_TEXT}' is already an example of out_of_scope in data/nlu/curated.yml"
        )
        and "taught by ustaff01 (USTAFF01)" in said
    )
    choose(slack, option(table_menu, "status: ask_status_now"))
    assert "an example teaches one intent only, so it cannot also teach ask_status_now" in last_reply(slack)
    assert curated(slack) == after_first and len(taught(slack)) == 1
    assert not menus(review_list(slack).get("blocks", []))  # taught: no longer listed


def test_choices_made_at_once_are_all_kept(slack):
    import threading

    texts = [f"can you sing me sea shanty number {n}" for n in range(4)]
    asked(slack, {f"shanty-{n}": [(text, timedelta(hours=n + 1), DONT_KNOW)] for n, text in enumerate(texts)})
    values = [option(menu, "out_of_scope") for menu in menus(review_list(slack)["blocks"])]
    assert len(values) == 4
    start = threading.Barrier(len(values))

    def choice(value: str) -> None:
        start.wait()
        choose(slack, value)

    threads = [threading.Thread(target=choice, args=(value,)) for value in values]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(text for text, _, _ in taught(slack)) == sorted(texts)


def test_a_choice_no_longer_on_hand_records_nothing(slack):
    choose(slack, "0123456789abcdef01234567")
    assert "Nothing recorded: that choice is no longer on hand" in last_reply(slack)
    assert taught(slack) == []


def test_hostile_text_is_shown_as_text_and_taught_as_typed(slack):
    asked(slack, {"hostile": [(HOSTILE, timedelta(hours=1), DONT_KNOW)]})
    reply = review_list(slack)
    question = next(b for b in reply["blocks"] if b["type"] == "section" and HOSTILE in b["text"]["text"])
    assert question["text"]["type"] == "plain_text"
    contexts = [part for b in reply["blocks"] if b["type"] == "context" for part in b["elements"]]
    assert contexts and all(part["type"] == "plain_text" for part in contexts)

    choose(slack, option(menus(reply["blocks"])[0], "out_of_scope"))

    answer = slack.standin.called("/respond")[-1]
    assert "<!channel>" not in answer["text"]
    assert "&lt;!channel&gt; *bold* &lt;https://evil.example|click&gt; &amp; more" in answer["text"]
    assert answer["blocks"][0]["text"]["type"] == "plain_text" and HOSTILE in answer["blocks"][0]["text"]["text"]
    assert taught(slack)[0][:2] == (HOSTILE, "out_of_scope")


def test_review_days_are_checked_and_widen_the_window(slack):
    asked(slack, {"old": [("what about smpp binds", timedelta(days=10), DONT_KNOW)]})
    assert "No customer's question went badly in the last 7 days." == review_list(slack)["text"]
    assert "what about smpp binds" in texts_of(review_list(slack, "30")["blocks"])
    for wrong in ("abc", "0", "366", "7 days", "-3"):
        status, body, _ = slack.command("/review", wrong)
        assert status == 200 and json.loads(body)["text"].startswith("Usage: /review")


def test_without_a_tracker_store_review_says_where_it_looked(slack):
    reply = review_list(slack)
    assert reply["text"].startswith("Cannot list the questions to review: there is no tracker store at ")
    assert "RASA_TRACKER_DB" in reply["text"]


def open_home(slack: SlackHarness, user: str) -> dict:
    before = len(slack.standin.called("views.publish"))
    slack.event({"type": "app_home_opened", "user": user, "channel": "D0" + user, "tab": "home", "event_ts": "1.1"})
    return slack.standin.wait_for("views.publish", before + 1)[before]


def test_staff_see_the_questions_to_review_on_the_home_tab_and_teach_there(slack):
    asked(
        slack,
        {
            "table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)],
            "hostile": [(HOSTILE, timedelta(hours=2), DONT_KNOW)],
        },
    )
    published = open_home(slack, STAFF)
    view = published["view"]
    shown = texts_of(view["blocks"])
    assert published["user_id"] == STAFF and "Migration status" in shown and "Questions to review" in shown
    assert "2 groups of customers' questions went badly in the last 7 days" in shown
    assert f"1. {REFUSED_TEXT}" in shown and f"2. {HOSTILE}" in shown and len(menus(view["blocks"])) == 2

    assert "Questions to review" not in texts_of(open_home(slack, OUTSIDER)["view"]["blocks"])

    choose(slack, option(menus(view["blocks"])[0], "out_of_scope"), view=view)
    republished = slack.standin.called("views.publish")[-1]
    assert republished["user_id"] == STAFF and republished["hash"] == "1700000000.abc"
    after = texts_of(republished["view"]["blocks"])
    assert f"Taught \u201c{REFUSED_TEXT}\u201d as out_of_scope" in after and "Migration status" in after
    assert len(menus(republished["view"]["blocks"])) == 1  # the taught one's menu is gone, the other stays
    assert taught(slack)[0][:2] == (REFUSED_TEXT, "out_of_scope")

    # The same menu again, from a Home tab shown before (another device): a note beside it, nothing written.
    choose(slack, option(menus(view["blocks"])[0], "out_of_scope"), view=view)
    again = slack.standin.called("views.publish")[-1]["view"]["blocks"]
    note = next(n for n, b in enumerate(again) if b.get("block_id") == "review_1_teach_note")
    assert "Nothing recorded" in texts_of([again[note]]) and again[note - 1]["block_id"] == "review_1_teach"
    assert len(taught(slack)) == 1


def test_a_home_tab_changed_meanwhile_is_published_afresh_with_the_outcome(slack, monkeypatch):
    asked(slack, {"table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)]})
    view = open_home(slack, STAFF)["view"]
    answer = slack.standin._answer

    def stale_hash(method: str, args: dict):  # Slack refuses a publish whose hash is not the view's latest
        if method == "views.publish" and args.get("hash"):
            return 200, {"ok": False, "error": "hash_conflict"}
        return answer(method, args)

    monkeypatch.setattr(slack.standin, "_answer", stale_hash)
    choose(slack, option(menus(view["blocks"])[0], "out_of_scope"), view=view)

    fresh = slack.standin.called("views.publish")[-1]
    assert "hash" not in fresh and f"Taught \u201c{REFUSED_TEXT}\u201d" in texts_of(fresh["view"]["blocks"])
    assert taught(slack)[0][:2] == (REFUSED_TEXT, "out_of_scope")


def test_the_home_tab_republished_after_a_phase_change_keeps_the_review_for_staff_only(slack):
    asked(slack, {"table": [(REFUSED_TEXT, timedelta(hours=1), DONT_KNOW)]})
    open_home(slack, STAFF)
    open_home(slack, OUTSIDER)
    slack.delivery.refresh_home()
    published = len(slack.standin.called("views.publish"))

    assert json.loads(slack.command("/phase", "set 2 extended until 2020-09-08T14:30Z DNS is slow")[1])[
        "text"
    ].startswith("Recorded")
    assert slack.delivery.refresh_home()

    views = {
        call["user_id"]: texts_of(call["view"]["blocks"]) for call in slack.standin.called("views.publish")[published:]
    }
    assert set(views) == {STAFF, OUTSIDER} and all("Note: DNS is slow" in shown for shown in views.values())
    assert REFUSED_TEXT in views[STAFF] and "Questions to review" not in views[OUTSIDER]
