"""How `helpdesk serve` starts each server (bot/ops/serve.py): its command line and environment."""

from __future__ import annotations

from pathlib import Path

from conftest import settings_env

from bot.ops.serve import command_for
from core.settings import Settings


def test_the_action_server_runs_its_math_on_one_thread(tmp_path: Path):
    settings = Settings.from_env(settings_env(tmp_path))
    command, env = command_for("actions", settings)
    assert command[-2:] == ["-m", "actions.action_server"]
    assert env["OPENBLAS_NUM_THREADS"] == env["OMP_NUM_THREADS"] == env["MKL_NUM_THREADS"] == "1"
