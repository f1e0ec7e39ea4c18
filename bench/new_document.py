"""A document the bot has never seen: in a temporary copy of the project, `helpdesk faq add` it, then score
`helpdesk eval --seeds N` on questions written for it alone (tests/data/eval_new_document.yml, by a writer who
saw only the document) and on the development set, to see that the old documents keep their answers.

Nobody teaches the new document any paraphrase: it is answered from its generated examples and the search.

Run: .venv/bin/python bench/new_document.py [N] [--json]   (default 3 seeds; about 4 minutes a seed)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from project_copy import HELPDESK, ROOT, copy_project

DOCUMENT = ROOT / "tests" / "data" / "docs" / "unseen_voice_platform.html"
SETS = [ROOT / "tests" / "data" / "eval_new_document.yml", ROOT / "tests" / "data" / "eval_dev.yml"]


def main(args: list[str]) -> int:
    seeds = next((arg for arg in args if arg.isdigit()), "3")
    with tempfile.TemporaryDirectory(prefix="helpdesk-new-document-") as tmp:
        project = copy_project(Path(tmp) / "project")
        env = {**os.environ, "HELPDESK_HOME": str(project), "HELPDESK_VAR_DIR": str(Path(tmp) / "var")}
        subprocess.run(
            [HELPDESK, "faq", "add", str(DOCUMENT)], env=env, check=True, stdout=sys.stderr
        )  # --json stays clean
        command = [HELPDESK, "eval", "--seeds", seeds, *(f"--set={path}" for path in SETS)]
        return subprocess.run(command + [arg for arg in args if arg == "--json"], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
