from datetime import datetime, timezone
from pathlib import Path

import pytest

from core.clock import Clock, parse_instant
from core.errors import ConfigError
from core.settings import Settings


def test_defaults_are_the_documented_ports_and_paths(tmp_path: Path):
    settings = Settings.from_env({"HELPDESK_HOME": str(tmp_path)})
    assert (settings.rasa_host, settings.rasa_port, settings.action_port, settings.web_port, settings.slack_port) == (
        "127.0.0.1",
        5005,
        5055,
        8080,
        3000,
    )
    assert settings.state_db == tmp_path / "var" / "helpdesk.db"
    assert settings.tracker_db == tmp_path / "var" / "tracker.db"
    assert settings.rasa_token is None
    assert settings.now is None


def test_relative_paths_are_taken_from_the_project_folder(tmp_path: Path):
    settings = Settings.from_env({"HELPDESK_HOME": str(tmp_path), "HELPDESK_DB": "state/live.db"})
    assert settings.state_db == tmp_path / "state" / "live.db"


def test_every_documented_setting_is_read(tmp_path: Path):
    documented = Path(__file__).resolve().parent.parent / ".env.example"
    names = [
        line.split("=")[0] for line in documented.read_text().splitlines() if "=" in line and not line.startswith("#")
    ]
    source = (Path(__file__).resolve().parent.parent / "core" / "settings.py").read_text()
    assert names, ".env.example documents no setting"
    assert [name for name in names if f'"{name}"' not in source] == []


@pytest.mark.parametrize("value", ["abc", "0", "70000", "-1"])
def test_a_bad_port_names_the_setting_and_the_fix(value: str):
    with pytest.raises(ConfigError, match=r"RASA_PORT=.*between 1 and 65535"):
        Settings.from_env({"RASA_PORT": value})


def test_helpdesk_now_fixes_the_clock():
    settings = Settings.from_env({"HELPDESK_NOW": "2020-09-08T10:30:00Z"})
    assert settings.clock.now() == datetime(2020, 9, 8, 10, 30, tzinfo=timezone.utc)


def test_an_instant_with_an_offset_is_converted_to_utc():
    assert parse_instant("2020-09-08T22:30:00+12:00") == datetime(2020, 9, 8, 10, 30, tzinfo=timezone.utc)


def test_an_unparseable_helpdesk_now_says_how_to_write_it():
    with pytest.raises(ConfigError, match="HELPDESK_NOW='next tuesday'.*2020-09-08T10:30:00Z"):
        Settings.from_env({"HELPDESK_NOW": "next tuesday"})


def test_the_real_clock_is_aware_utc():
    assert Clock().now().tzinfo is timezone.utc


def test_a_deployment_names_where_browsers_and_the_rasa_server_find_things():
    settings = Settings.from_env(
        {
            "ACTION_HOST": "actions",
            "HELPDESK_PUBLIC_CHAT_URL": "https://chat.example.com",
            "HELPDESK_PUBLIC_WEB_ORIGIN": "https://www.example.com",
            "WEB_PORT": "8080",
        }
    )
    assert settings.action_url == "http://actions:5055/webhook"
    assert settings.chat_url == "https://chat.example.com"
    assert settings.web_origins == ["http://localhost:8080", "http://127.0.0.1:8080", "https://www.example.com"]
    local = Settings.from_env({})
    assert (local.bind_host, local.chat_url, local.action_url) == (
        "127.0.0.1",
        "http://127.0.0.1:5005",
        "http://127.0.0.1:5055/webhook",
    )


@pytest.mark.parametrize(
    "url", ["postgresql://helpdesk:p@ss@db:5432/helpdesk", "postgresql://helpdesk:50%off@db:5432/helpdesk"]
)
def test_a_database_password_not_percent_encoded_is_refused_without_repeating_it(tmp_path: Path, url: str):
    with pytest.raises(ConfigError, match="HELPDESK_DATABASE_URL has an @ or %") as refused:
        Settings.from_env({"HELPDESK_HOME": str(tmp_path), "HELPDESK_DATABASE_URL": url})
    assert "p@ss" not in str(refused.value) and "50%off" not in str(refused.value)


def test_an_unreachable_state_database_is_named_without_its_password():
    from core.errors import StorageError
    from core.postgres import PostgresDatabase

    with pytest.raises(StorageError, match="cannot be reached") as refused:
        PostgresDatabase("postgresql://helpdesk:sekret-pw@127.0.0.1:1/helpdesk")
    assert "sekret-pw" not in str(refused.value)


def test_the_escalation_limits_are_30_in_ten_minutes_and_3_per_conversation_unless_set(tmp_path: Path):
    default = Settings.from_env({"HELPDESK_HOME": str(tmp_path)})
    assert (default.escalations_per_ten_minutes, default.escalations_per_conversation) == (30, 3)
    raised = Settings.from_env({"HELPDESK_HOME": str(tmp_path), "HELPDESK_ESCALATIONS_PER_TEN_MINUTES": "500"})
    assert raised.escalations_per_ten_minutes == 500
    with pytest.raises(ConfigError, match="HELPDESK_ESCALATIONS_PER_CONVERSATION"):
        Settings.from_env({"HELPDESK_HOME": str(tmp_path), "HELPDESK_ESCALATIONS_PER_CONVERSATION": "-1"})
