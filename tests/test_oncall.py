"""Who is on call at an instant (bot/escalation/oncall.py): rotas by weekday and hour in New Zealand time,
across daylight saving, and the engineer running a maintenance window paged first."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from conftest import helpdesk, settings_env

from bot.escalation import oncall
from core.clock import parse_instant
from core.db import Database
from core.errors import ConfigError

ROTAS = """
timezone: Pacific/Auckland
ack_timeout_minutes: 10
steps:
  - {role: Day on-call engineer, name: Aroha, slack_user: U0DAY, phone: "+64 4 498 6000"}
  - {role: Head of Service Delivery, name: Lorelena, slack_user: U0HEAD, phone: "+64 21 844 538"}
rotas:
  - name: weekends
    when: {days: [sat, sun]}
    steps:
      - {role: Weekend on-call engineer, name: Wiremu, slack_user: U0WEEKEND, phone: "+64 4 498 6001"}
  - name: nights
    when: {days: [mon, tue, wed, thu, fri], from: "17:30", to: "08:30"}
    steps:
      - {role: Night on-call engineer, name: Nikau, slack_user: U0NIGHT, phone: "+64 4 498 6002"}
      - {role: Head of Service Delivery, name: Lorelena, slack_user: U0HEAD, phone: "+64 21 844 538"}
window_leads:
  "prepare-aws-migration:2": {role: Window lead, name: Rua, slack_user: U0RUA, phone: "+64 21 555 0100"}
"""


@pytest.fixture
def rota_file(tmp_path: Path) -> Path:
    path = tmp_path / "oncall.yml"
    path.write_text(ROTAS)
    return path


def first_paged(db: Database, rota_file: Path, instant: str, running: tuple[str, ...] = ()) -> str:
    return oncall.current_rota(db, rota_file, at=parse_instant(instant), running=running).steps[0].name


@pytest.mark.parametrize(
    "instant, who",
    [
        ("2020-09-08T10:00:00+12:00", "Aroha"),  # Tuesday morning: business hours, the default rota
        ("2020-09-08T22:30:00+12:00", "Nikau"),  # Tuesday night
        ("2020-09-09T07:00:00+12:00", "Nikau"),  # Wednesday before 08:30: the night that began on Tuesday
        ("2020-09-09T08:30:00+12:00", "Aroha"),  # the night ends at 08:30
        ("2020-09-12T12:00:00+12:00", "Wiremu"),  # Saturday
        ("2020-09-14T07:00:00+12:00", "Aroha"),  # Monday before 08:30: Sunday night is the weekend's, not a night
    ],
)
def test_the_rota_in_force_follows_the_weekday_and_the_hour_in_new_zealand(db: Database, rota_file, instant, who):
    assert first_paged(db, rota_file, instant) == who


def test_the_hours_are_new_zealand_time_across_daylight_saving(db: Database, rota_file):
    assert first_paged(db, rota_file, "2020-08-04T04:45:00Z") == "Aroha"  # 16:45 NZST, a Tuesday
    assert first_paged(db, rota_file, "2020-10-06T04:45:00Z") == "Nikau"  # 17:45 NZDT, the same UTC time


def test_the_engineer_running_a_window_is_paged_first_while_it_runs(db: Database, rota_file):
    rota = oncall.current_rota(
        db, rota_file, at=parse_instant("2020-09-08T22:30:00+12:00"), running=["prepare-aws-migration:2"]
    )
    assert [step.name for step in rota.steps] == ["Rua", "Nikau", "Lorelena"]
    assert first_paged(db, rota_file, "2020-09-08T22:30:00+12:00", running=("prepare-aws-migration:3",)) == "Nikau"


def test_phase_twos_window_on_the_shipped_schedule_pages_its_lead(db: Database, rota_file, shipped_index: Path):
    during = oncall.rota_in_force(shipped_index, db, parse_instant("2020-09-08T22:30:00+12:00"), rota_file)
    after = oncall.rota_in_force(shipped_index, db, parse_instant("2020-09-09T02:00:00+12:00"), rota_file)
    assert during.steps[0].name == "Rua" and after.steps[0].name == "Nikau"


def test_a_staff_change_at_night_changes_the_night_rota_only(db: Database, rota_file):
    night = parse_instant("2020-09-08T22:30:00+12:00")
    oncall.change_step(db, 1, "Hemi", "U0HEMI", "+64 21 555 0123", "tama", night, rota_file)
    assert first_paged(db, rota_file, "2020-09-08T23:00:00+12:00") == "Hemi"
    assert first_paged(db, rota_file, "2020-09-09T10:00:00+12:00") == "Aroha"


@pytest.mark.parametrize(
    "broken", ["rotas: [{name: x, when: {days: [someday]}, steps: []}]", "timezone: Mars/Olympus", "repeat: -1"]
)
def test_a_rota_file_it_cannot_use_names_the_problem(tmp_path: Path, broken: str):
    path = tmp_path / "oncall.yml"
    path.write_text(ROTAS + broken + "\n")
    with pytest.raises(ConfigError, match="cannot be read"):
        oncall.load_rota_file(path)


def test_helpdesk_oncall_at_an_instant_names_the_rota_and_who_is_paged(tmp_path: Path):
    shown = helpdesk("oncall", "--at", "2020-09-08T22:30+12:00", env=settings_env(tmp_path))
    assert shown.returncode == 0, shown.stderr
    assert "The default rota, at Tue 8 September 2020 22:30 NZST" in shown.stdout
    assert "Primary on-call engineer" in shown.stdout and "paged again, 2 more time(s)" in shown.stdout
    refused = helpdesk("oncall", "--at", "tuesday", env=settings_env(tmp_path))
    assert refused.returncode != 0 and "--at" in refused.stderr


def test_a_day_and_a_week_later_the_same_hour_has_the_same_rota(db: Database, rota_file):
    tuesday_night = parse_instant("2020-09-08T22:30:00+12:00")
    assert oncall.current_rota(db, rota_file, at=tuesday_night + timedelta(days=7)).name == "nights"
