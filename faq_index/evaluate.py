"""Measures FAQ search on a labelled development set: top-1/top-3 accuracy and refusals."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from faq_index.search import GOOD_MATCH, FaqSearcher

NONE = "none"


@dataclass(frozen=True)
class Labelled:
    text: str
    expect: str  # "<file> :: <question>" or "none"


@dataclass
class EvalReport:
    in_scope: int = 0
    top1: int = 0
    top3: int = 0
    out_of_scope: int = 0
    refused: int = 0
    confusions: list[tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)
    bands: dict[str, list[int]] = field(default_factory=dict)  # score band -> [right, total]

    def lines(self) -> list[str]:
        pct = lambda n, d: f"{100 * n / d:.1f}%" if d else "n/a"
        out = [
            f"in-scope questions: {self.in_scope}",
            f"top-1 accuracy (answered with the right entry): {pct(self.top1, self.in_scope)} ({self.top1}/{self.in_scope})",
            f"top-3 accuracy (right entry among the top 3): {pct(self.top3, self.in_scope)} ({self.top3}/{self.in_scope})",
            f"out-of-scope refused: {pct(self.refused, self.out_of_scope)} ({self.refused}/{self.out_of_scope})",
            f"calibration (top-1 score band: right/answered, no-match threshold {GOOD_MATCH}):",
        ]
        out += [f"  {band}: {right}/{total}" for band, (right, total) in sorted(self.bands.items())]
        if self.confusions:
            out.append("confusions (question -> expected | got):")
            out += [f"  {text!r} -> {expected} | {got}" for text, expected, got in self.confusions]
        return out


def load_dev_set(path: Path) -> list[Labelled]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Labelled(str(item["text"]), str(item["expect"])) for item in data["questions"]]


def label_of(file: str, question: str) -> str:
    return f"{file} :: {question}"


def evaluate(searcher: FaqSearcher, dev_set: list[Labelled]) -> EvalReport:
    report = EvalReport()
    for item in dev_set:
        result = searcher.search(item.text, k=3)
        labels = [label_of(hit.file, hit.question) for hit in result.hits]
        got = labels[0] if result.good else NONE
        if result.hits:
            band = f"{int(result.hits[0].score * 10) / 10:.1f}-{int(result.hits[0].score * 10) / 10 + 0.1:.1f}"
            right_total = report.bands.setdefault(band, [0, 0])
            right_total[0] += got == item.expect
            right_total[1] += 1
        if item.expect == NONE:
            report.out_of_scope += 1
            report.refused += got == NONE
            if got != NONE:
                report.confusions.append((item.text, NONE, got))
            continue
        report.in_scope += 1
        report.top1 += got == item.expect
        report.top3 += item.expect in labels  # ranking alone: is the right entry among the three shown
        if got != item.expect:
            report.confusions.append((item.text, item.expect, got))
    return report
