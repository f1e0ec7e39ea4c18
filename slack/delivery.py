"""Delivers the outbox's Slack-bound messages (pages, customers' words, maintenance notices) and keeps the
Home tab current. Runs as a loop beside the Slack app; `run_round` is one pass at a given instant."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from functools import partial

from slack_sdk import WebClient

from bot.escalation import escalations
from bot.escalation.oncall import Step, current_rota
from core import outbox
from core.db import Database
from core.errors import ConfigError, HelpdeskError
from core.schema import state_database
from helpdesk_slack import blocks, home
from helpdesk_slack.context import AppContext
from helpdesk_slack.text import clip, escape, plain_sections

logger = logging.getLogger(__name__)
SLACK_KINDS = (
    "page",
    "transcript",
    "relay_to_engineer",
    "notice",
    "chain_ended",
    "resolve_reminder",
    "closed_by_customer",
)
RELAY_LIMIT = 12_000  # characters of one customer message shown in Slack (a message holds at most 50 blocks)


class SlackDelivery:
    def __init__(self, app: AppContext, client: WebClient) -> None:
        self.app = app
        self.client = client
        self._home_fingerprint: str | None = None
        # Slack's answer to each post whose outbox message is not yet marked sent, by outbox key: when the
        # database refuses the write after a post, the retry records that post instead of posting again.
        self._posted: dict[str, dict] = {}

    def _channel(self, name: str, setting: str) -> str:
        if not name:
            raise ConfigError(f"{setting} is not set, so this message has nowhere to go; set it to a channel ID.")
        return name

    def _post_once(self, message: outbox.OutboxMessage, **arguments) -> dict:
        """chat.postMessage for `message`, at most once in this process however often it is retried."""
        if message.key not in self._posted:
            response = self.client.chat_postMessage(**arguments)
            self._posted[message.key] = {"channel": response["channel"], "ts": response["ts"]}
        return self._posted[message.key]

    def send(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        """Deliver one outbox message; any exception leaves it queued for a retry."""
        senders = {
            "page": self._page,
            "transcript": self._transcript,
            "relay_to_engineer": self._relay,
            "notice": self._notice,
            "chain_ended": self._chain_ended,
            "resolve_reminder": self._resolve_reminder,
            "closed_by_customer": self._closed_by_customer,
        }
        senders[message.kind](db, message, now)

    def _page(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        payload = message.payload
        case = escalations.get(db, payload["ref"])
        rota = current_rota(db)  # for its timeouts; the person is the one the page was queued for
        step = Step(payload["role"], payload.get("name") or payload["role"], payload["slack_user"], payload["phone"])
        if case.status == "resolved" or (case.slack_ts and case.status != "triggered"):
            # Moot: closed before it went out, or a later step of a case someone took meanwhile. A first page of an
            # acknowledged case still goes: its thread is where the engineer and the customer talk.
            escalations.record_event(db, case.ref, "page not sent", f"{step.role}: the case is {case.status}", now)
            return
        if case.slack_ts:  # a later step: in the page's thread, shown in the channel too
            self._post_once(
                message,
                channel=case.slack_channel,
                thread_ts=case.slack_ts,
                reply_broadcast=True,
                text=(
                    blocks.reassigned(case, step, payload["reassigned_by"])
                    if payload.get("reassigned_by")
                    else blocks.next_step(case, step, rota, payload.get("round", 0))
                ),
            )
            escalations.record_event(db, case.ref, "page delivered", f"{step.role} in Slack", now)
            text, page_blocks = blocks.page(case, step, rota)  # the page itself shows who is paged now
            self.client.chat_update(channel=case.slack_channel, ts=case.slack_ts, text=text, blocks=page_blocks)
        else:
            channel = self._channel(self.app.settings.slack.oncall_channel, "SLACK_ONCALL_CHANNEL")
            text, page_blocks = blocks.page(case, step, rota)
            posted = self._post_once(message, channel=channel, text=text, blocks=page_blocks)
            escalations.first_page_posted(db, case.ref, posted["channel"], posted["ts"], step.role, now)

    def _transcript(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        case = escalations.get(db, message.payload["ref"])
        self._post_once(
            message,
            channel=case.slack_channel,
            thread_ts=case.slack_ts,
            text=escape(f"Transcript of {case.ref}"),
            blocks=blocks.transcript(case),
        )

    def _relay(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        case = escalations.get(db, message.payload["ref"])
        if not case.slack_ts:
            raise HelpdeskError(f"the page of {case.ref} has not reached Slack yet")
        text = f"Customer: {clip(message.payload['text'], RELAY_LIMIT)}"
        self._post_once(
            message, channel=case.slack_channel, thread_ts=case.slack_ts, text=escape(text), blocks=plain_sections(text)
        )

    def _chain_ended(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        """The support channel (SLACK_UPDATES_CHANNEL, else the on-call channel) hears that the rota ran out."""
        settings = self.app.settings.slack
        channel = self._channel(settings.updates_channel or settings.oncall_channel, "SLACK_UPDATES_CHANNEL")
        case = escalations.get(db, message.payload["ref"])
        self._post_once(message, channel=channel, text=blocks.chain_ended(case, message.payload))
        escalations.record_event(db, case.ref, "support channel told", message.payload["role"], now)

    def _resolve_reminder(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        case = escalations.get(db, message.payload["ref"])
        if not case.slack_ts:
            raise HelpdeskError(f"the page of {case.ref} has not reached Slack yet")
        text = blocks.resolve_reminder(case, message.payload)
        self._post_once(message, channel=case.slack_channel, thread_ts=case.slack_ts, reply_broadcast=True, text=text)

    def _closed_by_customer(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        """The customer cancelled their case or ended the chat: the page's thread hears it and the page shows it. A
        case whose page never reached Slack paged nobody, so there is nobody to tell (its page is not sent: _page)."""
        case = escalations.get(db, message.payload["ref"])
        if not case.slack_ts:
            return
        self._post_once(
            message,
            channel=case.slack_channel,
            thread_ts=case.slack_ts,
            reply_broadcast=True,
            text=blocks.closed_by_customer(case, message.payload.get("how", "")),
        )
        rota = current_rota(db)
        text, page_blocks = blocks.page(case, rota.steps[min(case.step, len(rota.steps) - 1)], rota)
        self.client.chat_update(channel=case.slack_channel, ts=case.slack_ts, text=text, blocks=page_blocks)

    def _notice(self, db: Database, message: outbox.OutboxMessage, now: datetime) -> None:
        channel = self._channel(self.app.settings.slack.updates_channel, "SLACK_UPDATES_CHANNEL")
        text = message.payload["text"]
        self._post_once(message, channel=channel, text=escape(text), blocks=plain_sections(text))

    def refresh_home(self) -> bool:
        """Republish the Home tab for everyone who opened it, when a phase's state has changed (staff's questions
        to review are read afresh then, and whenever they open the tab)."""
        viewers = home.viewers(self.app)
        if not viewers:
            return False  # nobody to show it to; whoever opens the tab gets it fresh
        view, fingerprint = home.view_and_fingerprint(self.app)
        if fingerprint == self._home_fingerprint:
            return False
        for user, personal in home.views_for(self.app, viewers, view):  # staff get the questions to review too
            self.client.views_publish(user_id=user, view=personal)
        self._home_fingerprint = fingerprint
        return True

    def run_round(self, now: datetime) -> outbox.DrainReport:
        with state_database(self.app.settings.state_store) as db:
            report = outbox.drain(
                db,
                lambda message: self.send(db, message, now),
                now,
                on_failure=partial(escalations.record_delivery_failure, db),
                kinds=SLACK_KINDS,
            )
        for key in report.sent:
            self._posted.pop(key, None)
        self.refresh_home()
        return report

    def run(self, stop: threading.Event, interval: float) -> None:
        """Rounds until `stop` is set; a failed round is logged and the next one tries again."""
        while not stop.is_set():
            try:
                report = self.run_round(self.app.settings.clock.now())
                for key, error in report.failed:
                    logger.warning("Slack delivery of %s failed (will retry): %s", key, error)
            except Exception:  # the loop's edge: log it and go on, the outbox keeps every message
                logger.exception("Slack delivery round failed")
            stop.wait(interval)
