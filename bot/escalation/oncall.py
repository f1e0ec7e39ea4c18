"""The on-call rota (data/oncall.yml): who is paged, in which order, and how long each has to answer."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from core.db import Database, write_transaction
from core.errors import ConfigError
from core.settings import PROJECT_ROOT

ROTA_FILE = PROJECT_ROOT / "data" / "oncall.yml"


@dataclass(frozen=True)
class Step:
    role: str
    name: str
    slack_user: str
    phone: str


@dataclass(frozen=True)
class Rota:
    steps: tuple[Step, ...]
    ack_timeout: timedelta


def load_rota(path: Path = ROTA_FILE) -> Rota:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        steps = tuple(
            Step(str(s["role"]), str(s["name"]), str(s["slack_user"]), str(s["phone"])) for s in data["steps"]
        )
        minutes = float(data.get("ack_timeout_minutes", 10))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the on-call rota {path} cannot be read ({exc}); fix it as data/oncall.yml shows.") from None
    if not steps or minutes <= 0:
        raise ConfigError(f"the on-call rota {path} needs at least one step and a positive ack_timeout_minutes.")
    return Rota(steps, timedelta(minutes=minutes))


def _changes(db: Database):
    return db["oncall_changes"]


def current_rota(db: Database, path: Path = ROTA_FILE) -> Rota:
    """The rota file with the latest change to each step (from `change_step`) applied."""
    rota = load_rota(path)
    steps = list(rota.steps)
    for change in _changes(db).rows_where(order_by="id"):
        if change["step"] < len(steps):
            steps[change["step"]] = replace(
                steps[change["step"]], name=change["name"], slack_user=change["slack_user"], phone=change["phone"]
            )
    return Rota(tuple(steps), rota.ack_timeout)


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
    """Put someone else on step `step_number` (1 = primary) of the rota; kept in the history."""
    rota = current_rota(db, path)
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
            }
        )
    return current_rota(db, path)
