"""`helpdesk eval`: the labelled development set through the running bot's REST channel."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bot import rasa_client
from bot.answers import entry_of_payload
from bot.settings import Settings
from faq_index.evaluate import NONE, EvalReport, Labelled, evaluate, label_of
from faq_index.search import searcher_for


@dataclass
class BotEvalReport:
    in_scope: int = 0
    right: int = 0
    offered: int = 0  # not answered with the right entry, but the right entry was among the buttons
    out_of_scope: int = 0
    refused: int = 0
    confusions: list[tuple[str, str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        pct = lambda n, d: f"{100 * n / d:.1f}%" if d else "n/a"
        out = [
            f"in-scope questions answered with the right entry: {pct(self.right, self.in_scope)} ({self.right}/{self.in_scope})",
            f"in-scope questions not answered with the right entry but offered it as a button: "
            f"{pct(self.offered, self.in_scope)} ({self.offered}/{self.in_scope})",
            f"out-of-scope questions refused without FAQ content: {pct(self.refused, self.out_of_scope)} "
            f"({self.refused}/{self.out_of_scope})",
        ]
        if self.confusions:
            out.append("confusions (question -> expected | got):")
            out += [f"  {text!r} -> {expected} | {got}" for text, expected, got in self.confusions]
        return out


def answered_entry(replies: list[dict], answers: dict[str, str]) -> str | None:
    """The FAQ entry the bot answered with: the one whose whole answer text is in a reply."""
    # Rasa's channels split a reply at blank lines, so compare with white space folded.
    text = _fold(" ".join(reply.get("text") or "" for reply in replies))
    return next((entry_id for entry_id, answer in answers.items() if _fold(answer) in text), None)


def offered_entries(replies: list[dict]) -> set[str]:
    """The FAQ entries the bot's buttons offer."""
    payloads = (button.get("payload") or "" for reply in replies for button in reply.get("buttons") or [])
    return {entry for entry in map(entry_of_payload, payloads) if entry}


def _fold(text: str) -> str:
    return " ".join(text.split())


def _describe(replies: list[dict], labels: dict[str, str], answers: dict[str, str]) -> str:
    entry = answered_entry(replies, answers)
    if entry:
        return labels.get(entry, entry)
    if any(reply.get("buttons") for reply in replies):
        return "choices: " + " / ".join(b.get("title", "") for r in replies for b in r.get("buttons") or [])
    return NONE


def evaluate_bot(settings: Settings, dev_set: list[Labelled]) -> BotEvalReport:
    searcher = searcher_for(settings.faq_db)
    labels = {entry.id: label_of(entry.file, entry.question) for entry in searcher.by_id.values()}
    answers = {entry.id: entry.answer for entry in searcher.by_id.values()}
    report = BotEvalReport()
    run = uuid.uuid4().hex[:8]  # every question opens a conversation of its own, in this run and the next
    for number, item in enumerate(dev_set):
        replies = rasa_client.send_message(settings, item.text, sender=f"helpdesk-eval-{run}-{number}")
        got = _describe(replies, labels, answers)
        if item.expect == NONE:
            report.out_of_scope += 1
            refused = answered_entry(replies, answers) is None and not any(r.get("buttons") for r in replies)
            report.refused += refused
            if not refused:
                report.confusions.append((item.text, NONE, got))
            continue
        report.in_scope += 1
        report.right += got == item.expect
        report.offered += got != item.expect and item.expect in {labels.get(i) for i in offered_entries(replies)}
        if got != item.expect:
            report.confusions.append((item.text, item.expect, got))
    return report


def evaluate_all(settings: Settings, dev_set_path: Path) -> tuple[BotEvalReport, EvalReport]:
    """The full bot and, for comparison, the search alone, on the same questions."""
    from faq_index.evaluate import load_dev_set

    dev_set = load_dev_set(dev_set_path)
    return evaluate_bot(settings, dev_set), evaluate(searcher_for(settings.faq_db), dev_set)
