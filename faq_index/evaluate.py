"""Labelled question sets, and how the FAQ search alone does on them: top-1/top-3 accuracy and refusals.

Two formats, one a question:
    - {text: "...", expect: "<file> :: <entry question>"}          # or expect: "none"
    - text: "..."
      accept: ["<file> :: <entry question>", "status", "escalation", "contact", "none"]   # any of these is right
      at: "2020-09-08T22:30:00+12:00"   # optional: the instant it is asked (the live status depends on it)
      says: ["Phase 2"]                  # optional, with "status": what the live reply must contain then
`expect: X` is read as `accept: [X]`. The whole bot is scored in bot/answers/evaluation.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from core.clock import parse_instant
from core.errors import ConfigError, HelpdeskError
from faq_index.search import GOOD_MATCH, FaqSearcher

NONE = "none"  # the bot should refuse: no FAQ content, no buttons
STATUS = "status"  # the live-status answer (with every `says` fragment in it)
ESCALATION = "escalation"  # the offer of the on-call engineer, or the escalation form
CONTACT = "contact"  # the form that takes the customer's own on-call engineer's details
REPLY_KINDS = (STATUS, ESCALATION, CONTACT, NONE)
ENTRY_SEPARATOR = " :: "


class QuestionSetError(HelpdeskError):
    """A question set's file is not in the format above."""


@dataclass(frozen=True)
class Labelled:
    text: str
    accept: tuple[str, ...]  # entry labels ("<file> :: <question>") and reply kinds (REPLY_KINDS)
    at: str | None = None  # the instant it is asked, ISO 8601 in UTC ("...Z"); None: whenever it is run
    says: tuple[str, ...] = field(default=())  # fragments a status reply must contain (case-insensitive)

    @property
    def entries(self) -> tuple[str, ...]:
        return tuple(item for item in self.accept if ENTRY_SEPARATOR in item)

    @property
    def category(self) -> str:
        """What kind of reply it accepts: "entry", "status", ..., or several joined by "+"."""
        kinds = {"entry" if ENTRY_SEPARATOR in item else item for item in self.accept}
        return "+".join(sorted(kinds))


@dataclass
class EvalReport:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    refused: int = 0
    skipped: int = 0  # questions only the bot can answer: live status, escalation, contact form
    confusions: list[tuple[str, str, str]] = field(default_factory=list)  # (text, accepted, got)
    bands: dict[str, list[int]] = field(default_factory=dict)  # score band -> [right, total]

    def lines(self) -> list[str]:
        pct = lambda n, d: f"{100 * n / d:.1f}%" if d else "n/a"
        out = [
            f"in-scope questions: {self.in_scope}",
            f"top-1 accuracy (answered with the right entry): {pct(self.top1, self.in_scope)} ({self.top1}/{self.in_scope})",
            f"top-3 accuracy (right entry among the top 3): {pct(self.top3, self.in_scope)} ({self.top3}/{self.in_scope})",
            f"out-of-scope refused: {pct(self.refused, self.out_of_scope)} ({self.refused}/{self.out_of_scope})",
        ]
        if self.skipped:
            out.append(f"skipped: {self.skipped} questions only the bot can answer (live status, escalation, contact)")
        out.append(f"calibration (top-1 score band: right/answered, no-match threshold {GOOD_MATCH}):")
        out += [f"  {band}: {right}/{total}" for band, (right, total) in sorted(self.bands.items())]
        if self.confusions:
            out.append("confusions (question -> accepted | got):")
            out += [f"  {text!r} -> {accepted} | {got}" for text, accepted, got in self.confusions]
        return out


def _strings(value: object, where: str, name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item.strip() for item in value):
        raise QuestionSetError(f"{where}: `{name}` must be a non-empty list of strings")
    return tuple(item.strip() for item in value)


def _question(item: object, where: str) -> Labelled:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
        raise QuestionSetError(f"{where}: each question needs a `text`")
    if ("expect" in item) == ("accept" in item):
        raise QuestionSetError(f"{where}: give either `expect` (one answer) or `accept` (a list), not both or neither")
    accept = _strings(item["expect"] if "expect" in item else item["accept"], where, "accept")
    for label in accept:
        if label not in REPLY_KINDS and ENTRY_SEPARATOR not in label:
            raise QuestionSetError(
                f'{where}: {label!r} is neither "<file> :: <entry question>" nor one of {", ".join(REPLY_KINDS)}'
            )
    says = _strings(item["says"], where, "says") if "says" in item else ()
    if says and STATUS not in accept:
        raise QuestionSetError(f"{where}: `says` applies to a live-status reply, but `status` is not accepted")
    at = None
    if item.get("at") is not None:
        try:
            at = parse_instant(str(item["at"]), setting="at").isoformat().replace("+00:00", "Z")
        except ConfigError as exc:
            raise QuestionSetError(f"{where}: {exc}") from None
    return Labelled(item["text"].strip(), accept, at, says)


def load_questions(path: Path) -> list[Labelled]:
    """The questions of a set in either format; QuestionSetError names the first malformed one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QuestionSetError(f"cannot read the question set {path}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise QuestionSetError(f"{path}: expected a `questions:` list")
    return [_question(item, f"{path.name}, question {number}") for number, item in enumerate(data["questions"], 1)]


load_dev_set = load_questions  # the name the search benchmarks and tests know


def label_of(file: str, question: str) -> str:
    return f"{file}{ENTRY_SEPARATOR}{question}"


def evaluate(searcher: FaqSearcher, questions: list[Labelled]) -> EvalReport:
    """The search alone: a question that accepts an entry is in scope; one that accepts only a refusal is out of
    scope; one that accepts only what the bot's other replies give (status, escalation, contact) is skipped."""
    report = EvalReport()
    for item in questions:
        if not item.entries and NONE not in item.accept:
            report.skipped += 1
            continue
        result = searcher.search(item.text, k=3)
        labels = [label_of(hit.file, hit.question) for hit in result.hits]
        got = labels[0] if result.good else NONE
        right = got in item.accept
        if result.hits:
            band = f"{int(result.hits[0].score * 10) / 10:.1f}-{int(result.hits[0].score * 10) / 10 + 0.1:.1f}"
            right_total = report.bands.setdefault(band, [0, 0])
            right_total[0] += right
            right_total[1] += 1
        if not item.entries:
            report.out_of_scope += 1
            report.refused += right
        else:
            report.in_scope += 1
            report.top1 += right
            # ranking alone: is an accepted entry among the three shown
            report.top3 += right or any(label in item.entries for label in labels)
        if not right:
            report.confusions.append((item.text, " | ".join(item.accept), got))
    return report
