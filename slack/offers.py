"""The questions to review, each with the replies staff can teach it to, as the Slack app shows them.

Slack caps a menu option's value at 150 characters and a question can be 2,000, so an option carries only
the key of an offer: (the customer's exact question, a target), kept in the state database. Choosing the
option teaches exactly that text, never a cut or re-typed copy. The key is a hash of the pair, so showing
the same question again reuses its offers; offers not shown for KEEP are forgotten.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bot.answers import review as bot_review
from bot.answers.curated import TARGETS
from core.db import Database, Table, write_transaction
from core.schema import open_state_db
from helpdesk_slack.blocks import TeachOption
from helpdesk_slack.context import AppContext

TABLE = "slack_teach_offers"
KEEP = timedelta(days=90)  # as long as the tracker store keeps a conversation (HELPDESK_TRACKER_RETENTION_DAYS)
FAQ_CHOICES = 3  # the FAQ search's top entries offered for a question (plus any entry customers pressed)
MOST_FAQ_CHOICES = 5
# The bot's other replies (bot/answers/curated.py TARGETS), as staff see them in the menu.
OTHER_REPLIES = {
    "status": ("Live status of the migrations", "status: ask_status_now"),
    "contact": ("Customer's on-call contact form", "contact: give_oncall_contact"),
    "escalate": ("Urgent: phone numbers, offer the engineer", "escalate: urgent_problem"),
    "out_of_scope": ("Out of scope: politely refuse", "out_of_scope"),
}


@dataclass(frozen=True)
class Card:
    """A review group and the choices of its Teach menu."""

    item: bot_review.ReviewItem
    options: list[TeachOption]


def offer_key(text: str, target: str) -> str:
    return hashlib.sha256(f"{target}\n{text}".encode()).hexdigest()[:24]


def _table(db: Database) -> Table:
    return db[TABLE]


def remember(state_db: Path, offers: list[tuple[str, str]], now: datetime) -> None:
    """Keep each (text, target) under its key; forget offers not shown for KEEP."""
    db = open_state_db(state_db)
    try:
        with write_transaction(db):
            _table(db)
            db.execute(f"DELETE FROM {TABLE} WHERE shown_at < ?", [(now - KEEP).isoformat()])
            for text, target in offers:
                db.execute(
                    f"INSERT INTO {TABLE} (key, text, target, shown_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET shown_at = excluded.shown_at",
                    [offer_key(text, target), text, target, now.isoformat()],
                )
    finally:
        db.close()


def find(state_db: Path, key: str) -> tuple[str, str] | None:
    """The (text, target) of an offer, or None when it is unknown (forgotten, or not ours)."""
    db = open_state_db(state_db)
    try:
        row = next(iter(_table(db).rows_where("key = ?", [key])), None)
    finally:
        db.close()
    return (row["text"], row["target"]) if row else None


def newest(days: int) -> tuple[timedelta, datetime]:
    """The window review() reads: the real time, not HELPDESK_NOW, as Rasa stamps its events with the real time."""
    return timedelta(days=days), datetime.now(timezone.utc)


def questions(app: AppContext, days: int) -> list[bot_review.ReviewItem]:
    since, now = newest(days)
    return bot_review.review(app.settings, since, now)


def _faq_choices(app: AppContext, item: bot_review.ReviewItem) -> list[str]:
    """Entry ids: those customers pressed after the bot's reply first, then the FAQ search's best."""
    searcher = app.searcher
    hits = [hit.id for hit in searcher.search(item.text, k=FAQ_CHOICES).hits]
    wanted = [entry for entry in (*item.picked, *hits) if entry in searcher.by_id]
    return list(dict.fromkeys(wanted))[:MOST_FAQ_CHOICES]


def cards(app: AppContext, items: list[bot_review.ReviewItem]) -> list[Card]:
    """Each item with its Teach menu's options, the offers behind them remembered."""
    made: list[Card] = []
    pairs: list[tuple[str, str]] = []
    for item in items:
        options = []
        for entry in _faq_choices(app, item):
            found = app.searcher.by_id[entry]
            options.append(
                TeachOption(found.question, f"{found.title} ({entry})", offer_key(item.text, entry), faq=True)
            )
            pairs.append((item.text, entry))
        for target, intent in TARGETS.items():
            label, detail = OTHER_REPLIES.get(target, (target, intent))
            options.append(TeachOption(label, detail, offer_key(item.text, target), faq=False))
            pairs.append((item.text, target))
        made.append(Card(item, options))
    if pairs:
        remember(app.settings.state_store, pairs, datetime.now(timezone.utc))  # wall-clock: a matter of real days
    return made
