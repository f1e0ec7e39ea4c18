"""A migration's phases, from a schedule table or, failing that, from the document's prose.

Prose such as "Phase 2: Work with our clients ... We are working to achieve this by 1-August-2019."
and "The next migration will take place Tuesday 2-July at 10 am ... between 10 am and 11 am (NZT)"
gives each phase its window or its deadline.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta, timezone

from faq_index.dates import LOCAL_ZONE, find_dates, find_time
from faq_index.model import ParsedDocument

_PHASE_PARAGRAPH = re.compile(r"^\s*((?:phase|stage|step)\s+(\d+))\s*[:.\-–]\s*(.+)", re.I | re.S)
_DEADLINE = re.compile(
    r"\b(?:by|before|no later than)\s+(?:the\s+)?(\d{1,2}(?:st|nd|rd|th)?[\s-]+\w+(?:[\s-]+\d{4})?)", re.I
)
_TIME = r"(\d{1,2}(?::\d{2})?\s*(?:am|pm))"
_RANGE = re.compile(rf"\bbetween\s+{_TIME}\s+and\s+{_TIME}", re.I)
_DURATION = re.compile(r"\b(?:last|take)s?\s+(?:for\s+)?(?:up to\s+)?(\d+)\s*(hour|hr|minute|min)", re.I)


@dataclass(frozen=True)
class Phase:
    number: int | None
    label: str  # "Phase 2: Messaging Core Migration"
    name: str
    start: datetime | None  # aware UTC; None when the phase has no window
    end: datetime | None
    deadline: datetime | None  # for phases that must be done by a date rather than in a window
    impact: str

    def to_row(self, file: str) -> dict:
        row = {key: value for key, value in asdict(self).items()}
        for key in ("start", "end", "deadline"):
            row[key] = row[key].isoformat() if row[key] else None
        return {"file": file, **row}


def _short_name(text: str) -> str:
    """A phase's description cut to a name: its first clause, at most twelve words."""
    clause = re.split(r"\s+(?:so that|in order to|which|where)\s+|[.,;(]", text, maxsplit=1)[0]
    return " ".join(clause.split()[:12])


def _local(day, hour_minute: tuple[int, int]) -> datetime:
    return datetime.combine(day, time(*hour_minute), tzinfo=LOCAL_ZONE).astimezone(timezone.utc)


def _deadline(text: str, year: int | None) -> datetime | None:
    match = _DEADLINE.search(text)
    dates = find_dates(match.group(1), default_year=year) if match else []
    # "by 1 August" means on or before that day: the end of it, New Zealand time.
    return _local(dates[0], (23, 59)) if dates else None


def _window(text: str, year: int | None) -> tuple[datetime, datetime] | None:
    """A dated window in prose: a date with 'between 10 am and 11 am', or 'at 10 am ... 1 hour'."""
    dates = find_dates(text, default_year=year)
    if not dates:
        return None
    between = _RANGE.search(text)
    if between:
        start, end = find_time(between.group(1)), find_time(between.group(2))
        if start and end:
            return _local(dates[0], start), _local(dates[0], end)
    start = find_time(text)
    duration = _DURATION.search(text)
    if start and duration:
        amount = int(duration.group(1)) * (60 if duration.group(2).lower().startswith("h") else 1)
        begin = _local(dates[0], start)
        return begin, begin + timedelta(minutes=amount)
    return None


def phases_of(doc: ParsedDocument, year: int | None) -> list[Phase]:
    """The document's phases: its schedule table rows, else its 'Phase N: ...' paragraphs."""
    table = [
        Phase(row.phase, row.label, row.name, row.start, row.end, None, row.impact)
        for entry in doc.entries
        for row in entry.schedule
    ]
    if table:
        return table
    paragraphs = [p.strip() for entry in doc.entries for p in entry.answer.split("\n\n") if p.strip()]
    defined = [(m, p) for p in paragraphs if (m := _PHASE_PARAGRAPH.match(p))]
    windows = [w for p in paragraphs if (w := _window(p, year))]
    phases = []
    unassigned = list(windows)
    for match, paragraph in defined:
        description = match.group(3).strip()
        name = _short_name(description)
        deadline = _deadline(description, year)
        window = unassigned.pop(0) if (deadline is None and unassigned) else None
        phases.append(
            Phase(
                int(match.group(2)),
                f"{match.group(1).title()}: {name}",
                name,
                window[0] if window else None,
                window[1] if window else None,
                deadline,
                description,
            )
        )
    return phases
