"""The on-call rota (data/oncall.yml): who is paged, in which order, and how long each has to answer."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from bot.errors import ConfigError
from bot.settings import PROJECT_ROOT

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
        steps = tuple(Step(str(s["role"]), str(s["name"]), str(s["slack_user"]), str(s["phone"])) for s in data["steps"])
        minutes = float(data.get("ack_timeout_minutes", 10))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"the on-call rota {path} cannot be read ({exc}); fix it as data/oncall.yml shows.") from None
    if not steps or minutes <= 0:
        raise ConfigError(f"the on-call rota {path} needs at least one step and a positive ack_timeout_minutes.")
    return Rota(steps, timedelta(minutes=minutes))
