"""Each shipped document as if the bot had never seen it: in a temporary copy of the project, the hand-written
paraphrases of one document's entries (data/nlu/curated.yml) are taken out, the model is trained, and the
development set's questions about that document and its out-of-scope questions are asked (`helpdesk eval`). The
other documents keep theirs.

This is what a new document gets until someone teaches it (its generated examples and the search), measured on
many more questions than bench/new_document.py's 20, and without touching the held-out set.

Run: .venv/bin/python bench/unseen_document.py [--json] [--misses]   (about 3 minutes a document)
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import yaml
from project_copy import ROOT, copy_project

from bot.answers.evaluation import evaluate_sets
from core.settings import Settings
from faq_index.evaluate import ENTRY_SEPARATOR, NONE
from faq_index.index import build_index, list_entries

DEVELOPMENT_SET = ROOT / "tests" / "data" / "eval_dev.yml"
CURATED = Path("data") / "nlu" / "curated.yml"


def entries_by_label(settings: Settings) -> dict[str, str]:
    """Entry id -> "<file> :: <question>" label, as the question sets name entries."""
    build_index(settings.faq_dir, settings.faq_db)
    return {row["id"]: f"{row['file']}{ENTRY_SEPARATOR}{row['question']}" for row in list_entries(settings.faq_db)}


def without_paraphrases(curated: Path, entry_ids: set[str]) -> int:
    """Take the examples of `entry_ids` out of a curated NLU file; returns how many were taken out."""
    data = yaml.safe_load(curated.read_text(encoding="utf-8"))
    kept, removed = [], 0
    for block in data["nlu"]:
        if block.get("intent", "").removeprefix("faq/") in entry_ids and block["intent"].startswith("faq/"):
            removed += len([line for line in block["examples"].splitlines() if line.strip()])
        else:
            kept.append(block)
    curated.write_text(yaml.safe_dump({**data, "nlu": kept}, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return removed


def questions_about(document: str, questions: list[dict]) -> list[dict]:
    """The questions that accept an entry of `document`, and the out-of-scope ones (a new document's words must not
    open the door to them)."""
    return [
        q
        for q in questions
        if NONE in q.get("accept", []) or any(a.split(ENTRY_SEPARATOR)[0] == document for a in q.get("accept", []))
    ]


def measure(document: str, tmp: Path) -> dict:
    project = copy_project(tmp / "project")
    settings = Settings.from_env(
        {"HELPDESK_HOME": str(project), "HELPDESK_VAR_DIR": str(tmp / "var"), "HELPDESK_MODEL_DIR": str(tmp / "models")}
    )
    labels = entries_by_label(settings)
    ids = {entry_id for entry_id, label in labels.items() if label.split(ENTRY_SEPARATOR)[0] == document}
    removed = without_paraphrases(project / CURATED, ids)
    asked = questions_about(document, yaml.safe_load(DEVELOPMENT_SET.read_text(encoding="utf-8"))["questions"])
    question_set = tmp / f"about_{document}.yml"
    question_set.write_text(yaml.safe_dump({"questions": asked}, allow_unicode=True), encoding="utf-8")
    _, reports = evaluate_sets(settings, [question_set])
    figures = reports[0].figures()
    return {
        "document": document,
        "paraphrases_removed": removed,
        "questions": len(asked),
        "figures": figures,
        "lines": reports[0].lines(),  # with the misses: the development set's, fine to read
    }


def main(args: list[str]) -> int:
    documents = sorted(
        {
            a.split(ENTRY_SEPARATOR)[0]
            for q in yaml.safe_load(DEVELOPMENT_SET.read_text(encoding="utf-8"))["questions"]
            for a in q.get("accept", [])
            if ENTRY_SEPARATOR in a
        }
    )
    results = []
    for document in documents:
        with tempfile.TemporaryDirectory(prefix="helpdesk-unseen-") as tmp:
            results.append(measure(document, Path(tmp)))
    if "--json" in args:
        print(json.dumps(results, indent=2))
        return 0
    totals: dict[str, list[int]] = {}
    for result in results:
        shown = ", ".join(f"{name} {count}/{total}" for name, (count, total) in result["figures"].items())
        print(f"{result['document']} ({result['paraphrases_removed']} paraphrases out): {shown}")
        if "--misses" in args:
            print("\n".join(result["lines"]))
        for name, (count, total) in result["figures"].items():
            totals.setdefault(name, [0, 0])
            totals[name][0] += count
            totals[name][1] += total
    print("all: " + ", ".join(f"{name} {c}/{t} ({100 * c / t:.1f}%)" for name, (c, t) in totals.items() if t))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
