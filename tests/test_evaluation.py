"""`helpdesk eval`: the question sets' two formats, what the bot did read from real trackers, and a small
hand-written set through the real bot, one question asked at a fixed instant."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rapidfuzz import fuzz, process

from bot.answers.evaluation import (
    CHOICES,
    ENTRY,
    Entries,
    Outcome,
    copy_training_inputs,
    evaluate_questions,
    score,
    set_seed,
    what_the_bot_did,
)
from core.settings import PROJECT_ROOT
from faq_index.evaluate import (
    CONTACT,
    ESCALATION,
    NONE,
    STATUS,
    Labelled,
    QuestionSetError,
    evaluate,
    load_questions,
)
from faq_index.search import searcher_for

AWS, RTR = "000_5b56ee65ad449da6.txt", "002_5a40e2295bdeca5d.txt"
ROLLBACK = f"{AWS} :: What is the rollback plan?"
REMINDER = f"{AWS} :: Will I receive a reminder?"
AWS_MESSAGES = f"{AWS} :: What will happen to messages?"
RTR_MESSAGES = f"{RTR} :: What will happen to messages during this downtime period?"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "questions.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_old_format_is_one_accepted_reply(tmp_path: Path):
    questions = load_questions(
        write(
            tmp_path,
            f"""
questions:
  - {{text: "what is the rollback plan?", expect: "{ROLLBACK}"}}
  - {{text: "who won the rugby", expect: "none"}}
""",
        )
    )
    assert questions == [Labelled("what is the rollback plan?", (ROLLBACK,)), Labelled("who won the rugby", (NONE,))]
    assert questions[0].entries == (ROLLBACK,) and questions[1].entries == ()


def test_the_new_format_accepts_several_replies_at_an_instant(tmp_path: Path):
    questions = load_questions(
        write(
            tmp_path,
            f"""
questions:
  - text: "is anything down right now?"
    accept: ["status", "{ROLLBACK}"]
    at: "2020-09-08T22:30:00+12:00"
    says: ["Phase 2"]
  - text: "our messages are not going out!!"
    accept: ["escalation"]
  - text: "here is our on-call engineer: Ana, 021 555 0100"
    accept: [contact]
""",
        )
    )
    status, urgent, contact = questions
    assert status.accept == (STATUS, ROLLBACK) and status.entries == (ROLLBACK,)
    assert status.at == "2020-09-08T10:30:00Z" and status.says == ("Phase 2",)  # the instant in UTC
    assert status.category == "entry+status"
    assert urgent.accept == (ESCALATION,) and urgent.at is None and urgent.says == ()
    assert contact.accept == (CONTACT,)


@pytest.mark.parametrize(
    "item, complaint",
    [
        ('{text: "a", accept: ["maybe"]}', "neither"),
        ('{text: "a", accept: ["none"], says: ["Phase 2"]}', "`status` is not accepted"),
        ('{text: "a", expect: "none", accept: ["none"]}', "either `expect`"),
        ('{text: "a", accept: []}', "non-empty list"),
        ('{text: "a", accept: ["status"], at: "next tuesday"}', "ISO 8601"),
        ('{accept: ["none"]}', "needs a `text`"),
    ],
)
def test_a_malformed_question_is_named(tmp_path: Path, item: str, complaint: str):
    with pytest.raises(QuestionSetError, match="question 2") as raised:
        load_questions(write(tmp_path, f'questions:\n  - {{text: "fine", accept: ["none"]}}\n  - {item}\n'))
    assert complaint in str(raised.value)


def test_the_shipped_sets_load_and_every_accepted_entry_exists(shipped_index: Path):
    entries = Entries.of_index(shipped_index)
    known = set(entries.labels.values())
    sizes = {}
    for name in ("faq_dev", "faq_holdout", "eval_dev", "eval_holdout"):
        questions = load_questions(PROJECT_ROOT / "tests" / "data" / f"{name}.yml")
        sizes[name] = len(questions)
        assert {label for q in questions for label in q.entries} <= known, name
    assert sizes["eval_dev"] == 544 and sizes["eval_holdout"] == 121


def test_the_search_alone_skips_what_only_the_bot_answers_and_counts_none_as_refusal(shipped_index: Path):
    report = evaluate(
        searcher_for(shipped_index),
        [
            Labelled("what is the rollback plan?", (ROLLBACK,)),
            Labelled("is anything down now?", (STATUS,), "2020-09-08T10:30:00Z", ("Phase 2",)),
            Labelled("urgent: nothing is delivered", (ESCALATION,)),
            Labelled("zxqv plorb wuggle", (NONE,)),
            Labelled("what is the rollback plan?", (STATUS, REMINDER)),  # in scope: it accepts an entry
        ],
    )
    assert (report.in_scope, report.top1, report.out_of_scope, report.refused, report.skipped) == (2, 1, 1, 1, 2)
    assert report.confusions == [("what is the rollback plan?", f"status | {REMINDER}", ROLLBACK)]


def outcome(kind: str, entry: str | None = None, offered: tuple[str, ...] = (), text: str = "") -> Outcome:
    return Outcome(kind, ("some_action",), text, entry, offered)


def test_scoring_right_offered_and_confidently_wrong():
    rollback = Labelled("q", (ROLLBACK,))
    assert score(rollback, outcome(ENTRY, ROLLBACK)).right
    wrong = score(rollback, outcome(ENTRY, REMINDER, offered=(ROLLBACK,)))
    assert (wrong.right, wrong.offered, wrong.confidently_wrong) == (False, True, True)
    choices = score(rollback, outcome(CHOICES, offered=(ROLLBACK, REMINDER)))
    assert (choices.right, choices.offered, choices.confidently_wrong) == (False, True, False)
    refused = score(rollback, outcome(NONE))
    assert (refused.right, refused.offered, refused.confidently_wrong) == (False, False, False)
    assert score(rollback, outcome(ESCALATION)).confidently_wrong  # the engineer offered for a plain question
    assert score(Labelled("q", (NONE,)), outcome(CONTACT)).confidently_wrong

    status = Labelled("q", (STATUS,), "2020-09-08T10:30:00Z", ("phase 2", "IN PROGRESS"))
    live = "As of Tue 8 September 2020 22:30 NZST: Phase 2: Messaging Core Migration is in progress"
    assert score(status, outcome(STATUS, text=live)).right  # fragments are matched ignoring case
    stale = score(status, outcome(STATUS, text="No maintenance window is running."))
    assert (stale.right, stale.missing, stale.confidently_wrong) == (False, ("phase 2", "IN PROGRESS"), True)
    assert "lacks 'phase 2', 'IN PROGRESS'" in stale.got()


def test_what_the_bot_did_is_read_from_its_tracker(bot):
    entries = Entries.of_index(bot.settings.faq_db)

    def did(text: str, sender: str) -> Outcome:
        bot.ask(text, sender=sender)
        return what_the_bot_did(bot.tracker(sender), entries)

    faq = did("what is the rollback plan?", "eval-kind-faq")
    assert (faq.kind, faq.entry, faq.actions) == (ENTRY, ROLLBACK, ("action_answer_faq",))
    twin = did("what will happen to my messages?", "eval-kind-twin")  # the older migration's twin is a button
    assert (twin.kind, twin.entry, twin.offered) == (ENTRY, AWS_MESSAGES, (RTR_MESSAGES,))
    status = did("is anything under maintenance now?", "eval-kind-status")
    assert status.kind == STATUS and status.actions == ("action_live_status",) and "As of" in status.text
    urgent = did("urgent: our messages are not being delivered", "eval-kind-urgent")
    assert urgent.kind == ESCALATION and "utter_offer_engineer" in urgent.actions
    outside = did("what is the capital of france?", "eval-kind-outside")
    assert outside.kind == NONE and outside.entry is None and outside.offered == ()
    contact = did("here are our on-call engineer's details", "eval-kind-contact")
    assert contact.kind == CONTACT and "customer_contact_form" in contact.actions


def test_a_small_set_through_the_real_bot_with_one_question_at_an_instant(bot):
    clock_before = bot.clock
    questions = [
        Labelled("what is the rollback plan?", (ROLLBACK,)),
        Labelled("what is the rollback plan?", (REMINDER,)),  # labelled wrongly on purpose: confidently wrong
        Labelled("what will happen to my messages?", (RTR_MESSAGES,)),  # answered for AWS, the twin is a button
        Labelled(
            "is anything under maintenance now?",
            (STATUS,),
            "2020-09-08T10:30:00Z",
            ("Phase 2: Messaging Core Migration", "is in progress"),
        ),
        Labelled("urgent: our messages are not being delivered", (ESCALATION,)),
        Labelled("zxqv plorb wuggle", (NONE,)),
    ]
    [report] = evaluate_questions(bot, {"tiny": questions})
    assert bot.clock == clock_before  # the action server's clock is put back for the other tests
    assert [s.right for s in report.results] == [True, False, False, True, True, True]
    figures = report.figures()
    assert figures["right"] == (4, 6) and figures["right_or_offered"] == (5, 6)
    assert figures["confidently_wrong"] == (2, 6)  # the two answered with an entry that is not accepted
    assert figures["out_of_scope_refused"] == (1, 1) and figures["status_right"] == (1, 1)
    assert [(s.question.text, s.got()) for s in report.misses()] == [
        ("what is the rollback plan?", ROLLBACK),
        ("what will happen to my messages?", AWS_MESSAGES),
    ]
    lines = "\n".join(report.lines())
    assert (
        "right: 66.7% (4/6)" in lines and "2020-09-08T10:30:00Z  right  'is anything under maintenance now?'" in lines
    )
    assert report.to_json()["figures"]["confidently_wrong"] == {"count": 2, "of": 6}
    assert report.search is not None and report.search.skipped == 2  # status and escalation: the bot's alone


def test_a_seeded_copy_sets_every_random_seed(tmp_path: Path):
    project = copy_training_inputs(PROJECT_ROOT, tmp_path / "project")
    config = project / "config.yml"
    config.write_text(config.read_text() + "\n  - name: SomeSeededComponent\n    random_seed: 42\n")
    assert set_seed(project, 7) == 1
    assert "random_seed: 7" in config.read_text() and "random_seed: 42" not in config.read_text()
    assert (project / "data" / "faq").is_dir() and not (project / "models").exists()


def test_the_shipped_pipeline_has_no_random_seed(tmp_path: Path):
    project = copy_training_inputs(PROJECT_ROOT, tmp_path / "project")
    assert set_seed(project, 7) == 0  # both classifiers are regressions with one optimum: no seed to set


GENERATED_TRAINING = "faq_generated.yml"  # made from the documents: may share a document's own question
NEAR_COPY = 85  # rapidfuzz ratio of lower-cased texts without punctuation; the two evaluation sets share none


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def test_no_hand_written_training_example_is_a_near_copy_of_an_evaluation_question():
    questions = [
        _plain(q.text)
        for path in sorted((PROJECT_ROOT / "tests" / "data").glob("eval_*.yml"))
        for q in load_questions(path)
    ]
    copies = []
    hand_written = [
        path for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")) if path.name != GENERATED_TRAINING
    ]
    assert len(hand_written) >= 4
    for path in hand_written:
        relative = path.relative_to(PROJECT_ROOT)
        for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
            for line in block["examples"].splitlines():
                example = _plain(line.strip().removeprefix("- "))
                match = process.extractOne(example, questions, scorer=fuzz.ratio, score_cutoff=NEAR_COPY)
                if example and match:
                    copies.append((relative, line.strip()))
    assert not copies, f"training examples that copy evaluation questions (take them out): {copies}"
