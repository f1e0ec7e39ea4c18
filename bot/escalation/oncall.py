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
    repeat: int = 0  # times the whole chain is paged again when nobody acknowledges (PagerDuty's num_loops)
    resolve_timeout: timedelta | None = None  # an acknowledged case still open this long re-pages its acknowledger

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


def load_rota(path: Path = ROTA_FILE) -> Rota:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        steps = tuple(
            Step(str(s["role"]), str(s["name"]), str(s["slack_user"]), str(s["phone"])) for s in data["steps"]
        )
        minutes = float(data.get("ack_timeout_minutes", 10))
        repeat = int(data.get("repeat", 0))
        resolve_minutes = data.get("resolve_timeout_minutes")
        resolve_minutes = None if resolve_minutes is None else float(resolve_minutes)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the on-call rota {path} cannot be read ({exc}); fix it as data/oncall.yml shows.") from None
    if not steps or minutes <= 0:
        raise ConfigError(f"the on-call rota {path} needs at least one step and a positive ack_timeout_minutes.")
    if repeat < 0 or (resolve_minutes is not None and resolve_minutes <= 0):
        raise ConfigError(f"the on-call rota {path}: repeat must be 0 or more, resolve_timeout_minutes positive.")
    resolve_timeout = None if resolve_minutes is None else timedelta(minutes=resolve_minutes)
    return Rota(steps, timedelta(minutes=minutes), repeat, resolve_timeout)


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
    return replace(rota, steps=tuple(steps))


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
