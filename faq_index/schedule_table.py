"""Maintenance-window tables: rows of start, end, phase and impact become ScheduleRows."""

from __future__ import annotations

import re

from faq_index.dates import LOCAL_ZONE, parse_moment, stated_utc_time
from faq_index.model import ScheduleRow

_COLUMNS = {
    "start": r"\bstart",
    "end": r"\b(end|finish)",
    "phase": r"\b(phase|stage|step)",
    "impact": r"\b(impact|effect|affect)",
}


def schedule_columns(header: tuple[str, ...]) -> dict[str, int] | None:
    """Column positions when `header` is a schedule's header row (needs start and end)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        for name, pattern in _COLUMNS.items():
            if name not in found and re.search(pattern, cell, re.I):
                found[name] = index
                break
    return found if {"start", "end"} <= found.keys() else None


def _phase(cell: str) -> tuple[int | None, str]:
    match = re.match(r"\s*(?:phase|stage|step)\s*(\d+)\s*[:.\-–]?\s*(.*)", cell, re.I)
    if match:
        return int(match.group(1)), match.group(2).strip() or cell.strip()
    return None, cell.strip()


def read_schedule(rows: tuple[tuple[str, ...], ...], year: int, notes: list[str]) -> tuple[ScheduleRow, ...]:
    """ScheduleRows of a table whose first row is its header; rows that cannot be read are noted."""
    columns = schedule_columns(rows[0]) if rows else None
    if columns is None:
        return ()
    result = []
    for row in rows[1:]:
        cell = lambda name: row[columns[name]] if name in columns and columns[name] < len(row) else ""
        start, end = parse_moment(cell("start"), year), parse_moment(cell("end"), year)
        phase, name = _phase(cell("phase"))
        if start is None or end is None:
            notes.append(f"could not read the times of schedule row {' | '.join(row)!r}")
            continue
        for label, text, instant in (("start", cell("start"), start), ("end", cell("end"), end)):
            stated = stated_utc_time(text)
            if stated and stated != (instant.hour, instant.minute):
                notes.append(
                    f"{name}: {label} {text!r} states {stated[0]:02d}:{stated[1]:02d} UTC but the local time "
                    f"is {instant:%H:%M} UTC; the local time was used"
                )
        label = cell("phase").strip() or name
        result.append(ScheduleRow(phase, name, label, start, end, cell("impact"), cell("start"), cell("end")))
    return tuple(result)


def _zone_name(instant) -> str:
    return instant.astimezone(LOCAL_ZONE).tzname() or "NZ"


def render_schedule(rows: tuple[ScheduleRow, ...]) -> str:
    """The windows as a short chat list with NZ local and UTC times, not a pasted table."""
    lines = []
    for row in rows:
        local_start, local_end = row.start.astimezone(LOCAL_ZONE), row.end.astimezone(LOCAL_ZONE)
        lines.append(
            f"- {row.label}: {local_start:%a %-d %B %Y} {local_start:%H:%M}–{local_end:%H:%M} {_zone_name(row.end)} "
            f"({row.start:%H:%M}–{row.end:%H:%M} UTC)." + (f" {row.impact}" if row.impact else "")
        )
    return "\n".join(lines)


def render_table(rows: tuple[tuple[str, ...], ...]) -> str:
    """Any other table, one list line per row: 'header: value; header: value'."""
    if len(rows) < 2:
        return "\n".join("- " + "; ".join(row) for row in rows)
    header = rows[0]
    lines = []
    for row in rows[1:]:
        pairs = [f"{h}: {v}" if h else v for h, v in zip(header, row) if v]
        lines.append("- " + "; ".join(pairs))
    return "\n".join(lines)
