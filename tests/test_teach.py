"""`helpdesk teach`: a customer's question added to the curated training file, and `helpdesk train`'s check of it.

Each test works in a temporary copy of the project's training inputs (the real data/nlu/curated.yml is never
touched), with the shipped FAQ index.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from conftest import HELPDESK, settings_env
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot import cli
from bot.answers.curated import CURATED_NLU, EMPTY, TARGETS, check, teach
from bot.answers.evaluation import copy_training_inputs
from bot.answers.training import generate_training_data, training_hash
from core.errors import DuplicateExample, StaleExample, TrainingDataError, UnknownTarget
from core.settings import PROJECT_ROOT, Settings
from faq_index.training_data import HEADER as GENERATED_HEADER

NOW = datetime(2024, 6, 3, 9, 30, tzinfo=timezone.utc)
WHY_AWS = "why_are_we_migrating_to_aws_6ba0"  # "Why are we migrating to AWS?" (data/faq/000_…txt)


@pytest.fixture
def project(tmp_path: Path, shipped_index: Path) -> Settings:
    """A copy of the project's training inputs with an empty curated file, and its own copy of the shipped FAQ
    index."""
    root = copy_training_inputs(PROJECT_ROOT, tmp_path / "project")
    (root / CURATED_NLU).write_text(EMPTY, encoding="utf-8")
    (tmp_path / "var").mkdir()
    shutil.copy(shipped_index, tmp_path / "var" / "faq_index.db")
    return Settings.from_env(
        settings_env(tmp_path / "var", HELPDESK_HOME=str(root), HELPDESK_MODEL_DIR=str(tmp_path / "models"))
    )


def curated_text(settings: Settings) -> str:
    return (settings.root / CURATED_NLU).read_text(encoding="utf-8")


def as_rasa_reads_it(settings: Settings) -> list[tuple[str, str]]:
    """(text, intent or retrieval intent) of every example in the curated file, read by Rasa's own reader."""
    data = RasaYAMLReader().read(settings.root / CURATED_NLU)
    return [(m.get("text"), m.get("intent_response_key") or m.get("intent")) for m in data.training_examples]


def test_the_shipped_curated_file_is_valid_curated_data():
    text = (PROJECT_ROOT / CURATED_NLU).read_text(encoding="utf-8")
    assert text.startswith("# Curated training examples") and not text.startswith(GENERATED_HEADER)
    assert yaml.safe_load(text)["version"] == "3.1"


def test_teaching_an_faq_entry_adds_the_example_with_who_and_when(project: Settings):
    taught = teach(project, "  why r u  moving to amazon ", WHY_AWS, "alice", NOW)

    assert taught.intent == f"faq/{WHY_AWS}" and taught.question == "Why are we migrating to AWS?"
    assert as_rasa_reads_it(project) == [("why r u moving to amazon", f"faq/{WHY_AWS}")]
    text = curated_text(project)
    assert text.startswith("# Curated training examples") and "generated" not in text.splitlines()[0].lower()
    assert f"  - intent: faq/{WHY_AWS}  # Why are we migrating to AWS?\n" in text
    assert "      - text: why r u moving to amazon\n" in text
    assert "metadata: {taught_by: alice, taught_at: '2024-06-03T09:30:00Z'}" in text


@pytest.mark.parametrize("target, intent", sorted(TARGETS.items()))
def test_each_other_target_is_the_intent_of_that_reply(project: Settings, target: str, intent: str):
    teach(project, "our texts have stopped going out since lunch", target, "bob", NOW)
    assert as_rasa_reads_it(project) == [("our texts have stopped going out since lunch", intent)]


def test_examples_of_one_target_share_its_block_and_peoples_comments_stay(project: Settings):
    path = project.root / CURATED_NLU
    path.write_text(
        curated_text(project).replace(
            "nlu: []\n",
            (
                "nlu:\n"
                "  # Carol: customers call the dashboard 'the portal'\n"
                "  - intent: out_of_scope\n"
                "    examples: |\n"
                "      - what's the price of an SMS to Australia\n"
            ),
        ),
        encoding="utf-8",
    )

    teach(project, "is the portal down", "status", "alice", NOW)
    teach(project, "is the portal up", "status", "bob", NOW)
    teach(project, "can you recommend a good movie tonight", "out_of_scope", "alice", NOW)

    text = curated_text(project)
    assert "  # Carol: customers call the dashboard 'the portal'\n" in text
    assert text.count("- intent: ask_status_now") == 1 and text.count("- intent: out_of_scope") == 2
    assert as_rasa_reads_it(project) == [
        ("what's the price of an SMS to Australia", "out_of_scope"),
        ("is the portal down", "ask_status_now"),
        ("is the portal up", "ask_status_now"),
        ("can you recommend a good movie tonight", "out_of_scope"),
    ]


def test_a_duplicate_example_is_refused_whatever_its_case_and_punctuation(project: Settings):
    teach(project, "why r u moving to amazon", WHY_AWS, "alice", NOW)
    before = curated_text(project)

    with pytest.raises(
        DuplicateExample,
        match=r"'Why R U moving to Amazon\?' is already an example of "
        rf"faq/{WHY_AWS} in data/nlu/curated.yml .*taught by alice",
    ):
        teach(project, "Why R U moving to Amazon?", WHY_AWS, "bob", NOW)
    with pytest.raises(DuplicateExample, match="already an example of faq/.* cannot also teach ask_status_now"):
        teach(project, "why r u moving to amazon", "status", "bob", NOW)
    with pytest.raises(
        DuplicateExample,
        match="already an example of faq/what_is_the_rollback_plan_6ba0 in "
        "data/nlu/faq_generated.yml .*change the FAQ document",
    ):
        teach(project, "What is the rollback plan?", "escalate", "bob", NOW)
    with pytest.raises(DuplicateExample, match="already an example of greet in data/nlu/chitchat.yml"):
        teach(project, "hello", "out_of_scope", "bob", NOW)
    assert curated_text(project) == before


def test_an_unknown_entry_is_refused_with_where_to_find_the_ids(project: Settings):
    before = curated_text(project)
    with pytest.raises(
        UnknownTarget,
        match=r"'why_are_we_migratng_to_aws_6ba0' is neither an FAQ entry id "
        r"\(`helpdesk faq list` .*Did you mean why_are_we_migrating_to_aws_6ba0\?",
    ):
        teach(project, "why move at all", "why_are_we_migratng_to_aws_6ba0", "alice", NOW)
    with pytest.raises(UnknownTarget, match="status, contact, escalate, out_of_scope"):
        teach(project, "why move at all", "human", "alice", NOW)
    assert curated_text(project) == before


@pytest.mark.parametrize(
    "text, message",
    [
        ("  ", "give the question as the customer asked it"),
        ("/faq_choice", "starts with '/'"),
        ("why? " * 500, "the bot reads messages of at most 2000"),
    ],
)
def test_what_is_not_a_customers_question_is_refused(project: Settings, text: str, message: str):
    with pytest.raises(TrainingDataError, match=message):
        teach(project, text, "status", "alice", NOW)


def test_the_training_hash_includes_the_curated_file(project: Settings):
    before = training_hash(project.root)
    teach(project, "has the move finished yet", "status", "alice", NOW)
    assert training_hash(project.root) != before


def stale(project: Settings) -> None:
    """Teach an entry, then change its document so that the entry is asked differently (a new id)."""
    teach(project, "why r u moving to amazon", WHY_AWS, "alice", NOW)
    document = project.faq_dir / "000_5b56ee65ad449da6.txt"
    document.write_text(document.read_text().replace("Why are we migrating to AWS?", "Why are we moving to AWS?"))


def test_train_refuses_an_example_whose_faq_entry_is_gone_and_names_it(project: Settings):
    stale(project)
    with pytest.raises(
        StaleExample,
        match=rf"'why r u moving to amazon' \(taught to faq/{WHY_AWS} by alice at "
        r"2024-06-03T09:30:00Z\).*`helpdesk faq list`",
    ):
        generate_training_data(project)


def test_helpdesk_train_says_which_example_is_stale_in_one_line(project: Settings, tmp_path: Path):
    stale(project)
    env = settings_env(tmp_path / "var", HELPDESK_HOME=str(project.root), HELPDESK_MODEL_DIR=str(tmp_path / "models"))
    result = subprocess.run([HELPDESK, "train"], env={**os.environ, **env}, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert "'why r u moving to amazon'" in line and f"faq/{WHY_AWS}" in line and "no longer in the FAQ index" in line
    assert not (tmp_path / "models").exists()  # nothing trained


def test_train_accepts_examples_whose_entries_exist(project: Settings):
    teach(project, "why r u moving to amazon", WHY_AWS, "alice", NOW)
    assert [e.text for e in check(project.root, project.faq_db)] == ["why r u moving to amazon"]


def test_helpdesk_teach_prints_what_it_taught_and_refuses_a_duplicate_in_one_line(
    project: Settings, monkeypatch, capsys
):
    for name in ("HELPDESK_HOME", "HELPDESK_VAR_DIR"):
        monkeypatch.setenv(name, str(project.root if name == "HELPDESK_HOME" else project.var_dir))
    monkeypatch.delenv("HELPDESK_FAQ_DB", raising=False)

    assert cli.main(["teach", "is omni back yet", "status", "--by", "alice"]) == 0
    assert capsys.readouterr().out == (
        "taught 'is omni back yet' as ask_status_now in data/nlu/curated.yml; `helpdesk train` retrains with it.\n"
    )
    assert cli.main(["teach", "Is Omni back yet?", "status", "--by", "alice"]) == 1
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("helpdesk: 'Is Omni back yet?' is already an example of ask_status_now")


def test_two_teachers_at_the_same_moment_both_land(project: Settings):
    import threading

    texts = [f"question number {n} about the amazon move" for n in range(8)]
    threads = [threading.Thread(target=teach, args=(project, text, WHY_AWS, "alice", NOW)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(text for text, _ in as_rasa_reads_it(project)) == sorted(texts)
