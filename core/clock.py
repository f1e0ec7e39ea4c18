"""The one clock: real time, or a fixed instant from HELPDESK_NOW for demos and tests."""

from __future__ import annotations

from datetime import datetime, timezone

from core.errors import ConfigError


def parse_instant(text: str, setting: str = "time") -> datetime:
    """An ISO 8601 instant as an aware UTC datetime; a time without offset is taken as UTC."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ConfigError(
            f"{setting}={text!r} is not an ISO 8601 instant; write it like 2020-09-08T10:30:00Z."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class Clock:
    """Tells the time; frozen at `fixed` when one is given."""

    def __init__(self, fixed: datetime | None = None) -> None:
        self._fixed = fixed

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(timezone.utc)
