"""What a parsed FAQ document is made of."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Block:
    """One structural piece of a document, whatever its format."""

    kind: str  # "heading", "question", "paragraph", "list", "table"
    text: str = ""
    level: int = 0  # heading depth; 0 when not a heading
    rows: tuple[tuple[str, ...], ...] = ()  # table rows, header first


@dataclass(frozen=True)
class ScheduleRow:
    """One maintenance window from a schedule table; instants are aware datetimes."""

    phase: int | None
    name: str
    label: str  # as the document writes it: "Phase 2: Messaging Core Migration"
    start: datetime
    end: datetime
    impact: str
    start_text: str
    end_text: str

    def to_json(self) -> dict:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        data["end"] = self.end.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ScheduleRow":
        return cls(
            **{**data, "start": datetime.fromisoformat(data["start"]), "end": datetime.fromisoformat(data["end"])}
        )


@dataclass(frozen=True)
class Entry:
    """A question with its answer, as the bot will give it."""

    question: str
    answer: str
    kind: str  # "question", "section" (a titled passage) or "intro"
    section: str | None = None
    schedule: tuple[ScheduleRow, ...] = ()


@dataclass(frozen=True)
class ParsedDocument:
    file: str
    format: str
    title: str
    dated: str | None  # ISO date of the newest full date the document mentions
    is_diff_export: bool
    entries: tuple[Entry, ...]
    text: str  # normalised plain text, for comparing versions
    notes: tuple[str, ...] = field(default=())

    @property
    def schedule(self) -> tuple[ScheduleRow, ...]:
        return tuple(row for entry in self.entries for row in entry.schedule)


def document_to_json(doc: ParsedDocument) -> dict:
    data = asdict(doc)
    data["entries"] = [
        {**asdict(entry), "schedule": [row.to_json() for row in entry.schedule]} for entry in doc.entries
    ]
    return data


def document_from_json(data: dict) -> ParsedDocument:
    entries = tuple(
        Entry(**{**entry, "schedule": tuple(ScheduleRow.from_json(row) for row in entry["schedule"])})
        for entry in data["entries"]
    )
    return ParsedDocument(**{**data, "entries": entries, "notes": tuple(data.get("notes", ()))})
