"""Dates and times as FAQ documents write them ("Tues 8 September @ 21:00 pm NZST", "1-August-2019")."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

# The company's documents give local times in New Zealand; a time with no zone is taken as NZ time.
LOCAL_ZONE = ZoneInfo("Pacific/Auckland")
ZONES = {"NZST": LOCAL_ZONE, "NZDT": LOCAL_ZONE, "NZT": LOCAL_ZONE, "UTC": timezone.utc, "GMT": timezone.utc}

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?[\s-]+{_MONTH}\b(?:[\s,-]+(\d{{4}}))?", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?", re.I)
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b|\b(\d{1,2}):(\d{2})\b", re.I)
_ZONE = re.compile(r"\b(NZST|NZDT|NZT|UTC|GMT)\b")
_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")


def find_dates(text: str, default_year: int | None = None) -> list[date]:
    """Every calendar date in `text`, in order; dates without a year take `default_year`."""
    found: list[tuple[int, date]] = []
    for match in _DAY_MONTH.finditer(text):
        day, month, year = int(match.group(1)), MONTHS[match.group(2).lower()], match.group(3)
        found.append((match.start(), _make_date(year, month, day, default_year)))
    for match in _MONTH_DAY.finditer(text):
        month, day, year = MONTHS[match.group(1).lower()], int(match.group(2)), match.group(3)
        found.append((match.start(), _make_date(year, month, day, default_year)))
    return [d for _, d in sorted(found, key=lambda item: item[0]) if d is not None]


def _make_date(year: str | None, month: int, day: int, default_year: int | None) -> date | None:
    chosen = int(year) if year else default_year
    if chosen is None:
        return None
    try:
        return date(chosen, month, day)
    except ValueError:
        return None


def full_dates(text: str) -> list[date]:
    """Only the dates written with their year."""
    return find_dates(text, default_year=None)


def years(text: str) -> list[int]:
    return [int(y) for y in _YEAR.findall(text)]


def find_time(text: str) -> tuple[int, int] | None:
    """The first clock time: '21:00 pm' and '9 pm' give (21, 0); '12 am' gives (0, 0)."""
    match = _TIME.search(text)
    if not match:
        return None
    if match.group(3):
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3).lower()
        if hour <= 12:
            if meridiem == "pm" and hour < 12:
                hour += 12
            elif meridiem == "am" and hour == 12:
                hour = 0
    else:
        hour, minute = int(match.group(4)), int(match.group(5))
    if hour > 23 or minute > 59:
        return None
    return hour, minute


def parse_moment(text: str, year: int) -> datetime | None:
    """'Mon 7 September @ 21:00 pm NZST (@ 09:00 UTC)' as an aware UTC datetime.

    The local part (before any parenthesis) decides; its zone defaults to New Zealand time.
    """
    local_part = text.split("(", 1)[0]
    dates = find_dates(local_part, default_year=year)
    clock = find_time(local_part)
    if not dates or clock is None:
        return None
    zone_match = _ZONE.search(local_part)
    zone = ZONES[zone_match.group(1)] if zone_match else LOCAL_ZONE
    day = dates[0]
    local = datetime(day.year, day.month, day.day, clock[0], clock[1], tzinfo=zone)
    return local.astimezone(timezone.utc)


def stated_utc_time(text: str) -> tuple[int, int] | None:
    """The UTC clock time a cell states in parentheses, such as '(Mon 7 @ 13:00 UTC)'."""
    match = re.search(r"\(([^)]*UTC[^)]*)\)", text)
    return find_time(match.group(1)) if match else None
