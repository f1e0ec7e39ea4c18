"""The `helpdesk` command line as a user runs it: one clear line for every problem, never a traceback."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from conftest import helpdesk, read_only, settings_env


def assert_one_clear_line(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for word in words:
        assert word in lines[0]


def test_help_lists_the_commands(tmp_path: Path):
    result = helpdesk("--help", env=settings_env(tmp_path))
    assert result.returncode == 0
    for command in ("ask", "doctor", "train", "serve", "start"):
        assert command in result.stdout


def test_ask_with_no_bot_running_says_how_to_start_it(tmp_path: Path):
    result = helpdesk("ask", "hello", env=settings_env(tmp_path))
    assert_one_clear_line(result, "not answering", "make run")


def test_serving_without_a_model_says_how_to_train(tmp_path: Path):
    env = settings_env(tmp_path, HELPDESK_MODEL_DIR=str(tmp_path / "no-models"))
    result = helpdesk("serve", "rasa", env=env)
    assert_one_clear_line(result, "no trained model", "helpdesk train")


def test_a_port_in_use_is_named_with_the_setting_to_change(tmp_path: Path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = helpdesk("serve", "actions", env=settings_env(tmp_path, ACTION_PORT=str(port)))
    assert_one_clear_line(result, f"port {port}", "ACTION_PORT")


def test_a_bad_setting_is_one_line(tmp_path: Path):
    result = helpdesk("doctor", env=settings_env(tmp_path, RASA_PORT="fifty"))
    assert_one_clear_line(result, "RASA_PORT", "between 1 and 65535")


def test_doctor_reports_each_problem_on_its_own_line(tmp_path: Path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be")
    env = settings_env(tmp_path, HELPDESK_DB=str(blocked / "helpdesk.db"), HELPDESK_MODEL_DIR=str(tmp_path / "none"))
    result = helpdesk("doctor", env=env)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert lines["ok    python"].strip() == "Python 3.10"
    assert "helpdesk train" in lines["FAIL  model"]
    assert "helpdesk faq build" in lines["FAIL  faq index"]
    assert "cannot open the database" in lines["FAIL  database"]
    assert "make run" in lines["FAIL  rasa server"]
    assert "make run" in lines["FAIL  action server"]
    assert "make run" in lines["FAIL  web chat"]
    assert "cannot be paged" in lines["FAIL  paging"] and "SLACK_BOT_TOKEN" in lines["FAIL  paging"]


def test_doctor_tries_a_write_to_the_database(tmp_path: Path):
    from core.db import connect

    env = settings_env(tmp_path)
    state_db = tmp_path / "helpdesk.db"
    connect(state_db).conn.close()
    ok = dict(line.split(":", 1) for line in helpdesk("doctor", env=env).stdout.splitlines())
    assert "took a test write" in ok["ok    database"]
    with read_only(state_db):
        result = helpdesk("doctor", env=env)
    lines = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    assert "read-only" in lines["FAIL  database"] and "writable" in lines["FAIL  database"]


def test_doctor_says_which_python_rasa_needs():
    from bot.ops.doctor import check_python

    assert check_python((3, 10)).ok
    too_new = check_python((3, 12))
    assert not too_new.ok and "needs 3.10" in too_new.message
