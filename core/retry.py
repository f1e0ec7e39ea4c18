"""The one retry policy: doubling waits between tries, up to a longest wait."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    first: timedelta
    longest: timedelta

    def wait(self, failures: int) -> timedelta:
        """The wait after `failures` failed tries in a row: first, then twice as long each time, at most longest."""
        return min(self.first * (2 ** max(failures - 1, 0)), self.longest)
