"""`helpdesk review`: the customers' questions that went badly, read from Rasa's tracker store, grouped.

Rasa's SQLTrackerStore (endpoints.yml) keeps every event in one table, `events` (id, sender_id, type_name,
timestamp in float seconds, intent_name, action_name, data: the event as JSON, as Rasa's HTTP API gives it).
Each customer message (a `user` event that is not a button's payload or an EXTERNAL_ intent) and the events up
to the next one are classified with `bot.answers.evaluation.what_the_bot_did`, as `helpdesk eval` classifies them, and
listed when:
- refused: out of scope, Rasa's fallback, or the FAQ's "I don't know" (also when the offer of a person
  followed it);
- choices: buttons instead of an answer;
- narrow: an FAQ answer whose fused score was under NARROW_SCORE, or less than NARROW_MARGIN ahead of the
  next other entry (actions/faq.py records both in the bot event's metadata, key "faq": bot/answers/faq.py
  FaqReply.record);
- picked another: the customer's next message was a button for an entry other than the one answered;
- negative feedback: the customer voted 👎 on the bot's reply to it (an intent in NEGATIVE_FEEDBACK_INTENTS).
Similar texts are grouped, newest first.

Votes (the web chat's thumbs; bot/chat/chat_input.py) are user events too, but not customer messages: they come
whenever the customer likes, after further questions as well. A vote names the reply it rates by the
customer's message that reply answered, `{"rated": "n"}`: the n-th customer message of the conversation,
counted as the widget counts them (every user event but votes and EXTERNAL_ intents). It rates the question
at or before that message (a reply to a button press rates the question that led to the buttons). A vote
naming no message, or one the conversation does not have, rates the latest question before it. Thumbs up
are counted with the group (`feedback` in the JSON) but list nothing by themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable, Iterator

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

from bot.answers.curated import training_examples
from bot.answers.evaluation import CHOICES, ENTRY, NONE, Entries, Outcome, offered_entries, what_the_bot_did
from bot.answers.faq import CHOICE_INTENT, entry_of_payload
from bot.chat.chat_input import RATED
from core.db import Location, open_database
from core.errors import ConfigError
from core.settings import Settings
from faq_index.training_data import normalise_question

# Why a question is listed.
REFUSED, CHOICE, NARROW, PICKED_ANOTHER, NEGATIVE_FEEDBACK = (
    "refused",
    "choices",
    "narrow",
    "picked another",
    "negative feedback",
)
NARROW_SCORE = (
    0.30  # an answer with a fused score under this was only just answered (bot/answers/faq.py ANSWER_AT: 0.25)
)
NARROW_MARGIN = 0.05  # ... or with the next other entry this close behind it (fused-score units)
# The intents of a customer's "that did not help" and "that helped": the web chat's 👎 and 👍 under an answer.
NEGATIVE_FEEDBACK_INTENTS = frozenset({"feedback_negative"})
POSITIVE_FEEDBACK_INTENTS = frozenset({"feedback_positive"})
SIMILAR = 85  # rapidfuzz token_set_ratio (0..100, lower-cased, punctuation ignored) from which texts are grouped
SHORTER_SHARE = 0.6  # ... when the shorter text has at least this share of the longer one's words
NOT_QUESTIONS = frozenset({CHOICE_INTENT, "message_too_long"})  # a button pressed; a message not read
_EVENTS = ("user", "bot", "action", "active_loop")  # what what_the_bot_did reads
_NUMBER = re.compile(r"\d+")


@dataclass(frozen=True)
class Turn:
    """One customer message and what the bot did with it."""

    conversation: str
    text: str
    at: datetime
    reasons: tuple[str, ...]
    did: str  # what the bot did, in a few words
    answered: str | None = None  # the entry id answered
    offered: tuple[str, ...] = ()  # the entry ids of its buttons
    picked: str | None = None  # the entry id of the button the customer pressed next
    negative: int = 0  # the customer's 👎 votes on the reply
    positive: int = 0  # ... and 👍 votes


@dataclass
class ReviewItem:
    """A group of similar questions that went badly; the newest one speaks for the group."""

    text: str
    count: int
    last_asked: datetime
    conversation: str  # the newest one's conversation id (RASA sender id)
    did: str  # what the bot did with the newest one
    reasons: tuple[str, ...]  # every reason in the group
    answered: str | None = None  # the newest one's answer (an entry id)
    offered: tuple[str, ...] = ()  # the entry ids of the buttons the newest one got
    picked: tuple[str, ...] = ()  # every entry a customer of the group pressed after the bot's reply
    texts: tuple[str, ...] = ()  # every distinct text in the group, newest first
    conversations: tuple[str, ...] = ()  # every conversation in the group, newest first
    negative: int = 0  # 👎 votes on the replies to the group's questions
    positive: int = 0  # 👍 votes on them
    turns: list[Turn] = field(default_factory=list, repr=False)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "count": self.count,
            "last_asked": self.last_asked.isoformat(),
            "conversation": self.conversation,
            "did": self.did,
            "reasons": list(self.reasons),
            "answered": self.answered,
            "offered": list(self.offered),
            "picked": list(self.picked),
            "texts": list(self.texts),
            "conversations": list(self.conversations),
            "feedback": {"negative": self.negative, "positive": self.positive},
        }


def review(settings: Settings, since: timedelta, now: datetime) -> list[ReviewItem]:
    """The questions asked in (now - since, now] that went badly, grouped by similar text, newest group first.

    `now` should be the real time: Rasa stamps its events with time.time(), not HELPDESK_NOW. A question already
    in the training data (taught since, or an example all along) is left out, someone has acted on it, unless a
    customer said the reply did not help: then the answer itself may be what needs work.
    """
    entries = Entries.of_index(settings.faq_db)
    known = {normalise_question(example.text) for example in training_examples(settings.root)}
    turns = [
        turn
        for turn in _turns(settings.conversations, now - since, now, entries)
        if turn.reasons and (NEGATIVE_FEEDBACK in turn.reasons or normalise_question(turn.text) not in known)
    ]
    return group(turns)


def _turns(conversations: Location, start: datetime, end: datetime, entries: Entries) -> Iterator[Turn]:
    if isinstance(conversations, Path) and not conversations.is_file():
        raise ConfigError(
            f"there is no tracker store at {conversations}; set RASA_TRACKER_DB to the Rasa server's "
            "(`make run` uses var/tracker.db), or talk to the bot first."
        )
    db = open_database(conversations)
    try:
        if not db["events"].exists():
            return
        placeholders = ", ".join("?" for _ in _EVENTS)
        rows = db.execute(
            f"SELECT sender_id, data FROM events WHERE type_name IN ({placeholders}) AND sender_id IN "
            "(SELECT DISTINCT sender_id FROM events WHERE type_name = 'user' AND timestamp > ? AND timestamp <= ?) "
            "ORDER BY sender_id, id",
            (*_EVENTS, start.timestamp(), end.timestamp()),
        )
        conversation: list[dict] = []
        sender = None
        for row_sender, data in rows:
            if row_sender != sender and conversation:
                yield from _classify(sender, conversation, start, end, entries)
                conversation = []
            sender = row_sender
            conversation.append(json.loads(data))
        if conversation:
            yield from _classify(sender, conversation, start, end, entries)
    finally:
        db.close()


def _intent(event: dict) -> str:
    return str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")


def _is_question(event: dict) -> bool:
    intent = _intent(event)
    text = (event.get("text") or "").strip()
    return (
        bool(text) and not text.startswith("/") and intent not in NOT_QUESTIONS and not intent.startswith("EXTERNAL_")
    )


def _is_vote(event: dict) -> bool:
    return _intent(event) in NEGATIVE_FEEDBACK_INTENTS | POSITIVE_FEEDBACK_INTENTS


def _rated(vote: dict) -> int | None:
    """The customer message (1 = the conversation's first) whose reply the vote names, if it names one."""
    values = [
        entity.get("value")
        for entity in (vote.get("parse_data") or {}).get("entities") or []
        if entity.get("entity") == RATED
    ]
    value = values[0] if values else None
    return int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else None


def _votes(events: list[dict], users: list[int]) -> dict[int, tuple[int, int]]:
    """(👎, 👍) per question (its index in `events`), from the conversation's votes (see the module docstring)."""
    messages = [n for n in users if not _is_vote(events[n]) and not _intent(events[n]).startswith("EXTERNAL_")]
    votes: dict[int, tuple[int, int]] = {}
    for v in (n for n in users if _is_vote(events[n])):
        before = [n for n in messages if n < v]
        rated = _rated(events[v])
        if rated and rated <= len(before):
            before = before[:rated]  # up to the message whose reply it rates
        question = next((n for n in reversed(before) if _is_question(events[n])), None)
        if question is not None:
            negative, positive = votes.get(question, (0, 0))
            down = _intent(events[v]) in NEGATIVE_FEEDBACK_INTENTS
            votes[question] = (negative + down, positive + (not down))
    return votes


def _classify(sender: str, events: list[dict], start: datetime, end: datetime, entries: Entries) -> Iterator[Turn]:
    """Each question of one conversation (its events in order) asked between start and end, with its reasons."""
    users = [n for n, event in enumerate(events) if event.get("event") == "user"]
    votes = _votes(events, users)
    for position, n in enumerate(users):
        question = events[n]
        at = datetime.fromtimestamp(float(question.get("timestamp") or 0), timezone.utc)
        if not (_is_question(question) and start < at <= end):
            continue
        following = users[position + 1] if position + 1 < len(users) else len(events)
        turn = events[n:following]
        outcome = what_the_bot_did({"events": turn}, entries)
        nxt = next((events[m] for m in users[position + 1 :] if not _is_vote(events[m])), None)
        yield _turn(sender, question["text"].strip(), at, outcome, turn, nxt, entries, *votes.get(n, (0, 0)))


def _record(turn: list[dict]) -> dict:
    """What action_answer_faq recorded about its reply (bot/answers/faq.py FaqReply.record), if it answered."""
    for event in turn:
        if event.get("event") == "bot" and isinstance((event.get("metadata") or {}).get("faq"), dict):
            return event["metadata"]["faq"]
    return {}


def _turn(
    sender: str,
    text: str,
    at: datetime,
    outcome: Outcome,
    turn: list[dict],
    nxt: dict | None,
    entries: Entries,
    negative: int = 0,
    positive: int = 0,
) -> Turn:
    # The FAQ action's own record decides for its replies (it holds even when the index has changed since);
    # the tracker's actions and texts, classified as `helpdesk eval` does, for the rest and for older events.
    record = _record(turn)
    kind = record.get("kind")
    ids = {label: entry_id for entry_id, label in entries.labels.items()}
    answered = record.get("entry") if kind == "answer" else ids.get(outcome.entry or "") if not kind else None
    replies = [{"buttons": (e.get("data") or {}).get("buttons") or []} for e in turn if e.get("event") == "bot"]
    offered = tuple(sorted(offered_entries(replies)))
    picked = entry_of_payload((nxt.get("text") or "").strip()) if nxt else None
    reasons: list[str] = []
    if kind == "unknown" or "action_out_of_scope" in outcome.actions or (outcome.kind == NONE and not kind):
        reasons.append(REFUSED)
    if kind == "choices" or (outcome.kind == CHOICES and not kind):
        reasons.append(CHOICE)
    if kind == "answer" and (
        float(record.get("score", 1.0)) < NARROW_SCORE or float(record.get("margin", 1.0)) < NARROW_MARGIN
    ):
        reasons.append(NARROW)
    if answered and picked and picked != answered:
        reasons.append(PICKED_ANOTHER)
    if negative:
        reasons.append(NEGATIVE_FEEDBACK)
    return Turn(
        sender,
        text,
        at,
        tuple(reasons),
        _did(outcome, record, answered, offered),
        answered,
        offered,
        picked,
        negative,
        positive,
    )


def _did(outcome: Outcome, record: dict, answered: str | None, offered: tuple[str, ...]) -> str:
    """What the bot did, short: "answered <entry> (score 0.39, margin 0.02)", "choices: a / b", "don't know"."""
    kind = record.get("kind")
    offer = "; offered a person" if outcome.kind not in (NONE, CHOICES, ENTRY) else ""
    if kind == "unknown":
        return "don't know" + offer
    if "action_out_of_scope" in outcome.actions:
        return "out of scope" + offer
    if kind == "choices" or (outcome.kind == CHOICES and not kind):
        return "choices: " + " / ".join(offered)
    if answered:
        figures = ", ".join(f"{name} {record[name]:.2f}" for name in ("score", "margin") if name in record)
        return f"answered {answered}" + (f" ({figures})" if figures else "")
    if outcome.kind == NONE:
        return "refused (" + ", ".join(outcome.actions) + ")"
    return outcome.describe()


def similar(a: str, b: str) -> bool:
    """Texts asking the same thing: token_set_ratio >= SIMILAR (lower-cased, punctuation ignored), the same
    numbers ("phase 2" is not "phase 3"), and neither a mere fragment of the other ("phase" of "when is phase 2":
    token_set_ratio scores any subset 100)."""
    a, b = default_process(a), default_process(b)
    if _NUMBER.findall(a) != _NUMBER.findall(b):
        return False
    words = sorted((len(a.split()), len(b.split())))
    if words[0] < SHORTER_SHARE * words[1]:
        return False
    return fuzz.token_set_ratio(a, b) >= SIMILAR


def group(turns: Iterable[Turn]) -> list[ReviewItem]:
    """Turns with similar texts together (each joins the first group whose newest text it is similar to),
    newest group first."""
    items: list[ReviewItem] = []
    for turn in sorted(turns, key=lambda t: t.at, reverse=True):
        item = next((i for i in items if similar(i.text, turn.text)), None)
        if item is None:
            items.append(
                ReviewItem(turn.text, 0, turn.at, turn.conversation, turn.did, (), turn.answered, turn.offered)
            )
            item = items[-1]
        item.turns.append(turn)
        item.count += 1
        item.reasons = tuple(dict.fromkeys((*item.reasons, *turn.reasons)))
        item.picked = tuple(dict.fromkeys((*item.picked, *([turn.picked] if turn.picked else []))))
        item.texts = tuple(dict.fromkeys((*item.texts, turn.text)))
        item.conversations = tuple(dict.fromkeys((*item.conversations, turn.conversation)))
        item.negative += turn.negative
        item.positive += turn.positive
    return items
