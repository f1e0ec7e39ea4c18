"""The answer policy (bot.answers.faq) on the shipped FAQ, without any server."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.answers.faq import ANSWER_AT, answer_entry, answer_question, fuse, names_a_window
from faq_index.search import FaqSearcher

AWS = "000_5b56ee65ad449da6.txt"
RTR = "002_5a40e2295bdeca5d.txt"


@pytest.fixture(scope="module")
def searcher(shipped_index: Path) -> FaqSearcher:
    return FaqSearcher(shipped_index)


def entry_id(searcher: FaqSearcher, file: str, question: str) -> str:
    return next(e.id for e in searcher.by_id.values() if e.file == file and e.question == question)


def test_the_classifier_and_the_search_agreeing_give_a_direct_answer(searcher: FaqSearcher):
    chosen = entry_id(searcher, AWS, "What is the rollback plan?")
    reply = answer_question(searcher, "rollback?", {chosen: 0.9})
    assert reply.kind == "answer" and reply.entry.id == chosen
    assert reply.text.endswith("(Source: Prepare AWS Migration - More information)")


def test_a_confident_choice_for_words_the_faq_never_uses_is_not_trusted(searcher: FaqSearcher):
    chosen = entry_id(searcher, AWS, "What is the rollback plan?")
    reply = answer_question(searcher, "zxqv plorb wuggle", {chosen: 0.99})
    assert reply.kind == "unknown"
    assert reply.text == ""  # its wording is domain.yml's utter_faq_unknown


def test_an_unsure_classifier_falls_back_to_the_search(searcher: FaqSearcher):
    reply = answer_question(searcher, "can I still log in to the dashbord")
    assert reply.kind == "answer" and reply.entry.question == "Can I still log into the dashboard?"


def test_a_question_asked_in_both_migrations_is_answered_for_the_latest_and_offers_the_other(searcher: FaqSearcher):
    reply = answer_question(searcher, "what will happen to my messages?")
    assert reply.entry.file == AWS and reply.entry.question == "What will happen to messages?"
    assert [(hit.file, hit.question) for hit in reply.alternatives][0] == (
        RTR,
        "What will happen to messages during this downtime period?",
    )
    assert reply.buttons()[0][0] == "Run The Red to Omni migration FAQ (2019): " + reply.alternatives[0].question
    assert "Run The Red" not in reply.text  # never mixed


def test_naming_the_older_migration_answers_from_it_alone(searcher: FaqSearcher):
    reply = answer_question(searcher, "what happens to messages during the RedX migration?")
    assert reply.entry.file == RTR and all(hit.file == RTR for hit in reply.alternatives)


def test_a_close_runner_up_is_offered_beside_the_answer_and_a_clear_winner_stands_alone(searcher: FaqSearcher):
    from bot.answers.faq import MAX_BUTTONS

    clear = answer_question(searcher, "rollback plan?")
    assert clear.entry.question == "What is the rollback plan?" and clear.alternatives == ()

    first, second = entry_id(searcher, RTR, "What are the risks?"), entry_id(searcher, RTR, "Can I opt out of this?")
    selector = {first: 1.0, second: 1.0}  # two entries the classifier cannot tell apart
    reply = answer_question(searcher, "what are the risks if I opt out", selector)
    assert {reply.entry.id, *(hit.id for hit in reply.alternatives)} >= {first, second}
    assert len(reply.buttons()) <= MAX_BUTTONS
    assert all(not title.startswith("Run The Red") for title, _ in reply.buttons())  # same document: no name


def test_a_vague_message_gets_choices_rather_than_a_guess(searcher: FaqSearcher):
    reply = answer_question(searcher, "help")
    assert reply.kind == "choices" and reply.entry is None
    assert 1 <= len(reply.buttons()) <= 3
    assert reply.text == ""  # its wording is domain.yml's utter_faq_choices


def test_a_classifier_choice_the_index_no_longer_has_is_ignored(searcher: FaqSearcher):
    reply = answer_question(searcher, "what is the rollback plan", {"entry_removed_since_training": 1.0})
    assert reply.kind == "answer" and reply.entry.question == "What is the rollback plan?"


def test_a_button_answers_its_entry_and_an_unknown_id_is_handled(searcher: FaqSearcher):
    chosen = entry_id(searcher, RTR, "What are the risks?")
    assert answer_entry(searcher, chosen).entry.question == "What are the risks?"
    assert answer_entry(searcher, "no_such_entry").kind == "unknown"


def test_a_long_message_is_answered_by_the_question_it_asks(searcher: FaqSearcher):
    from bot.answers.faq import asked_part

    context = "Hello, I manage messaging for a large retailer and we send a lot of texts. " * 20
    assert asked_part(context + "What is the rollback plan?") == "What is the rollback plan?"
    assert asked_part("what is the rollback plan") == "what is the rollback plan"
    ranked_on_the_question = {entry_id(searcher, AWS, "What is the rollback plan?"): 0.9}
    reply = answer_question(searcher, context + "What is the rollback plan?", ranked_on_the_question)
    assert reply.kind == "answer" and reply.entry.question == "What is the rollback plan?"


def test_a_choice_button_names_its_entry_and_other_payloads_name_none():
    from bot.answers.faq import choice_payload, entry_of_payload

    assert entry_of_payload(choice_payload("what_are_the_risks_3c3d")) == "what_are_the_risks_3c3d"
    for other in ("/affirm", "/faq_choice{not json", '/faq_choice{"other": 1}', "/faq_choice[]", ""):
        assert entry_of_payload(other) is None, other


def test_an_entry_nobody_has_taught_is_judged_by_the_search_within_the_classifiers_faq_share():
    estimates = {"lexical": {"new": 0.8, "old": 0.3}, "semantic": {"new": 0.6, "old": 0.4}, "classifier": {"old": 0.6}}
    assert fuse(estimates)[0][0] == "old"  # the classifier has never seen customers' words for "new"
    ranked = dict(fuse(estimates, untaught=frozenset({"new"})))
    search = (0.3 * 0.8 + 0.2 * 0.6) / 0.5
    assert ranked["new"] == pytest.approx(0.3 * 0.8 + 0.2 * 0.6 + 0.5 * 0.6 * search)
    assert ranked["old"] == pytest.approx(0.3 * 0.3 + 0.2 * 0.4 + 0.5 * 0.6)
    assert ranked["new"] > ranked["old"]


def test_an_untaught_entry_gains_nothing_when_the_classifier_says_the_message_is_no_faq_question():
    estimates = {"lexical": {"new": 0.5}, "semantic": {"new": 0.4}, "classifier": {"old": 0.02}}
    assert dict(fuse(estimates, untaught=frozenset({"new"})))["new"] < ANSWER_AT


@pytest.mark.parametrize(
    "text", ["will email2sms still work during the last phase", "will the dashboard be available during phase 3?"]
)
def test_a_product_in_the_plan_is_answered_from_the_schedule_of_each_windows_impact(searcher: FaqSearcher, text):
    reply = answer_question(searcher, text)
    assert reply.kind == "answer" and reply.entry.id in searcher.schedules


@pytest.mark.parametrize(
    "text, question",
    [
        ("what happens to messages during the maintenance windows?", "What will happen to messages?"),
        ("can I still log into the dashboard?", "Can I still log into the dashboard?"),
        ("what happens to messages during the maintenance windows?", "What will happen to messages?"),
    ],
)
def test_a_clear_answer_about_a_product_keeps_its_own_entry(searcher: FaqSearcher, text, question):
    assert answer_question(searcher, text).entry.question == question


def test_a_weak_match_about_a_product_in_the_migration_is_not_made_a_schedule_answer(searcher: FaqSearcher):
    reply = answer_question(searcher, "how do I reset my web2sms password during the migration?")
    assert reply.kind == "choices"  # no window named: the search's doubt stands


@pytest.mark.parametrize(
    "text, named",
    [
        ("will web2sms work on the night of 9 September?", True),
        ("is the api down in the last phase", True),
        ("what about the carrier connection one", True),
        ("will 20 messages be delayed during the migration?", False),
    ],
)
def test_a_window_is_named_by_phase_night_date_or_its_own_name(text, named):
    assert names_a_window(text, ["Carrier Connection Migrations"]) is named
