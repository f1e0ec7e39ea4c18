"""How much the bot's FAQ figures move with the training seed: the same data and pipeline trained with
several random seeds, each model run as `make run` runs it and scored with `helpdesk eval` on the
development and the held-out set.

Run: .venv/bin/python bench/eval_seeds.py [SEED ...]   (default: 42 1 2 3 7; about 3 minutes a seed)
It trains in a temporary copy of the project, so the project's own models and caches are untouched.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from project_copy import HELPDESK, ROOT, copy_project, free_port

from bot import rasa_client
from bot.evaluation import evaluate_bot
from bot.settings import Settings
from faq_index.evaluate import load_dev_set

QUESTION_SETS = {"dev": ROOT / "tests/data/faq_dev.yml", "held-out": ROOT / "tests/data/faq_holdout.yml"}


def set_seed(project: Path, seed: int) -> None:
    config = project / "config.yml"
    config.write_text(re.sub(r"random_seed: \d+", f"random_seed: {seed}", config.read_text()))


def score_seed(project: Path, log: Path) -> dict[str, tuple[int, int, int, int]]:
    """(right, in scope, refused, out of scope) per question set, for the model trained in `project`."""
    env = {**os.environ, "HELPDESK_HOME": str(project), "HELPDESK_VAR_DIR": str(project / "var"),
           "RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()), "RASA_API_TOKEN": "bench"}
    with open(log, "a") as out:
        subprocess.run([HELPDESK, "train"], env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
        servers = [subprocess.Popen([HELPDESK, "serve", name], env=env, stdout=out, stderr=subprocess.STDOUT)
                   for name in ("actions", "rasa")]
    try:
        settings = Settings.from_env(env)
        rasa_client.wait_until_ready(settings, timeout=300)
        scores = {}
        for name, path in QUESTION_SETS.items():
            report = evaluate_bot(settings, load_dev_set(path))
            scores[name] = (report.right, report.in_scope, report.refused, report.out_of_scope)
        return scores
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def main(seeds: list[int]) -> None:
    results: dict[str, list[tuple[int, int, int, int]]] = {name: [] for name in QUESTION_SETS}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            project = copy_project(Path(tmp) / f"seed-{seed}")
            set_seed(project, seed)
            scores = score_seed(project, Path(tmp) / "bench.log")
            line = []
            for name, (right, in_scope, refused, out_of_scope) in scores.items():
                results[name].append((right, in_scope, refused, out_of_scope))
                line.append(f"{name} {right}/{in_scope} right, {refused}/{out_of_scope} refused")
            print(f"seed {seed}: " + "; ".join(line), flush=True)
    for name, rows in results.items():
        right = [100 * r / n for r, n, _, _ in rows]
        refused = [100 * r / n for _, _, r, n in rows]
        print(f"{name}: right {min(right):.1f}-{max(right):.1f}% (mean {statistics.mean(right):.1f}%), "
              f"refused {min(refused):.1f}-{max(refused):.1f}% (mean {statistics.mean(refused):.1f}%)")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [42, 1, 2, 3, 7])
