"""The FAQ index: a SQLite database (sqlite-utils) with an FTS5 table, rebuilt incrementally."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
import yaml

from core.db import connect, require_index
from core.errors import HelpdeskError
from faq_index.embeddings import encoder, entry_texts
from faq_index.keywords import keywords_for
from faq_index.model import ParsedDocument, document_from_json, document_to_json
from faq_index.parse import parse_file
from faq_index.phases import phases_of
from faq_index.versions import select_current

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
TITLES_FILE = "titles.yml"
PARSER_VERSION = "2"  # bump when parsing changes, so cached parses are redone
SCHEMA_VERSION = 5  # bump when a table changes; an index of another version is derived data and is rebuilt


class DocumentError(HelpdeskError):
    """A document cannot be added to the FAQ."""


@dataclass(frozen=True)
class DocumentReport:
    file: str
    title: str
    status: str  # "indexed", "set aside" or "refused"
    entries: int
    reason: str = ""
    reparsed: bool = False


@dataclass
class BuildReport:
    documents: list[DocumentReport] = field(default_factory=list)

    @property
    def entries(self) -> int:
        return sum(doc.entries for doc in self.documents if doc.status == "indexed")


def entry_id(file: str, question: str) -> str:
    """A stable slug for an entry: its question's words and a short hash of its document's name."""
    words = re.findall(r"[a-z0-9]+", question.lower())[:8] or ["entry"]
    return "_".join(words) + "_" + hashlib.sha1(file.encode()).hexdigest()[:4]


def document_files(faq_dir: Path) -> list[Path]:
    return sorted(p for p in faq_dir.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)


def load_titles(faq_dir: Path) -> dict[str, str]:
    path = faq_dir / TITLES_FILE
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _fingerprint(path: Path, title_hint: str | None) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(f"\0{title_hint or ''}\0{PARSER_VERSION}".encode())
    return digest.hexdigest()


def _create_schema(db: sqlite_utils.Database) -> None:
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        for table in db.table_names():
            if not table.startswith("entries_fts_"):  # FTS5 shadow tables go with their parent
                db.execute(f"DROP TABLE IF EXISTS [{table}]")
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    db["parsed"].create({"file": str, "sha256": str, "document": str}, pk="file", if_not_exists=True)
    db["documents"].create(
        {
            "file": str,
            "title": str,
            "format": str,
            "dated": str,
            "status": str,
            "reason": str,
            "entries": int,
            "notes": str,
        },
        pk="file",
        if_not_exists=True,
    )
    db["entries"].create(
        {
            "id": str,
            "file": str,
            "position": int,
            "kind": str,
            "question": str,
            "answer": str,
            "section": str,
            "keywords": str,
            "title": str,
            "dated": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["schedule"].create(
        {
            "file": str,
            "entry_id": str,
            "phase": int,
            "name": str,
            "label": str,
            "start_utc": str,
            "end_utc": str,
            "impact": str,
            "start_text": str,
            "end_text": str,
        },
        if_not_exists=True,
    )
    db["phases"].create(
        {
            "file": str,
            "number": int,
            "label": str,
            "name": str,
            "start": str,
            "end": str,
            "deadline": str,
            "impact": str,
        },
        if_not_exists=True,
    )
    db["vectors"].create({"entry_id": str, "vector": bytes}, if_not_exists=True)
    db["vector_cache"].create({"text_sha": str, "vector": bytes}, pk="text_sha", if_not_exists=True)
    if "entries_fts" not in db.table_names():
        db["entries"].enable_fts(["question", "answer", "keywords"], fts_version="FTS5", tokenize="porter")


def _parse_or_reuse(db: sqlite_utils.Database, path: Path, title_hint: str | None) -> tuple[ParsedDocument, bool]:
    sha = _fingerprint(path, title_hint)
    row = next(db["parsed"].rows_where("file = ?", [path.name]), None)
    if row and row["sha256"] == sha:
        return document_from_json(json.loads(row["document"])), False
    doc = parse_file(path, title_hint)
    db["parsed"].upsert({"file": path.name, "sha256": sha, "document": json.dumps(document_to_json(doc))}, pk="file")
    return doc, True


def build_index(faq_dir: Path, db_path: Path, embed: bool = True) -> BuildReport:
    """Parse the documents in `faq_dir` (only the changed ones) and rewrite the index at `db_path`.

    With `embed`, each entry also gets sentence vectors for semantic matching (see embeddings.py).
    """
    if not faq_dir.is_dir():
        raise DocumentError(
            f"the FAQ folder {faq_dir} does not exist; set HELPDESK_FAQ_DIR to the folder of documents."
        )
    db = connect(db_path)
    _create_schema(db)
    titles = load_titles(faq_dir)
    parsed: list[ParsedDocument] = []
    reparsed: set[str] = set()
    with db.conn:
        paths = document_files(faq_dir)
        for path in paths:
            doc, fresh = _parse_or_reuse(db, path, titles.get(path.name))
            parsed.append(doc)
            if fresh:
                reparsed.add(doc.file)
        db["parsed"].delete_where(
            "file not in ({})".format(",".join("?" * len(paths)) or "''"), [p.name for p in paths]
        )
    selection = select_current(parsed)
    report = BuildReport()
    with db.conn:
        for table in ("entries", "schedule", "phases", "documents", "vectors"):
            db[table].delete_where()
        for doc in parsed:
            if doc.file in selection.refused or doc.file in selection.set_aside:
                status = "refused" if doc.file in selection.refused else "set aside"
                reason = selection.refused.get(doc.file) or selection.set_aside[doc.file]
                count = 0
            else:
                status, reason, count = "indexed", "", len(doc.entries)
                _insert_entries(db, doc, embed)
                year = int(doc.dated[:4]) if doc.dated else None
                db["phases"].insert_all(phase.to_row(doc.file) for phase in phases_of(doc, year))
            db["documents"].insert(
                {
                    "file": doc.file,
                    "title": doc.title,
                    "format": doc.format,
                    "dated": doc.dated,
                    "status": status,
                    "reason": reason,
                    "entries": count,
                    "notes": "\n".join(doc.notes),
                }
            )
            report.documents.append(DocumentReport(doc.file, doc.title, status, count, reason, doc.file in reparsed))
    db["entries"].rebuild_fts()
    db.conn.execute("PRAGMA optimize")
    return report


def _insert_entries(db: sqlite_utils.Database, doc: ParsedDocument, embed: bool) -> None:
    used: set[str] = set()
    for position, entry in enumerate(doc.entries):
        slug = entry_id(doc.file, entry.question)
        if slug in used:
            slug = f"{slug}_{position}"
        used.add(slug)
        db["entries"].insert(
            {
                "id": slug,
                "file": doc.file,
                "position": position,
                "kind": entry.kind,
                "question": entry.question,
                "answer": entry.answer,
                "section": entry.section,
                "keywords": " ".join(keywords_for(entry.question, entry.answer, doc.title)),
                "title": doc.title,
                "dated": doc.dated,
            }
        )
        if embed:
            texts = entry_texts(entry.question, entry.answer, doc.title)
            db["vectors"].insert_all({"entry_id": slug, "vector": vector} for vector in _cached_vectors(db, texts))
        db["schedule"].insert_all(
            {
                "file": doc.file,
                "entry_id": slug,
                "phase": row.phase,
                "name": row.name,
                "label": row.label,
                "start_utc": row.start.isoformat(),
                "end_utc": row.end.isoformat(),
                "impact": row.impact,
                "start_text": row.start_text,
                "end_text": row.end_text,
            }
            for row in entry.schedule
        )


def _cached_vectors(db: sqlite_utils.Database, texts: list[str]) -> list[bytes]:
    """Sentence vectors of `texts`, encoding only those not seen before (the model is slow to start)."""
    keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    found = {
        row["text_sha"]: row["vector"]
        for row in db["vector_cache"].rows_where("text_sha in ({})".format(",".join("?" * len(keys))), keys)
    }
    missing = [(key, text) for key, text in zip(keys, texts) if key not in found]
    if missing:
        vectors = encoder().encode([text for _, text in missing])
        for (key, _), vector in zip(missing, vectors):
            found[key] = vector.tobytes()
        db["vector_cache"].insert_all(({"text_sha": key, "vector": found[key]} for key, _ in missing), replace=True)
    return [found[key] for key in keys]


def add_document(source: Path, faq_dir: Path, db_path: Path) -> BuildReport:
    """Copy a new document into the FAQ folder and rebuild; a document that cannot be used is not kept."""
    if not source.is_file():
        raise DocumentError(f"{source} is not a file; give the path of a .txt, .md or .html FAQ document.")
    if source.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{source.name}: unsupported file type; FAQ documents must be .txt, .md or .html.")
    target = faq_dir / source.name
    if target.exists() and target.read_bytes() != source.read_bytes():
        raise DocumentError(
            f"{target} already exists with other content; rename the new document or remove the old one."
        )
    existed = target.exists()
    shutil.copyfile(source, target)
    try:
        report = build_index(faq_dir, db_path)
        added = next(d for d in report.documents if d.file == target.name)
        if added.status == "refused":
            raise DocumentError(f"{target.name} was not added: {added.reason}.")
        if added.status == "indexed" and added.entries == 0:
            raise DocumentError(f"{target.name} was not added: no questions or text were found in it.")
    except DocumentError:
        if not existed:
            target.unlink(missing_ok=True)
            build_index(faq_dir, db_path)
        raise
    return report


def list_entries(db_path: Path) -> list[dict]:
    """Every indexed entry, in document order."""
    require_index(db_path, "entries")
    return list(connect(db_path).query("select id, file, kind, question from entries order by file, position"))
