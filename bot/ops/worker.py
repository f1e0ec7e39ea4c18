"""The background worker: the clock-driven part of the helpdesk, one round every few seconds.

Each round pages the next step of the rota for unacknowledged escalations, tells the customers whose first
page has not gone out in time to ring instead, queues the maintenance notices that are due, and delivers the
outbox messages bound for customers' chats (through Rasa's API).
Slack-bound messages are delivered by the Slack app's own loop (slack/delivery.py). Once an hour it also
deletes the Rasa conversations silent for longer than HELPDESK_TRACKER_RETENTION_DAYS (bot/ops/retention.py).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial

from bot.escalation import chain, escalations
from bot.escalation.chain import ChainReport
from bot.escalation.oncall import rota_during
from bot.ops import rasa_client, retention
from bot.status import notices
from bot.status.schedule import Migration, load_migrations
from core import outbox
from core.db import Database
from core.errors import HelpdeskError, IndexMissing
from core.schema import state_database
from core.settings import Settings, describe

logger = logging.getLogger(__name__)
CHAT_KINDS = ("handoff", "relay_to_customer", "page_failed", "case_update")  # delivered here; the rest go to Slack
PRUNE_EVERY = timedelta(hours=1)


@dataclass
class RoundReport:
    chain: ChainReport = field(default_factory=ChainReport)
    told_page_failed: list[str] = field(default_factory=list)
    notices_queued: list[str] = field(default_factory=list)
    delivered: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def chain_lines(self) -> list[str]:
        """What the paging chain did this round, a line per case."""
        return (
            [f"{ref}: not acknowledged in time, paged the next step" for ref in self.chain.paged]
            + [
                f"{ref}: nobody acknowledged in any round of the rota; the support channel is told"
                for ref in self.chain.ended
            ]
            + [f"{ref}: acknowledged but still open; its acknowledger is reminded" for ref in self.chain.reminded]
            + [f"{ref}: still waiting; the customer is told where it stands" for ref in self.chain.updated]
        )


def deliver_to_chat(settings: Settings, message: outbox.OutboxMessage) -> None:
    """Tell the customer's chat that an engineer joined or left, what the engineer wrote, that their page did
    not go out (so they ring), or where their waiting case stands."""
    payload = message.payload
    entities = {"ref": payload["ref"], "engineer": payload.get("by") or ""}
    if message.kind == "handoff":
        intent = "EXTERNAL_handoff_started" if payload["status"] == "acknowledged" else "EXTERNAL_handoff_ended"
    elif message.kind == "relay_to_customer":
        intent, entities["text"] = "EXTERNAL_engineer_message", payload["text"]
    elif message.kind == "page_failed":
        intent, entities = "EXTERNAL_paging_failed", {"ref": payload["ref"]}
    elif message.kind == "case_update":
        intent = "EXTERNAL_case_update"
        entities = {key: str(payload.get(key) or "") for key in ("ref", "update", "role", "minutes")}
    else:
        raise ValueError(f"the worker does not deliver {message.kind!r} messages")
    rasa_client.trigger_intent(settings, payload["conversation_id"], intent, entities)


def queue_notices(db: Database, migrations: list[Migration], now: datetime) -> list[str]:
    """Put the maintenance notices that are due into the outbox, each once."""
    due = notices.notices_due(db, migrations, now)
    return [notice.key for notice in due if notices.queue(db, notice, now)]


def run_round(settings: Settings, now: datetime) -> RoundReport:
    """One round of the worker at `now` (tests call this with the clock they want), on one connection."""
    report = RoundReport()
    try:  # the schedule, read once: for the rota in force and the notices due
        migrations: list[Migration] | None = load_migrations(settings.faq_db)
    except IndexMissing as exc:  # paging and deliveries go on; only the notices wait for the index
        logger.error("helpdesk worker: no maintenance notices this round: %s", exc)
        migrations = None
    with state_database(settings.state_store) as db:
        report.chain = chain.advance(db, rota_during(db, migrations or [], now), now)
        report.told_page_failed = escalations.tell_customers_of_failed_pages(db, now)
        report.notices_queued = queue_notices(db, migrations, now) if migrations is not None else []
        drained = outbox.drain(
            db,
            lambda message: deliver_to_chat(settings, message),
            now,
            on_failure=partial(escalations.record_delivery_failure, db),
            kinds=CHAT_KINDS,
        )
    report.delivered, report.failed = drained.sent, drained.failed
    return report


def prune_tracker_if_due(settings: Settings, now: datetime, last_pruned: datetime | None) -> datetime | None:
    """Prune the tracker store if the last prune was at least PRUNE_EVERY ago; returns when it last pruned.

    `now` is the real time (Rasa stamps events with it; HELPDESK_NOW does not apply). A failed prune is
    logged and counts as done, so a broken file is retried an hour later, not every round.
    """
    if last_pruned is not None and now - last_pruned < PRUNE_EVERY:
        return last_pruned
    try:
        report = retention.prune_tracker(settings.conversations, timedelta(days=settings.tracker_retention_days), now)
    except HelpdeskError as exc:
        logger.error("helpdesk worker: pruning the tracker store failed (trying again in an hour): %s", exc)
    except Exception:  # retention must never stop paging
        logger.exception(
            "helpdesk worker: pruning the tracker store %s failed; trying again in an hour",
            describe(settings.conversations),
        )
    else:
        if report.conversations:
            logger.info(
                "helpdesk worker: deleted %d conversations (%d events) silent for more than %d days",
                report.conversations,
                report.events,
                settings.tracker_retention_days,
            )
    return now


def run(settings: Settings, stop: threading.Event | None = None) -> None:
    """Run rounds until `stop` is set, and prune the tracker store hourly; a failed round is logged and the next
    one tries again."""
    stop = stop or threading.Event()
    clock = settings.clock
    logger.info("helpdesk worker: a round every %.1f s", settings.worker_interval)
    last_pruned: datetime | None = None
    while not stop.is_set():
        try:
            report = run_round(settings, clock.now())
        except HelpdeskError as exc:
            logger.error("helpdesk worker: %s", exc)
        except Exception:  # the loop's edge: one bad round must not stop paging (or, under make run, everything)
            logger.exception("helpdesk worker: the round failed; trying again next round")
        else:
            for line in report.chain_lines():
                logger.info("%s", line)
            for ref in report.told_page_failed:
                logger.warning("%s: the first page has not gone out; the customer is told to ring", ref)
            for key, error in report.failed:
                logger.warning("delivery of %s failed (will retry): %s", key, error)
        last_pruned = prune_tracker_if_due(settings, datetime.now(timezone.utc), last_pruned)
        stop.wait(settings.worker_interval)
