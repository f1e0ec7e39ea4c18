"""The migrations and their phases, as the FAQ documents give them (read from the FAQ index)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Collection

from rapidfuzz import fuzz, process

from core.db import connect, require_index
from core.errors import HelpdeskError


class UnknownPhase(HelpdeskError):
    """A phase reference that names no phase."""


@dataclass(frozen=True)
class Phase:
    migration: str  # the migration's key, e.g. "prepare-aws-migration"
    number: int | None
    label: str
    name: str
    start: datetime | None
    end: datetime | None
    deadline: datetime | None
    impact: str

    @property
    def ref(self) -> str:
        return f"{self.migration}:{self.number}"


@dataclass(frozen=True)
class Migration:
    key: str
    title: str
    file: str
    phases: tuple[Phase, ...]

    @property
    def begins(self) -> datetime | None:
        times = [t for p in self.phases for t in (p.start, p.deadline) if t]
        return min(times) if times else None


def migration_key(title: str) -> str:
    """A short, stable name for a migration: the first three words of its document's title."""
    return "-".join(re.findall(r"[a-z0-9]+", title.lower())[:3]) or "migration"


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def load_migrations(faq_db: Path) -> list[Migration]:
    """Every migration with phases, oldest first (the most recent one is last)."""
    require_index(faq_db, "phases")
    db = connect(faq_db)
    titles = {
        row["file"]: row["title"] for row in db.query("select file, title from documents where status = 'indexed'")
    }
    migrations = []
    for file, title in titles.items():
        key = migration_key(title)
        phases = tuple(
            Phase(
                key,
                row["number"],
                row["label"],
                row["name"],
                _instant(row["start"]),
                _instant(row["end"]),
                _instant(row["deadline"]),
                row["impact"],
            )
            for row in db.query("select * from phases where file = ? order by number", [file])
        )
        if phases:
            migrations.append(Migration(key, title, file, phases))
    return sorted(migrations, key=lambda m: m.begins.timestamp() if m.begins else float("-inf"))


def find_phase(migrations: list[Migration], ref: str) -> Phase:
    """A phase by 'KEY:N', 'N' or 'phase N' (the most recent migration), or by a fragment of its name."""
    text = ref.strip()
    if not migrations:
        raise UnknownPhase("no migration schedule is known; add the FAQ documents and run `helpdesk faq build`.")
    match = re.fullmatch(r"(?:(?P<key>[\w-]+):)?\s*(?:phase\s*)?(?P<number>\d+)", text, re.I)
    if match:
        candidates = [m for m in migrations if m.key == match["key"]] if match["key"] else [migrations[-1]]
        for migration in candidates:
            for phase in migration.phases:
                if phase.number == int(match["number"]):
                    return phase
    else:
        phases = [phase for migration in reversed(migrations) for phase in migration.phases]
        best = (
            process.extractOne(
                text.lower(), [p.label.lower() for p in phases], scorer=fuzz.partial_ratio, score_cutoff=80
            )
            if len(text) >= 4
            else None
        )
        if best:
            return phases[best[2]]
    known = ", ".join(p.ref for m in migrations for p in m.phases)
    raise UnknownPhase(f"no phase matches {ref!r}; use a phase number (e.g. 2) or one of: {known}.")


_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def phase_in_text(migrations: list[Migration], text: str, named_files: Collection[str] = ()) -> Phase | None:
    """The phase a message asks about ('is phase 2 done?', 'the messaging core migration'), if any; a phase
    number is of the migration the message names (`named_files`: FaqSearcher.mentioned_documents), else the
    most recent one."""
    lowered = text.lower()
    number = re.search(r"\b(?:phase|stage|step)\s*(\d+|one|two|three|four|five|six)\b", lowered)
    scope = [m for m in migrations if m.file in named_files][-1:] or migrations[-1:]
    if number:
        wanted = int(number.group(1)) if number.group(1).isdigit() else _NUMBER_WORDS[number.group(1)]
        return next((p for m in scope for p in m.phases if p.number == wanted), None)
    phases = [p for m in reversed(migrations) for p in m.phases]
    best = process.extractOne(lowered, [p.name.lower() for p in phases], scorer=fuzz.partial_ratio, score_cutoff=85)
    return phases[best[2]] if best else None
