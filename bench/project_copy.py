"""What the benchmarks that train share: a temporary copy of the project's training inputs, the
helpdesk command, and free ports for servers they start."""

from __future__ import annotations

from pathlib import Path

from bot.answers.evaluation import copy_training_inputs
from bot.ops.local_bot import HELPDESK, free_port  # noqa: F401 - for the benchmarks

ROOT = Path(__file__).resolve().parent.parent


def copy_project(target: Path) -> Path:
    """Copy what `helpdesk train` reads into `target` (created), so models and caches stay out of the project."""
    return copy_training_inputs(ROOT, target)
