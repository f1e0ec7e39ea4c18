"""Turn a document's text into Blocks, by structure alone: plain-text exports, Markdown, Confluence HTML."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

from faq_index.model import Block

# Navigation text that Confluence puts into every export; it is page chrome, not content.
CHROME_LINES = {
    "page tree",
    "skip to end of metadata",
    "go to start of metadata",
    "versions compared",
    "this line was added.",
    "this line was removed.",
    "formatting was changed.",
}
DIFF_EXPORT_MARKERS = ("versions compared", "this line was added.", "this line was removed.")

_LINK_MD = re.compile(r"\[([^\]]+)\]\(([^)\s]*)\)")
_ANGLE_URL = re.compile(r"<(https?://[^>\s]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)(.+?)\1\s*$")


def detect_format(path: Path, text: str) -> str:
    """'html', 'markdown' or 'text', from the file name and, for .txt, the content."""
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        return "html"
    if suffix in {".md", ".markdown"}:
        return "markdown"
    head = text[:4000].lower()
    if "<html" in head or "<body" in head or re.search(r"<(p|h[1-6]|table|div)[\s>]", head):
        return "html"
    if re.search(r"^#{1,6} \S", text, flags=re.MULTILINE):
        return "markdown"
    return "text"


def clean_inline(text: str) -> str:
    """Inline markup to plain text: links keep their text (and a real URL), tags and emphasis go."""

    def link(match: re.Match) -> str:
        label, url = match.group(1).strip(), match.group(2).strip()
        return label if url in {"", "#"} or url == label else f"{label} ({url})"

    text = _LINK_MD.sub(link, text)
    text = _ANGLE_URL.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = html.unescape(text)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    return re.sub(r" *\n\s*", "\n", text).strip()


def is_chrome(text: str) -> bool:
    return text.strip().lower() in CHROME_LINES


def looks_like_question(text: str) -> bool:
    return text.endswith("?") and 1 < len(text.split()) <= 30


def looks_like_heading(text: str) -> bool:
    """A short title line: few words, no sentence punctuation, no figures or links."""
    words = text.split()
    return (
        1 <= len(words) <= 8
        and text[:1].isupper()
        and not re.search(r"[.,;:!?)\]]$", text)
        and not re.search(r"\d|https?:|@|\(", text)
    )


def classify_paragraph(text: str, level: int = 2) -> Block:
    if looks_like_question(text):
        return Block("question", text, level=level)
    if looks_like_heading(text):
        return Block("heading", text, level=level)
    return Block("paragraph", text)


# --- plain text and Markdown ------------------------------------------------------------------


def _table_rows(lines: list[str], separator: str) -> tuple[tuple[str, ...], ...]:
    rows = []
    for line in lines:
        if separator == "|":
            line = line.strip().strip("|")
            if re.fullmatch(r"[\s|:-]+", line):
                continue  # the |---|---| line under a Markdown header
        rows.append(tuple(clean_inline(cell) for cell in line.split(separator)))
    return tuple(rows)


def read_lightweight(text: str) -> list[Block]:
    """Blocks of a plain-text export or a Markdown file (Markdown is a superset here)."""
    blocks: list[Block] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = clean_inline(" ".join(line.strip() for line in paragraph))
            if joined and not is_chrome(joined):
                blocks.append(classify_paragraph(joined) if len(paragraph) == 1 else Block("paragraph", joined))
            paragraph.clear()

    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped or is_chrome(stripped):
            flush()
            i += 1
            continue
        heading = _MD_HEADING.match(stripped)
        bold = _BOLD_LINE.match(stripped)
        if heading or (bold and not paragraph):
            flush()
            if heading:
                content = clean_inline(heading.group(2))
                level = len(heading.group(1))
            else:
                content, level = clean_inline(bold.group(2)), 9
            kind = "question" if content.endswith("?") else "heading"
            blocks.append(Block(kind, content, level=level))
            i += 1
            continue
        for separator in ("\t", "|"):
            run = _run_of(lines, i, lambda l, s=separator: s in l and l.strip() != "")
            if len(run) >= 2 and (separator == "\t" or run[0].strip().startswith("|")):
                flush()
                blocks.append(Block("table", rows=_table_rows(run, separator)))
                i += len(run)
                break
        else:
            if _LIST_ITEM.match(line):
                flush()
                run = _run_of(lines, i, lambda l: bool(_LIST_ITEM.match(l)))
                items = [clean_inline(_LIST_ITEM.sub("", l, count=1)) for l in run]
                numbered = bool(re.match(r"^\s*\d", run[0]))
                text_items = [f"{n}. {item}" if numbered else f"- {item}" for n, item in enumerate(items, 1)]
                blocks.append(Block("list", "\n".join(text_items)))
                i += len(run)
            else:
                paragraph.append(line)
                i += 1
    flush()
    return blocks


def _run_of(lines: list[str], start: int, belongs) -> list[str]:
    run = []
    for line in lines[start:]:
        if not belongs(line):
            break
        run.append(line)
    return run


# --- Confluence (and other) HTML ------------------------------------------------------------------

_SKIP_TAGS = {"script", "style", "nav", "footer", "del", "s", "strike"}
_VOID_TAGS = {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
_SKIP_CLASSES = ("diff-html-removed", "breadcrumb", "page-metadata", "footer")
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div", "blockquote", "pre", "section", "article"}


class _HtmlBlocks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.title = ""
        self._skip_depth = 0
        self._stack: list[str] = []
        self._buffer: list[str] = []
        self._bold_only = True
        self._in_title = False
        self._list: list[str] = []
        self._list_numbered: list[bool] = []  # one per open <ul>/<ol>: is it numbered?
        self._counters: list[int] = []  # one per open list: items read so far
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = " ".join(value or "" for name, value in attrs if name in {"class", "id"})
        if self._skip_depth or tag in _SKIP_TAGS or any(c in classes for c in _SKIP_CLASSES):
            if tag not in _VOID_TAGS:
                self._skip_depth += 1
            return
        if tag == "title":
            self._in_title = True
        elif tag == "br":
            self._text("\n")
        elif tag in {"ul", "ol"}:
            if self._list_numbered:
                self._end_item()  # a nested list: the parent item's own text comes first
            else:
                self._flush()
            self._list_numbered.append(tag == "ol")
            self._counters.append(0)
        elif tag == "table":
            self._flush()
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in {"td", "th"} and self._table is not None:
            self._cell = []
        elif tag in _BLOCK_TAGS:
            self._flush()
            self._bold_only = True
        if tag not in _VOID_TAGS:
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth:
            if tag not in _VOID_TAGS:
                self._skip_depth -= 1
            return
        if tag == "title":
            self._in_title = False
        elif tag in {"td", "th"} and self._table is not None and self._cell is not None:
            if self._table:
                self._table[-1].append(clean_inline(" ".join(self._cell)))
            self._cell = None
        elif tag == "table" and self._table is not None:
            rows = tuple(tuple(row) for row in self._table if any(row))
            if rows:
                self.blocks.append(Block("table", rows=rows))
            self._table = None
        elif tag in {"ul", "ol"}:
            self._end_item()
            if self._list_numbered:
                self._list_numbered.pop()
                self._counters.pop()
            if not self._list_numbered and self._list:
                self.blocks.append(Block("list", "\n".join(self._list)))
                self._list = []
        elif tag == "li":
            self._end_item()
        elif tag in _BLOCK_TAGS:
            self._flush(heading_level=int(tag[1]) if re.fullmatch(r"h[1-6]", tag) else 0)
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title += data
            return
        if data.strip() and not ({"strong", "b"} & set(self._stack)):
            self._bold_only = False
        self._text(data)

    def _end_item(self) -> None:
        """Close the list item being read: '- text' or 'n. text', indented by nesting depth."""
        text = clean_inline(" ".join(self._buffer))
        self._buffer = []
        if not text or not self._list_numbered:
            return
        self._counters[-1] += 1
        marker = f"{self._counters[-1]}." if self._list_numbered[-1] else "-"
        self._list.append(f"{'   ' * (len(self._counters) - 1)}{marker} {text}")

    def _text(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        else:
            self._buffer.append(data)

    def _flush(self, heading_level: int = 0) -> None:
        if self._list_numbered and not heading_level:
            return  # inside a list, <li> collects the text
        text = clean_inline(" ".join(self._buffer))
        self._buffer = []
        if not text or is_chrome(text):
            return
        if heading_level:
            kind = "question" if text.endswith("?") else "heading"
            self.blocks.append(Block(kind, text, level=heading_level))
        elif self._bold_only and looks_like_question(text):
            self.blocks.append(Block("question", text, level=9))
        else:
            self.blocks.append(classify_paragraph(text, level=9))
        self._bold_only = True


def read_html(text: str) -> tuple[list[Block], str]:
    """Blocks of an HTML page and its <title> (Confluence's 'Space : Page' title is cut to the page)."""
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks, page_title(clean_inline(parser.title))


def page_title(text: str) -> str:
    """A page title without Confluence's 'Space name : ' prefix."""
    return text.split(" : ", 1)[1].strip() if " : " in text else text


def is_diff_export(text: str) -> bool:
    """A Confluence 'Versions Compared' page: removed and added lines flattened together."""
    lowered = text[:20000].lower()
    markers = sum(marker in lowered for marker in DIFF_EXPORT_MARKERS)
    return markers >= 2 or "diff-html-removed" in lowered or "diff-html-added" in lowered
