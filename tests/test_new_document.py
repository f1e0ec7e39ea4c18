"""A document the bot has never seen: `helpdesk faq add` then `helpdesk train`, and the bot answers it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import ARTIFACTS, HELPDESK, TEST_MODELS, RunningBot, settings_env

from core.settings import PROJECT_ROOT

PROJECT_FILES = [
    "config.yml",
    "domain.yml",
    "endpoints.yml",
    "credentials.yml",
    "data/rules.yml",
    "data/stories.yml",
    "data/nlu/chitchat.yml",
    "data/faq",
]

PORTING_FAQ = """# Number Porting FAQ

Modica is opening number porting for dedicated virtual numbers in 2023.

## How long does a number port take?

A standard port completes within five working days of the signed authority form.

## Which numbers can be ported?

Dedicated virtual numbers and toll-free numbers can be ported. Shared shortcodes cannot be ported.
"""


def copy_project(target: Path) -> None:
    for relative in PROJECT_FILES:
        source = PROJECT_ROOT / relative
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, destination)
        else:
            shutil.copy(source, destination)


def test_a_new_document_is_answered_after_faq_add_and_train(tmp_path: Path):
    project = tmp_path / "project"
    copy_project(project)
    document = tmp_path / "porting.md"
    document.write_text(PORTING_FAQ)
    # Models are cached by content hash in the clone (TEST_MODELS), away from the models make run serves.
    env = settings_env(tmp_path / "var", HELPDESK_HOME=str(project), HELPDESK_MODEL_DIR=str(TEST_MODELS))
    full_env = {**os.environ, **env}
    added = subprocess.run([HELPDESK, "faq", "add", str(document)], env=full_env, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    with open(ARTIFACTS / "new-document-train.log", "w") as log:
        trained = subprocess.run([HELPDESK, "train"], env=full_env, stdout=log, stderr=subprocess.STDOUT, timeout=900)
    assert trained.returncode == 0, "see tests/artifacts/new-document-train.log"
    generated = (project / "data" / "nlu" / "faq_generated.yml").read_text()
    assert "how_long_does_a_number_port_take" in generated

    bot = RunningBot(env, ARTIFACTS)
    bot.start()
    try:
        text = "\n".join(r.get("text", "") for r in bot.ask("how long does porting a number take?", sender="porting"))
    finally:
        bot.stop()
    assert "within five working days" in text and "(Source: Number Porting FAQ)" in text
