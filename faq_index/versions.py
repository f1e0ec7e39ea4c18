"""Which documents are current: 'Versions Compared' exports and near-duplicates are set aside."""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz

from faq_index.model import ParsedDocument

TWIN_SIMILARITY = 80  # a diff export against the clean page it compares (000 vs 001 scores 96)
DUPLICATE_SIMILARITY = 90  # two clean documents this alike are versions of one FAQ


@dataclass
class Selection:
    current: list[ParsedDocument] = field(default_factory=list)
    set_aside: dict[str, str] = field(default_factory=dict)  # file -> why
    refused: dict[str, str] = field(default_factory=dict)  # file -> what to do instead


def similarity(a: ParsedDocument, b: ParsedDocument) -> float:
    return fuzz.token_set_ratio(a.text, b.text)


def _newer(a: ParsedDocument, b: ParsedDocument) -> ParsedDocument:
    """The later version: the newer date it mentions, then the later file name."""
    return max((a, b), key=lambda doc: (doc.dated or "", doc.file))


def select_current(documents: list[ParsedDocument]) -> Selection:
    selection = Selection()
    clean = [doc for doc in documents if not doc.is_diff_export]
    for doc in documents:
        if not doc.is_diff_export:
            continue
        twin = max(clean, key=lambda other: similarity(doc, other), default=None)
        if twin is not None and similarity(doc, twin) >= TWIN_SIMILARITY:
            selection.set_aside[doc.file] = (
                f"a 'Versions Compared' export of {twin.file} (similarity {similarity(doc, twin):.0f}%); "
                f"{twin.file} is the current version"
            )
        else:
            selection.refused[doc.file] = (
                "a 'Versions Compared' export mixes removed and current lines and has no clean version here; "
                "export the current page itself and add that instead"
            )
    for doc in sorted(clean, key=lambda d: d.file):
        rival = next((kept for kept in selection.current if similarity(doc, kept) >= DUPLICATE_SIMILARITY), None)
        if rival is None:
            selection.current.append(doc)
            continue
        winner = _newer(doc, rival)
        loser = rival if winner is doc else doc
        if winner is doc:
            selection.current[selection.current.index(rival)] = doc
        selection.set_aside[loser.file] = (
            f"an older version of {winner.file} (similarity {similarity(doc, rival):.0f}%, "
            f"dated {loser.dated or 'unknown'} vs {winner.dated or 'unknown'})"
        )
    return selection
