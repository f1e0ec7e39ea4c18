"""Live phase status without a server: the schedule from the documents, reports, the clock, products."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import HELPDESK, helpdesk, settings_env

from bot.status.phase_status import StatusError, history, report, states
from bot.status.products import find_product, impact_on
from bot.status.schedule import UnknownPhase, find_phase, load_migrations, phase_in_text
from bot.status.status_replies import next_window, phase_reply, product_status, status_now, window_end
from core.clock import parse_instant
from core.db import Database


@pytest.fixture(scope="module")
def migrations(shipped_index: Path):
    return load_migrations(shipped_index)


def at(text: str):
    return parse_instant(text)


def state_at(migrations, db: Database, ref: str, instant: str) -> str:
    phase = find_phase(migrations, ref)
    return next(s.state for s in states(db, [phase], at(instant)) if s.phase == phase)


def test_the_schedule_comes_from_the_documents(migrations):
    assert [m.key for m in migrations] == ["run-the-red", "prepare-aws-migration"]  # oldest first
    aws = migrations[-1]
    assert [(p.number, p.start, p.end) for p in aws.phases] == [
        (n, at(f"2020-09-{6 + n:02d}T09:00:00Z"), at(f"2020-09-{6 + n:02d}T13:00:00Z")) for n in (1, 2, 3, 4)
    ]
    rtr_1, rtr_2 = migrations[0].phases
    # Tuesday 2 July 2019 10-11 am NZST is 22:00-23:00 UTC on Monday 1 July.
    assert (rtr_1.start, rtr_1.end) == (at("2019-07-01T22:00:00Z"), at("2019-07-01T23:00:00Z"))
    assert rtr_2.start is None and rtr_2.deadline == at("2019-08-01T23:59:00+12:00")


@pytest.mark.parametrize(
    "instant, expected",
    [
        ("2020-09-08T08:59:59Z", "scheduled"),  # a second before the window
        ("2020-09-08T09:00:00Z", "in progress"),  # the exact start
        ("2020-09-08T10:30:00Z", "in progress"),  # 22:30 NZST
        ("2020-09-08T12:59:59Z", "in progress"),
        ("2020-09-08T13:00:00Z", "window ended"),  # the exact end
        ("2020-09-09T10:00:00Z", "window ended"),  # during phase 3
    ],
)
def test_phase_two_by_the_clock(migrations, db: Database, instant: str, expected: str):
    assert state_at(migrations, db, "2", instant) == expected


def test_phase_two_is_running_at_2230_nzst(migrations, db: Database):
    now = at("2020-09-08T10:30:00Z")
    text = status_now(states(db, [p for m in migrations for p in m.phases], now), migrations, now).text
    assert (
        "Phase 2: Messaging Core Migration" in text
        and "is in progress until Wed 9 September 2020 01:00 NZST (Tue 13:00 UTC)" in text
    )
    assert "API and Omni will be unavailable" in text


def test_a_report_wins_over_the_clock_and_history_keeps_every_report(migrations, db: Database):
    phase = find_phase(migrations, "2")
    report(db, phase, "extended", at("2020-09-08T12:30:00Z"), by="alice", until=at("2020-09-08T14:00:00Z"))
    assert state_at(migrations, db, "2", "2020-09-08T13:30:00Z") == "in progress"
    assert state_at(migrations, db, "2", "2020-09-08T14:00:00Z") == "overrunning"
    report(db, phase, "completed", at("2020-09-08T13:45:00Z"), by="bob", note="All good")
    assert state_at(migrations, db, "2", "2020-09-08T13:50:00Z") == "completed"
    assert [(e["state"], e["by"]) for e in history(db)] == [("extended", "alice"), ("completed", "bob")]


def test_a_delay_moves_the_window(migrations, db: Database):
    phase = find_phase(migrations, "3")
    report(
        db,
        phase,
        "delayed",
        at("2020-09-09T05:00:00Z"),
        by="carol",
        start=at("2020-09-11T09:00:00Z"),
        until=at("2020-09-11T13:00:00Z"),
    )
    assert state_at(migrations, db, "3", "2020-09-09T10:00:00Z") == "scheduled"
    assert state_at(migrations, db, "3", "2020-09-11T10:00:00Z") == "in progress"


def test_a_report_made_after_a_fixed_clock_is_not_seen_at_that_time(migrations, db: Database):
    report(db, find_phase(migrations, "1"), "rolled_back", at("2020-09-07T12:00:00Z"), by="dan")
    assert state_at(migrations, db, "1", "2020-09-07T11:00:00Z") == "in progress"
    assert state_at(migrations, db, "1", "2020-09-07T12:30:00Z") == "rolled back"


@pytest.mark.parametrize(
    "state, kwargs, message",
    [
        ("paused", {}, "unknown state 'paused'"),
        ("extended", {}, "needs its new end"),
        ("delayed", {"until": "2020-09-11T13:00:00Z"}, "needs the new window"),
    ],
)
def test_a_bad_report_is_refused_and_changes_nothing(migrations, db: Database, state, kwargs, message):
    parsed = {key: at(value) for key, value in kwargs.items()}
    with pytest.raises(StatusError, match=message):
        report(db, find_phase(migrations, "2"), state, at("2020-09-08T10:00:00Z"), by="eve", **parsed)
    assert history(db) == []


@pytest.mark.parametrize(
    "ref, label",
    [
        ("2", "Phase 2: Messaging Core Migration"),
        ("phase 4", "Phase 4: API End-Point Migration"),
        ("run-the-red:1", "Phase 1: Re-routing traffic within the Modica platform"),
        ("omni web interface", "Phase 3: Omni Web Interface Migration"),
    ],
)
def test_phases_are_found_by_number_key_or_name(migrations, ref: str, label: str):
    assert find_phase(migrations, ref).label == label


def test_an_unknown_phase_lists_the_known_ones(migrations):
    with pytest.raises(UnknownPhase, match="prepare-aws-migration:4"):
        find_phase(migrations, "phase 9")


def test_during_phase_three_existing_api_applications_work_but_the_web_interface_does_not(migrations, db: Database):
    phase_three = find_phase(migrations, "3")
    assert impact_on("API", phase_three.impact).status == "partly available"
    assert "existing API applications should work normally" in impact_on("API", phase_three.impact).evidence
    assert impact_on("Omni web interface", phase_three.impact).status == "unavailable"
    now = at("2020-09-09T10:00:00Z")
    text = product_status("Web2SMS", states(db, [phase_three], now), migrations, now).text
    assert "Web2SMS is unavailable" in text and "ends Thu 10 September 2020 01:00 NZST" in text


@pytest.mark.parametrize(
    "message, product",
    [
        ("can I use Web2SMS now?", "Web2SMS"),
        ("are API requests working?", "API"),
        ("is the omni dashboard down", "Omni web interface"),
        ("will DLRs be late", "Messages and delivery receipts"),
    ],
)
def test_products_are_recognised_in_questions(message: str, product: str):
    assert find_product(message) == product


def test_when_the_running_window_ends(migrations, db: Database):
    now = at("2020-09-10T11:00:00Z")
    text = window_end(states(db, [p for m in migrations for p in m.phases], now), migrations, now).text
    assert text.endswith(
        "Phase 4: API End-Point Migration ends Fri 11 September 2020 01:00 NZST (Thu 13:00 UTC), in 2 hours."
    )


@pytest.fixture
def cli_env(tmp_path: Path, shipped_index: Path) -> dict[str, str]:
    return settings_env(tmp_path, HELPDESK_FAQ_DB=str(shipped_index), HELPDESK_NOW="2020-09-08T10:30:00Z")


def test_status_set_and_history_from_the_command_line(cli_env):
    shown = helpdesk("status", env=cli_env)
    assert "Phase 2: Messaging Core Migration" in shown.stdout and "in progress" in shown.stdout
    done = helpdesk("status", "set", "2", "completed", "--note", "Finished early", "--by", "alice", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "completed (reported)" in helpdesk("status", env=cli_env).stdout
    assert "Finished early" in helpdesk("status", "history", env=cli_env).stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["status", "set", "phase 9", "started"], "no phase matches 'phase 9'"),
        (["status", "set", "2", "paused"], "unknown state 'paused'"),
        (["status", "set", "2", "extended", "--until", "tomorrow"], "is not an ISO 8601 instant"),
    ],
)
def test_bad_status_input_is_one_clear_line_and_changes_nothing(cli_env, args, message):
    result = helpdesk(*args, env=cli_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert helpdesk("status", "history", env=cli_env).stdout.count("\n") == 2  # header and rule only


def test_two_processes_reporting_at_once_lose_nothing(cli_env, tmp_path: Path):
    script = (
        "import sys\n"
        "from core.settings import Settings\n"
        "from bot.status.schedule import load_migrations, find_phase\n"
        "from bot.status.phase_status import report\n"
        "from core.schema import state_database\n"
        "s = Settings.from_env()\n"
        "phase = find_phase(load_migrations(s.faq_db), '2')\n"
        "for n in range(100):\n"
        "    with state_database(s.state_db) as db:\n"
        "        report(db, phase, 'started', s.clock.now(), by=sys.argv[1], note=str(n))\n"
    )
    env = {**os.environ, **cli_env}
    workers = [
        subprocess.Popen([str(Path(HELPDESK).with_name("python")), "-c", script, name], env=env) for name in ("a", "b")
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    with sqlite3.connect(tmp_path / "helpdesk.db") as db:
        counts = dict(db.execute("select by, count(*) from status_events group by by").fetchall())
    assert counts == {"a": 100, "b": 100}


def test_a_reminder_is_due_one_hour_before_each_window_and_names_the_phases_to_come(migrations, db: Database):
    from bot.status.notices import notices_due

    assert [
        n.key
        for n in notices_due(db, migrations[-1:], at("2020-09-08T07:59:59Z"))
        if "prepare-aws-migration:2" in n.key
    ] == []
    due = [n for n in notices_due(db, migrations[-1:], at("2020-09-08T08:00:00Z")) if "migration:2" in n.key]
    assert len(due) == 1 and due[0].due == at("2020-09-08T08:00:00Z")
    assert "Phase 2: Messaging Core Migration" in due[0].text and "starts in 1 hour" in due[0].text
    assert "Still to come: Phase 3: Omni Web Interface Migration, Phase 4: API End-Point Migration." in due[0].text


def test_each_notice_is_due_once_and_a_completion_produces_one(migrations, db: Database):
    from bot.status.notices import notices_due, queue

    now = at("2020-09-08T14:00:00Z")
    for notice in notices_due(db, migrations, now):
        queue(db, notice, now)
    assert notices_due(db, migrations, now) == []
    report(db, find_phase(migrations, "2"), "completed", now, by="ops", note="All traffic on AWS")
    completed = notices_due(db, migrations, at("2020-09-08T14:01:00Z"))
    assert [n.text for n in completed] == [
        "Phase 2: Messaging Core Migration (Prepare AWS Migration - More information) is completed. All traffic on AWS"
    ]
    queue(db, completed[0], at("2020-09-08T14:01:00Z"))
    assert notices_due(db, migrations, at("2020-09-08T15:00:00Z")) == []


def test_a_delayed_window_gets_a_new_reminder(migrations, db: Database):
    from bot.status.notices import notices_due

    report(
        db,
        find_phase(migrations, "4"),
        "delayed",
        at("2020-09-09T00:00:00Z"),
        by="ops",
        start=at("2020-09-12T09:00:00Z"),
        until=at("2020-09-12T13:00:00Z"),
    )
    due = notices_due(db, migrations, at("2020-09-12T08:00:00Z"))
    assert [n.due for n in due if "migration:4" in n.key] == [at("2020-09-12T08:00:00Z")]


def test_a_reminder_whose_window_has_started_is_no_longer_sent(migrations, db: Database):
    from bot.status.notices import notices_due

    assert notices_due(db, migrations, at("2020-09-08T09:00:00Z")) == []
    assert notices_due(db, migrations, at("2020-12-01T00:00:00Z")) == []


def test_a_phase_number_is_of_the_migration_the_message_names(migrations, shipped_index: Path):
    from faq_index.search import FaqSearcher

    named = FaqSearcher(shipped_index).mentioned_documents
    older = "is phase 1 of the RedX migration done?"
    assert phase_in_text(migrations, older, named(older)).migration == "run-the-red"
    latest = "is phase 1 done?"
    assert phase_in_text(migrations, latest, named(latest)).migration == migrations[-1].key == "prepare-aws-migration"


def test_between_windows_whats_next_says_first_that_nothing_runs_now(migrations, db: Database):
    now = at("2020-09-08T22:00:00Z")  # Wed 10:00 NZST: phase 2 ended at 01:00, phase 3 starts at 21:00
    reply = next_window(states(db, [p for m in migrations for p in m.phases], now), migrations, now)
    assert reply.response == "utter_status_quiet"
    assert reply.values["next"].startswith("The next maintenance window: Phase 3: Omni Web Interface Migration")


def test_a_named_phase_asked_between_windows_says_nothing_runs_and_what_is_next(migrations, db: Database):
    now = at("2020-09-07T13:05:00Z")  # five minutes after phase 1's window
    all_states = states(db, [p for m in migrations for p in m.phases], now)
    phase_one = next(s for s in all_states if s.phase == find_phase(migrations, "1"))
    reply = phase_reply(phase_one, all_states, migrations, now)
    assert reply.response == "utter_status_phase_quiet" and "Phase 1" in reply.values["phase"]
    assert reply.values["next"].startswith("The next maintenance window: Phase 2")
    phase_two = next(s for s in all_states if s.phase == find_phase(migrations, "2"))
    assert phase_reply(phase_two, all_states, migrations, now).values["next"] == ""  # it is the next one: said once


def test_a_named_phase_asked_during_a_window_is_its_state_alone(migrations, db: Database):
    now = at("2020-09-08T10:30:00Z")
    all_states = states(db, [p for m in migrations for p in m.phases], now)
    phase_one = next(s for s in all_states if s.phase == find_phase(migrations, "1"))
    assert phase_reply(phase_one, all_states, migrations, now).response == "utter_status_phase"
