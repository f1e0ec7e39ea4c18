"""Training time: from scratch (generator included) and a second run with nothing changed.

Run: .venv/bin/python bench/training_time.py
Targets (issue 4): under 3 minutes from scratch, under 15 seconds when nothing changed.
It trains in a temporary copy of the project, so the project's own models and caches are untouched.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path

from project_copy import HELPDESK, copy_project


def timed_train(project: Path, log: Path) -> float:
    env = {**os.environ, "HELPDESK_HOME": str(project), "HELPDESK_VAR_DIR": str(project / "var")}
    start = time.perf_counter()
    with open(log, "a") as out:
        subprocess.run([HELPDESK, "train"], cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_project(Path(tmp) / "project")
        (project / "data" / "nlu" / "faq_generated.yml").unlink()  # the generator runs as part of the timing
        log = Path(tmp) / "train.log"
        scratch = timed_train(project, log)
        again = timed_train(project, log)
        print(f"train from scratch (FAQ index, generated NLU data, rasa train): {scratch:.1f} s")
        print(f"train again with no change: {again:.1f} s")


if __name__ == "__main__":
    main()
