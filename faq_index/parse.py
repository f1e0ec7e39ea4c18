"""A document's Blocks assembled into FAQ entries: title, intro, questions with answers, schedules."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from faq_index import readers
from faq_index.dates import full_dates, years
from faq_index.model import Block, Entry, ParsedDocument, ScheduleRow
from faq_index.schedule_table import read_schedule, render_schedule, render_table

INTRO_QUESTION = "Introduction"


class _Draft:
    def __init__(self, question: str, kind: str, level: int, section: str | None) -> None:
        self.question, self.kind, self.level, self.section = question, kind, level, section
        self.parts: list[str] = []
        self.schedule: list[ScheduleRow] = []


def parse_text(text: str, file: str, fmt: str, title_hint: str | None = None) -> ParsedDocument:
    """Parse a document's text, already read, in format 'text', 'markdown' or 'html'."""
    html_title = ""
    if fmt == "html":
        blocks, html_title = readers.read_html(text)
    else:
        blocks = readers.read_lightweight(text)
    plain = " ".join(block.text or " ".join(" ".join(r) for r in block.rows) for block in blocks)
    default_year = _most_common_year(plain)
    notes: list[str] = []

    title, blocks = _take_title(blocks, html_title)
    title = title_hint or title or _title_from_file(file)

    drafts: list[_Draft] = []
    intro = _Draft(title, "intro", 0, None)
    current = intro
    headings: list[Block] = []
    context = ""
    for block in blocks:
        if block.kind in {"question", "heading"}:
            section = next((h.text for h in reversed(headings) if h.level < block.level), None)
            if block.kind == "heading":
                headings = [h for h in headings if h.level < block.level] + [block]
            current = _Draft(block.text, "question" if block.kind == "question" else "section", block.level, section)
            drafts.append(current)
            context += " " + block.text
            continue
        if block.kind == "table":
            year = (years(context) or [default_year])[-1]
            rows = read_schedule(block.rows, year, notes) if year else ()
            if rows:
                current.schedule.extend(rows)
                current.parts.append(render_schedule(rows))
            else:
                current.parts.append(render_table(block.rows))
            continue
        current.parts.append(block.text)
        context += " " + block.text

    entries = [
        Entry(
            question=INTRO_QUESTION if draft.kind == "intro" else draft.question,
            answer="\n\n".join(draft.parts).strip(),
            kind=draft.kind,
            section=draft.section,
            schedule=tuple(draft.schedule),
        )
        for draft in [intro, *drafts]
        if any(part.strip() for part in draft.parts)
    ]
    dates = full_dates(plain)
    return ParsedDocument(
        file=file,
        format=fmt,
        title=title,
        dated=max(dates).isoformat() if dates else None,
        is_diff_export=readers.is_diff_export(text),
        entries=tuple(entries),
        text=normalise(plain),
        notes=tuple(notes),
    )


def parse_file(path: Path, title_hint: str | None = None) -> ParsedDocument:
    text = path.read_text(encoding="utf-8", errors="replace")
    return parse_text(text, path.name, readers.detect_format(path, text), title_hint)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def _most_common_year(text: str) -> int | None:
    counted = Counter(years(text))
    return counted.most_common(1)[0][0] if counted else None


def _take_title(blocks: list[Block], html_title: str) -> tuple[str, list[Block]]:
    """The document title: a leading level-1 heading, a leading heading followed by content, or <title>."""
    if blocks and blocks[0].kind == "heading" and blocks[0].level <= 2:
        following = blocks[1] if len(blocks) > 1 else None
        # A level-2 heading is the title only when the next block starts the content, not when it is its own body.
        if blocks[0].level == 1 or following is None or following.kind in {"question", "heading"}:
            return html_title or readers.page_title(blocks[0].text), blocks[1:]
    return html_title, blocks


def _title_from_file(file: str) -> str:
    stem = Path(file).stem
    return re.sub(r"[_-]+", " ", stem).strip().capitalize() or file
