"""The on-call rota (data/oncall.yml): who is paged, in which order, and how long each has to answer.

The rota can depend on the time: rotas under `rotas:` apply at the hours and weekdays they name (in the file's
`timezone`, Pacific/Auckland), the first that matches; otherwise `steps` does. During a maintenance window, the
engineer running it (`window_leads:`, by phase, e.g. prepare-aws-migration:2) is paged first. Staff changes
(`helpdesk oncall set`, Slack's /oncall set) change the steps of the rota in force then.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Collection
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.status import phase_status
from bot.status.schedule import Migration, load_migrations
from core.db import Database, write_transaction
from core.errors import ConfigError, IndexMissing
from core.settings import PROJECT_ROOT

ROTA_FILE = PROJECT_ROOT / "data" / "oncall.yml"


@dataclass(frozen=True)
class Step:
    role: str
    name: str
    slack_user: str
    phone: str


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Hours:
    """When a rota applies, in local time: weekdays, and a time of day range (it may wrap past midnight)."""

    days: frozenset[int] = frozenset(range(7))  # 0 = Monday
    start: time | None = None
    end: time | None = None

    def contain(self, local: datetime) -> bool:
        if self.start is None or self.end is None:
            return local.weekday() in self.days
        now = local.time()
        if self.start <= self.end:
            return local.weekday() in self.days and self.start <= now < self.end
        # past midnight ("17:30" to "08:30"): the night belongs to the day it began on
        began = local if now >= self.start else local - timedelta(days=1)
        return (now >= self.start or now < self.end) and began.weekday() in self.days


@dataclass(frozen=True)
class Rota:
    steps: tuple[Step, ...]
    ack_timeout: timedelta
    repeat: int = 0  # times the whole chain is paged again when nobody acknowledges (PagerDuty's num_loops)
    resolve_timeout: timedelta | None = None  # an acknowledged case still open this long re-pages its acknowledger
    customer_update: timedelta = timedelta(minutes=10)  # a waiting customer hears where their case stands this often
    name: str = "default"
    hours: Hours | None = None  # None: the default rota, in force when no other applies

    def policy(self) -> str:
        """The paging policy in a sentence or three (`helpdesk oncall`, Slack's /oncall)."""
        minutes = int(self.ack_timeout.total_seconds() // 60)
        text = f"An unacknowledged page moves to the next step after {minutes} min."
        if self.repeat:
            text += f" After the last step the whole rota is paged again, {self.repeat} more time(s)."
        text += " Then the support channel and the last step are told that nobody has acknowledged."
        if self.resolve_timeout:
            text += (
                f" A case acknowledged but still open after {int(self.resolve_timeout.total_seconds() // 60)} min "
                "re-pages whoever acknowledged it."
            )
        return text

    @property
    def final_contact(self) -> Step:
        """Who is told, with the support channel, when the chain has run out (the last step)."""
        return self.steps[-1]


@dataclass(frozen=True)
class RotaFile:
    """Everything data/oncall.yml says."""

    default: Rota
    timed: tuple[Rota, ...] = ()  # rotas with their hours, the first that applies wins
    window_leads: dict[str, Step] = field(default_factory=dict)  # phase ref -> the engineer running that window
    zone: ZoneInfo = ZoneInfo("Pacific/Auckland")

    def at(self, instant: datetime) -> Rota:
        local = instant.astimezone(self.zone)
        return next((rota for rota in self.timed if rota.hours and rota.hours.contain(local)), self.default)


def _step(data: dict) -> Step:
    return Step(str(data["role"]), str(data["name"]), str(data["slack_user"]), str(data["phone"]))


def _clock_time(text: object) -> time:
    hours, minutes = str(text).split(":")
    return time(int(hours), int(minutes))


def _hours(data: dict) -> Hours:
    days = data.get("days") or list(DAYS)
    unknown = [day for day in days if str(day).lower()[:3] not in DAYS]
    if unknown:
        raise ValueError(f"unknown days {unknown}; use mon, tue, wed, thu, fri, sat, sun")
    start, end = data.get("from"), data.get("to")
    if (start is None) != (end is None):
        raise ValueError("give both `from` and `to`, or neither")
    return Hours(
        frozenset(DAYS.index(str(day).lower()[:3]) for day in days),
        None if start is None else _clock_time(start),
        None if end is None else _clock_time(end),
    )


def load_rota_file(path: Path = ROTA_FILE) -> RotaFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        steps = tuple(_step(s) for s in data["steps"])
        minutes = float(data.get("ack_timeout_minutes", 10))
        repeat = int(data.get("repeat", 0))
        resolve_minutes = data.get("resolve_timeout_minutes")
        resolve_minutes = None if resolve_minutes is None else float(resolve_minutes)
        update_minutes = float(data.get("customer_update_minutes", 10))
        zone = ZoneInfo(str(data.get("timezone", "Pacific/Auckland")))
        if not steps or minutes <= 0:
            raise ValueError("it needs at least one step and a positive ack_timeout_minutes")
        if repeat < 0 or (resolve_minutes is not None and resolve_minutes <= 0) or update_minutes <= 0:
            raise ValueError("repeat must be 0 or more, resolve_timeout_minutes and customer_update_minutes positive")
        default = Rota(
            steps,
            timedelta(minutes=minutes),
            repeat,
            None if resolve_minutes is None else timedelta(minutes=resolve_minutes),
            timedelta(minutes=update_minutes),
        )
        timed = tuple(
            replace(default, steps=tuple(_step(s) for s in r["steps"]), name=str(r["name"]), hours=_hours(r["when"]))
            for r in data.get("rotas") or []
        )
        if any(not rota.steps for rota in timed):
            raise ValueError("every rota under `rotas` needs at least one step")
        leads = {str(ref): _step(lead) for ref, lead in (data.get("window_leads") or {}).items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as exc:
        raise ConfigError(f"the on-call rota {path} cannot be read ({exc}); fix it as data/oncall.yml shows.") from None
    return RotaFile(default, timed, leads, zone)


def load_rota(path: Path = ROTA_FILE) -> Rota:
    """The default rota of the file (the one in force when no timed rota applies)."""
    return load_rota_file(path).default


def _changes(db: Database):
    return db["oncall_changes"]


def current_rota(
    db: Database, path: Path = ROTA_FILE, at: datetime | None = None, running: Collection[str] = ()
) -> Rota:
    """The rota in force at `at` (the default one when `at` is None) with staff changes to its steps applied,
    and, while a window of `running` (phase refs) has a lead, that engineer paged first."""
    rotas = load_rota_file(path)
    rota = rotas.at(at) if at else rotas.default
    steps = list(rota.steps)
    mine = "rota = ? OR (rota IS NULL AND ? = 'default')"  # changes from before timed rotas were the default's
    for change in _changes(db).rows_where(mine, [rota.name, rota.name], order_by="id"):
        if change["step"] < len(steps):
            steps[change["step"]] = replace(
                steps[change["step"]], name=change["name"], slack_user=change["slack_user"], phone=change["phone"]
            )
    leads = [rotas.window_leads[ref] for ref in running if ref in rotas.window_leads]
    return replace(rota, steps=tuple(leads[:1] + [step for step in steps if step not in leads[:1]]))


def rota_in_force(faq_db: Path, db: Database, now: datetime, path: Path = ROTA_FILE) -> Rota:
    """The rota in force at `now`, the lead of a maintenance window running then paged first."""
    try:
        migrations = load_migrations(faq_db)
    except IndexMissing:
        migrations = []  # no schedule to know a window by: page the rota of the hour rather than nobody
    return rota_during(db, migrations, now, path)


def rota_during(db: Database, migrations: list[Migration], now: datetime, path: Path = ROTA_FILE) -> Rota:
    """As rota_in_force, with the schedule already read."""
    return current_rota(db, path, at=now, running=phase_status.windows_running(db, migrations, now))


def change_step(
    db: Database,
    step_number: int,
    name: str,
    slack_user: str,
    phone: str,
    by: str,
    now: datetime,
    path: Path = ROTA_FILE,
) -> Rota:
    """Put someone else on step `step_number` (1 = primary) of the rota in force at `now`; kept in the history."""
    rota = current_rota(db, path, at=now)
    if not 1 <= step_number <= len(rota.steps):
        raise ConfigError(f"the rota has steps 1 to {len(rota.steps)}; there is no step {step_number}.")
    if not name.strip() or not by.strip():
        raise ConfigError("say who goes on call (a name) and who makes the change.")
    old = rota.steps[step_number - 1]
    table = _changes(db)
    with write_transaction(table.db):
        table.insert(
            {
                "step": step_number - 1,
                "name": name.strip(),
                "slack_user": slack_user.strip() or old.slack_user,
                "phone": phone.strip() or old.phone,
                "by": by.strip(),
                "at": now.isoformat(),
                "rota": rota.name,
            }
        )
    return current_rota(db, path, at=now)
