"""Maintenance notices for the Slack updates channel, as the FAQ's status page promises them:
a reminder one hour before each window (naming the phases still to come) and a notice when a
phase is reported completed. Computed here from the schedule, the reports and the clock; each is
queued once (the outbox key is the notice's) and the Slack app posts it, also after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.status.phase_status import history, states_from
from bot.status.schedule import Migration
from bot.status.status_replies import when
from core import outbox
from core.db import Database

REMINDER_LEAD = timedelta(hours=1)


@dataclass(frozen=True)
class Notice:
    key: str  # idempotency key: the same notice is never produced twice
    due: datetime
    text: str
    expires: datetime | None = None  # a reminder is pointless once its window has started


def schedule_of_notices(db: Database, migrations: list[Migration], now: datetime) -> list[Notice]:
    """Every notice, due or not, as the schedule and the reports known at `now` stand."""
    notices: list[Notice] = []
    events = history(db)
    for migration in migrations:
        phase_states = states_from(events, list(migration.phases), now)
        for index, state in enumerate(phase_states):
            if state.start is None or state.state in {"completed", "rolled back"}:
                continue
            later = [s.phase.label for s in phase_states[index + 1 :] if s.start]
            to_come = f" Still to come: {', '.join(later)}." if later else ""
            notices.append(
                Notice(
                    f"reminder:{state.phase.ref}:{state.start.isoformat()}",
                    state.start - REMINDER_LEAD,
                    f"Reminder: {state.phase.label} ({migration.title}) starts in 1 hour, {when(state.start)}, "
                    f"until {when(state.end)}. Impact: {state.phase.impact}{to_come}",
                    expires=state.start,
                )
            )
        refs = {phase.ref: phase for phase in migration.phases}
        for event in events:
            if event["state"] == "completed" and event["phase"] in refs and datetime.fromisoformat(event["at"]) <= now:
                phase = refs[event["phase"]]
                note = f" {event['note']}" if event["note"] else ""
                notices.append(
                    Notice(
                        f"completed:{phase.ref}:{event['id']}",
                        datetime.fromisoformat(event["at"]),
                        f"{phase.label} ({migration.title}) is completed.{note}",
                    )
                )
    return sorted(notices, key=lambda notice: notice.due)


def notices_due(db: Database, migrations: list[Migration], now: datetime) -> list[Notice]:
    """The notices due by `now` that have not been queued for the updates channel yet, oldest first."""
    due = [
        n for n in schedule_of_notices(db, migrations, now) if n.due <= now and (n.expires is None or now < n.expires)
    ]
    queued = outbox.queued_keys(db, [n.key for n in due])
    return [n for n in due if n.key not in queued]


def queue(db: Database, notice: Notice, now: datetime) -> bool:
    """Put a notice in the outbox for the Slack app to post; its key makes it once only, ever."""
    return outbox.enqueue(db, notice.key, "notice", {"text": notice.text}, now)
