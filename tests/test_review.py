"""`helpdesk review`: the questions that went badly, read from Rasa's tracker store.

The real bot's conversations for what it does; conversations written by Rasa's own SQLTrackerStore where
the bot cannot be made to do something (answers given narrowly, old questions) or for the cases of votes.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import settings_env
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import cli
from bot.answers.curated import teach
from bot.answers.evaluation import copy_training_inputs
from bot.answers.faq import choice_payload, entry_of_payload
from bot.answers.review import CHOICE, NARROW, NEGATIVE_FEEDBACK, PICKED_ANOTHER, REFUSED, ReviewItem, review, similar
from bot.chat.chat_input import feedback_payload
from core.clock import Clock
from core.errors import ConfigError
from core.settings import PROJECT_ROOT, Settings
from faq_index.search import searcher_for

DAY = timedelta(days=1)


def run_id() -> str:
    return uuid.uuid4().hex[:8]


def item_of(items: list[ReviewItem], conversation: str) -> ReviewItem:
    found = [item for item in items if conversation in item.conversations]
    assert len(found) == 1, [item.to_json() for item in items]
    return found[0]


def test_the_faq_answer_records_its_kind_entry_score_and_margin_in_the_tracker(bot):
    sender = f"review-record-{run_id()}"
    bot.ask("what is the rollback plan?", sender=sender)
    said = [e for e in bot.tracker(sender)["events"] if e["event"] == "bot"]
    record = said[-1]["metadata"]["faq"]
    assert record["kind"] == "answer" and record["entry"].startswith("what_is_the_rollback_plan")
    assert 0.25 <= record["score"] <= 1 and 0 <= record["margin"] <= record["score"]


def test_refusals_and_another_button_picked_are_listed_and_good_answers_are_not(bot):
    # Which vague question gets choices rather than an answer changes with the training data, so choices are
    # checked on stored conversations (test_a_vote_on_choices_lists_the_question_once and the like).
    run = run_id()
    refused, picked, good = (f"review-{name}-{run}" for name in ("refused", "picked", "good"))
    bot.ask("can you book me a table for two tonight", sender=refused)
    answer = bot.ask("what will happen to my messages?", sender=picked)
    other = entry_of_payload(answer[0]["buttons"][0]["payload"])  # the same question in the other migration
    bot.ask(answer[0]["buttons"][0]["payload"], sender=picked)
    bot.ask("what is the rollback plan?", sender=good)

    items = review(bot.settings, DAY, Clock().now())

    assert REFUSED in item_of(items, refused).reasons
    assert item_of(items, refused).text == "can you book me a table for two tonight"
    item = item_of(items, picked)
    assert item.reasons == (PICKED_ANOTHER,) and item.picked == (other,)
    assert item.text == "what will happen to my messages?"
    assert searcher_for(bot.settings.faq_db).by_id[item.answered].question == "What will happen to messages?"
    assert item.did.startswith(f"answered {item.answered} (score ")
    assert not [i for i in items if good in i.conversations]  # answered well: nothing to learn
    assert not [i for i in items if any(t.startswith("/") for t in i.texts)]  # a button pressed is no question


def test_a_thumbs_down_from_the_chat_lists_the_question_whose_reply_it_rates(bot):
    sender = f"review-vote-{run_id()}"
    bot.ask("what is the rollback plan?", sender=sender)  # answered well: not listed by itself
    bot.ask("hello", sender=sender)
    assert bot.ask('/feedback_negative{"rated": "1"}', sender=sender) == []  # the first message's reply

    item = item_of(review(bot.settings, DAY, Clock().now()), sender)

    assert item.text == "what is the rollback plan?" and NEGATIVE_FEEDBACK in item.reasons
    [mine] = [turn for turn in item.turns if turn.conversation == sender]  # the group may hold others' too
    assert mine.reasons == (NEGATIVE_FEEDBACK,) and (mine.negative, mine.positive) == (1, 0)
    assert item.to_json()["feedback"] == {"negative": item.negative, "positive": item.positive}
    assert item.negative >= 1


def test_near_identical_questions_are_one_group_with_a_count_newest_first(bot):
    run = run_id()
    texts = ["can you sing me a sea shanty", "Can you sing me a sea shanty?", "can u sing me a sea shanty"]
    senders = [f"review-shanty-{n}-{run}" for n in range(len(texts))]
    for text, sender in zip(texts, senders):
        bot.ask(text, sender=sender)

    item = item_of(review(bot.settings, DAY, Clock().now()), senders[0])

    assert item.count == 3 and item.conversations == tuple(reversed(senders))
    assert item.text == texts[-1] and item.conversation == senders[-1] and item.texts == tuple(reversed(texts))
    assert item.reasons == (REFUSED,)


def test_review_prints_a_table_and_json(bot, monkeypatch, capsys):
    sender = f"review-cli-{run_id()}"
    bot.ask("where can I buy concert tickets", sender=sender)
    for name, value in {
        "HELPDESK_VAR_DIR": str(bot.settings.var_dir),
        "RASA_TRACKER_DB": str(bot.settings.tracker_db),
        "HELPDESK_FAQ_DB": str(bot.settings.faq_db),
    }.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["review", "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    mine = [group for group in groups if sender in group["conversations"]]
    assert len(mine) == 1 and mine[0]["text"] == "where can I buy concert tickets" and mine[0]["count"] == 1
    assert REFUSED in mine[0]["reasons"] and mine[0]["conversation"] == sender
    assert datetime.fromisoformat(mine[0]["last_asked"]) <= datetime.now(timezone.utc)
    assert [g["last_asked"] for g in groups] == sorted((g["last_asked"] for g in groups), reverse=True)

    assert cli.main(["review", "--since", "1", "--limit", "1"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["count", "last", "(UTC)", "question", "why", "the", "bot", "picked", "conversation"]
    assert len(table) == 4 and "where can I buy concert tickets" in table[2] and table[2].endswith(sender)


# Conversations written by Rasa's own tracker store --------------------------------------------------------------

NOW = datetime.now(timezone.utc)  # review reads Rasa's timestamps: the real time


def rasa_store(path: Path) -> SQLTrackerStore:
    return SQLTrackerStore(domain=Domain.empty(), dialect="sqlite", db=str(path))


def faq_turn(text: str, at: datetime, record: dict, answer: str = "An answer.") -> list:
    """A question and action_answer_faq's reply, as the Rasa server stores them."""
    t = at.timestamp()
    return [
        UserUttered(text, intent={"name": "faq", "confidence": 1.0}, timestamp=t),
        ActionExecuted("action_answer_faq", timestamp=t + 0.1),
        BotUttered(answer, metadata={"faq": record}, timestamp=t + 0.2),
        ActionExecuted("action_listen", timestamp=t + 0.3),
    ]


def save(store: SQLTrackerStore, sender: str, events: list) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, [ActionExecuted("action_listen"), *events])))


@pytest.fixture
def stored(tmp_path: Path, shipped_index: Path) -> tuple[Settings, SQLTrackerStore]:
    settings = Settings.from_env(
        settings_env(tmp_path / "var", RASA_TRACKER_DB=str(tmp_path / "tracker.db"), HELPDESK_FAQ_DB=str(shipped_index))
    )
    return settings, rasa_store(settings.tracker_db)


def test_a_choice_of_buttons_lists_the_question_with_what_was_offered(stored):
    settings, store = stored
    rollback, risks = "what_is_the_rollback_plan_6ba0", "what_are_the_risks_3c3d"
    asked = NOW - timedelta(hours=1)
    t = asked.timestamp()
    buttons = [
        {"title": "Rollback", "payload": choice_payload(rollback)},
        {"title": "Risks", "payload": choice_payload(risks)},
    ]
    save(
        store,
        "choices",
        [
            UserUttered("what if it goes bad", intent={"name": "faq", "confidence": 1.0}, timestamp=t),
            ActionExecuted("action_answer_faq", timestamp=t + 0.1),
            BotUttered(
                "I'm not sure which of these you mean.",
                data={"buttons": buttons},
                metadata={"faq": {"kind": "choices", "score": 0.22}},
                timestamp=t + 0.2,
            ),
            ActionExecuted("action_listen", timestamp=t + 0.3),
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.text == "what if it goes bad" and item.reasons == (CHOICE,)
    assert item.did.startswith("choices: ") and set(item.offered) == {rollback, risks}


def test_negative_feedback_after_an_answer_lists_the_question(stored):
    settings, store = stored
    answered = {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.9, "margin": 0.8}
    save(
        store,
        "thumbs-down",
        [
            *faq_turn("how do we undo it", NOW - timedelta(hours=1), answered),
            UserUttered(
                "/feedback_negative",
                intent={"name": "feedback_negative"},
                timestamp=(NOW - timedelta(minutes=59)).timestamp(),
            ),
        ],
    )
    save(store, "content", faq_turn("how do we undo it all", NOW - timedelta(hours=2), answered))

    [item] = review(settings, DAY, NOW)

    assert item.reasons == (NEGATIVE_FEEDBACK,) and item.conversation == "thumbs-down" and item.count == 1


def vote(intent: str, at: datetime, rated: int | None = None) -> UserUttered:
    """A vote as the web chat sends it and Rasa stores it: the intent, and the entity naming the message."""
    entities = [{"entity": "rated", "value": str(rated), "start": 0, "end": 0}] if rated is not None else []
    return UserUttered(
        feedback_payload(intent, rated),
        intent={"name": intent, "confidence": 1.0},
        entities=entities,
        timestamp=at.timestamp(),
    )


GOOD = {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.9, "margin": 0.8}


def test_a_vote_rates_the_reply_to_the_message_it_names_even_with_questions_between(stored):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    save(
        store,
        "named",
        [
            *faq_turn("how do we undo it", asked, GOOD),
            *faq_turn("is there a rollback plan", asked + timedelta(minutes=1), GOOD),
            vote("feedback_negative", asked + timedelta(minutes=2), rated=1),
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.text == "how do we undo it" and item.reasons == (NEGATIVE_FEEDBACK,)
    assert (item.negative, item.positive) == (1, 0)


@pytest.mark.parametrize("rated", [None, 3, 99])  # none named, or one this conversation does not have (yet)
def test_a_vote_naming_no_message_it_can_find_rates_the_latest_question_before_it(stored, rated):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    save(
        store,
        "unnamed",
        [
            *faq_turn("how do we undo it", asked, GOOD),
            *faq_turn("is there a rollback plan", asked + timedelta(minutes=1), GOOD),
            vote("feedback_negative", asked + timedelta(minutes=2), rated=rated),
            *faq_turn("thanks, and what about omni", asked + timedelta(minutes=3), GOOD),
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.text == "is there a rollback plan" and item.reasons == (NEGATIVE_FEEDBACK,)


def test_messages_are_counted_as_the_widget_counts_them_without_votes_and_external_events(stored):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    paging_failed = UserUttered(
        '/EXTERNAL_paging_failed{"ref": "ESC-0001"}',
        intent={"name": "EXTERNAL_paging_failed"},
        timestamp=(asked + timedelta(seconds=30)).timestamp(),
    )
    save(
        store,
        "counted",
        [
            *faq_turn("how do we undo it", asked, GOOD),
            vote("feedback_positive", asked + timedelta(seconds=20), rated=1),
            paging_failed,
            *faq_turn("is there a rollback plan", asked + timedelta(minutes=1), GOOD),
            vote("feedback_negative", asked + timedelta(minutes=2), rated=2),
        ],
    )

    [item] = review(settings, DAY, NOW)  # the first question's thumbs up lists nothing

    assert item.text == "is there a rollback plan" and (item.negative, item.positive) == (1, 0)


def test_a_thumbs_up_is_counted_with_a_listed_question_and_lists_nothing_by_itself(stored):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    narrow = {**GOOD, "score": 0.27}
    save(store, "liked", [*faq_turn("how do we undo it", asked, GOOD), vote("feedback_positive", asked, rated=1)])
    save(
        store, "narrow-but-liked", [*faq_turn("outage plans", asked, narrow), vote("feedback_positive", asked, rated=1)]
    )

    [item] = review(settings, DAY, NOW)

    assert item.conversation == "narrow-but-liked" and item.reasons == (NARROW,)
    assert item.to_json()["feedback"] == {"negative": 0, "positive": 1}


def test_a_vote_on_the_answer_to_a_button_rates_the_question_that_led_to_the_buttons(stored):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    entry = "what_is_the_rollback_plan_6ba0"
    pressed = UserUttered(
        choice_payload(entry),
        intent={"name": "faq_choice", "confidence": 1.0},
        timestamp=(asked + timedelta(minutes=1)).timestamp(),
    )
    save(
        store,
        "via-button",
        [
            *faq_turn("undo", asked, {"kind": "choices", "score": 0.22}),
            pressed,
            ActionExecuted("action_answer_faq"),
            BotUttered("An answer.", metadata={"faq": {"kind": "answer", "entry": entry}}),
            vote("feedback_negative", asked + timedelta(minutes=2), rated=2),
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.text == "undo" and item.reasons == (CHOICE, NEGATIVE_FEEDBACK)


def test_a_vote_between_an_answer_and_another_button_does_not_hide_the_button(stored):
    settings, store = stored
    asked = NOW - timedelta(hours=1)
    pressed = UserUttered(
        choice_payload("another_entry_1234"),
        intent={"name": "faq_choice", "confidence": 1.0},
        timestamp=(asked + timedelta(minutes=2)).timestamp(),
    )
    save(
        store,
        "voted-then-pressed",
        [
            *faq_turn("how do we undo it", asked, GOOD),
            vote("feedback_negative", asked + timedelta(minutes=1), rated=1),
            pressed,
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.reasons == (PICKED_ANOTHER, NEGATIVE_FEEDBACK) and item.picked == ("another_entry_1234",)


def test_an_answer_given_narrowly_is_listed_with_its_figures(stored):
    settings, store = stored
    save(
        store,
        "close-call",
        faq_turn(
            "the outage after this one, when is it roughly",
            NOW - timedelta(hours=1),
            {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.61, "margin": 0.02},
        ),
    )
    save(
        store,
        "low-score",
        faq_turn(
            "outage plans",
            NOW - timedelta(hours=2),
            {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.27, "margin": 0.2},
        ),
    )

    items = review(settings, DAY, NOW)

    assert [(i.conversation, i.reasons) for i in items] == [("close-call", (NARROW,)), ("low-score", (NARROW,))]
    assert items[0].did == "answered what_is_the_rollback_plan_6ba0 (score 0.61, margin 0.02)"


def test_only_questions_asked_within_the_days_asked_for_are_listed(stored):
    settings, store = stored
    unknown = {"kind": "unknown"}
    save(
        store,
        "old-and-new",
        [
            *faq_turn("what about smpp binds", NOW - timedelta(days=10), unknown),
            *faq_turn("what about smpp binds?", NOW - timedelta(days=2), unknown),
        ],
    )

    [item] = review(settings, timedelta(days=7), NOW)
    assert item.count == 1 and item.text == "what about smpp binds?" and item.did == "don't know"
    assert review(settings, timedelta(days=1), NOW) == []
    assert review(settings, timedelta(days=30), NOW)[0].count == 2


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("tell me a joke", "Tell me a joke!", True),
        ("can you sing me a sea shanty", "can u sing me a sea shanty", True),
        ("what is the rollback plan", "what is the rollback plan for the migration", True),
        ("when is phase 2", "when is phase 3", False),  # another phase is another question
        ("phase", "when is phase 2", False),  # token_set_ratio scores any subset 100: too short to be the same question
        ("what is the rollback plan", "how do I reset my Gmail password", False),
    ],
)
def test_similar_texts(a: str, b: str, same: bool):
    assert similar(a, b) is same and similar(b, a) is same


def test_a_missing_tracker_store_names_the_setting(tmp_path: Path, shipped_index: Path):
    settings = Settings.from_env(
        settings_env(tmp_path / "var", RASA_TRACKER_DB=str(tmp_path / "nowhere.db"), HELPDESK_FAQ_DB=str(shipped_index))
    )
    with pytest.raises(ConfigError, match="no tracker store at .*nowhere.db; set RASA_TRACKER_DB"):
        review(settings, DAY, NOW)
    assert not (tmp_path / "nowhere.db").exists()


def test_a_question_taught_since_is_no_longer_listed(stored, tmp_path: Path):
    settings, store = stored
    project = copy_training_inputs(PROJECT_ROOT, tmp_path / "project")
    settings = replace(settings, root=project)
    save(store, "taught", faq_turn("how do we undo the move", NOW - timedelta(hours=1), {"kind": "unknown"}))
    assert [item.text for item in review(settings, DAY, NOW)] == ["how do we undo the move"]

    teach(settings, "How do we undo the move?", "what_is_the_rollback_plan_6ba0", "alice", NOW)

    assert review(settings, DAY, NOW) == []


def test_a_question_in_the_training_data_is_still_listed_when_its_reply_did_not_help(stored):
    settings, store = stored
    answered = {"kind": "answer", "entry": "what_is_the_rollback_plan_6ba0", "score": 0.9, "margin": 0.8}
    asked = NOW - timedelta(hours=1)
    save(
        store,
        "known-but-unhelpful",
        [
            *faq_turn("What is the rollback plan?", asked, answered),
            vote("feedback_negative", asked + timedelta(minutes=1)),
        ],
    )

    [item] = review(settings, DAY, NOW)

    assert item.text == "What is the rollback plan?" and item.reasons == (NEGATIVE_FEEDBACK,)
