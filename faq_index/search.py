"""Hybrid FAQ search: FTS5 BM25 for recall, rapidfuzz for typos and word order, one score in 0..1."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from core.db import connect, require_index
from faq_index import answer_types
from faq_index.embeddings import message_vector
from faq_index.keywords import STOPWORDS, content_tokens, salient_terms, stem, tokens

GOOD_MATCH = 0.3  # below this, "no good match": set between the dev set's out-of-scope and in-scope scores
MAX_QUERY_TOKENS = 48  # a 100 KB message is searched by its first words, not rejected
TYPO_CUTOFF = 80  # rapidfuzz ratio for replacing an unknown word by a known one
BM25_WEIGHTS = (4.0, 1.0, 2.0)  # question, answer, keywords
ANSWER_FACTOR = 0.5  # a query word found only in the answer counts half
ANSWER_TYPE_BONUS = 0.1  # added when an entry gives the kind of answer the question wants (a time, a contact, a reason)


@dataclass(frozen=True)
class FaqEntry:
    id: str
    question: str
    answer: str
    title: str
    file: str
    dated: str | None


@dataclass(frozen=True)
class Hit(FaqEntry):
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[Hit, ...]
    notes: tuple[str, ...] = field(default=())
    known_words: tuple[str, ...] = field(default=())  # the query's words that occur in the FAQ at all

    @property
    def good(self) -> bool:
        return bool(self.hits) and self.hits[0].score >= GOOD_MATCH

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.good else None


@dataclass(frozen=True)
class _Entry(FaqEntry):
    rowid: int
    key_stems: frozenset[str]  # the question's words
    answer_stems: frozenset[str]  # the answer's and the keywords' words, less the question's
    question_text: str  # content words of the question, for fuzzy comparison
    gives: frozenset[str]  # kinds of answer it gives (faq_index.answer_types)


class FaqSearcher:
    """Searches one index file; the entries are loaded once and reloaded when the index is rebuilt."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self._loaded_version: tuple[float, int] | None = None
        self._load()

    def _version(self) -> tuple[float, int]:
        stat = os.stat(self.db_path)
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        return (max(stat.st_mtime, wal.stat().st_mtime if wal.exists() else 0.0), stat.st_size)

    def _load(self) -> None:
        require_index(self.db_path, "entries_fts")
        if getattr(self, "db", None) is not None:
            self.db.conn.close()  # the index was rebuilt: let go of the old file handle
        self.db = connect(self.db_path)
        rows = list(self.db.query("select rowid, id, question, answer, keywords, title, file, dated from entries"))
        self.entries: dict[int, _Entry] = {}
        document_frequency: dict[str, int] = {}
        for row in rows:
            # The keywords (names in the answer, the document's title) are not what the entry asks about:
            # matching one says as much as matching the answer, so they count as answer words.
            key = frozenset(stem(t) for t in content_tokens(row["question"]))
            answer = frozenset(stem(t) for t in content_tokens(row["answer"] + " " + row["keywords"])) - key
            self.entries[row["rowid"]] = _Entry(
                id=row["id"],
                question=row["question"],
                answer=row["answer"],
                title=row["title"],
                file=row["file"],
                dated=row["dated"],
                rowid=row["rowid"],
                key_stems=key,
                answer_stems=answer,
                question_text=" ".join(content_tokens(row["question"])),
                gives=answer_types.given(row["question"], row["answer"]),
            )
            for s in key | answer:
                document_frequency[s] = document_frequency.get(s, 0) + 1
        count = max(len(rows), 1)
        self.idf = {s: math.log(1 + count / df) for s, df in document_frequency.items()}
        self.unknown_idf = math.log(1 + count)
        vocabulary = sorted(
            {t for row in rows for t in tokens(row["question"] + " " + row["keywords"] + " " + row["answer"])}
        )
        # Typo candidates share the first letter: far fewer comparisons, and first letters are rarely mistyped.
        self.vocabulary_by_initial: dict[str, list[str]] = {}
        for word in vocabulary:
            self.vocabulary_by_initial.setdefault(word[0], []).append(word)
        self.by_id = {entry.id: entry for entry in self.entries.values()}
        vectors = list(self.db.query("select entry_id, vector from vectors"))
        self.vector_owners = [row["entry_id"] for row in vectors]
        self.vectors = (
            np.stack([np.frombuffer(row["vector"], dtype=np.float32) for row in vectors]) if vectors else None
        )
        self.distinctive = self._distinctive_stems()
        # Entries that hold a maintenance schedule, with each window's name and impact text (what it does to each
        # product).
        self.schedules: dict[str, list[tuple[str, str]]] = {}
        for row in self.db.query("select entry_id, name, impact from schedule order by start_utc"):
            self.schedules.setdefault(row["entry_id"], []).append((row["name"] or "", row["impact"] or ""))
        self._loaded_version = self._version()

    def _distinctive_stems(self) -> dict[str, frozenset[str]]:
        """Per document, its names (product names, acronyms, title words) that no other document uses at all:
        naming one says which migration is meant. Ordinary words one document happens to use alone do not."""
        names: dict[str, set[str]] = {}
        words: dict[str, set[str]] = {}
        for entry in self.entries.values():
            named = " ".join(salient_terms(entry.question + " " + entry.answer)) + " " + entry.title
            names.setdefault(entry.file, set()).update(stem(t) for t in content_tokens(named))
            words.setdefault(entry.file, set()).update(entry.key_stems | entry.answer_stems)
        distinctive = {}
        for file, own in names.items():
            elsewhere = set().union(*(other for f, other in words.items() if f != file))
            distinctive[file] = frozenset(n for n in own if n not in elsewhere and stem(n) not in elsewhere)
        return distinctive  # stem(n): "migrations" stems to "migration", elsewhere "migrat"

    def refresh(self) -> None:
        """Reload the entries if the index file changed since they were loaded."""
        if self._version() != self._loaded_version:
            self._load()

    def search(self, query: str, k: int = 5) -> SearchResult:
        """The top `k` entries for `query`, best first, each with its score and reasons."""
        self.refresh()
        notes: list[str] = []
        words = list(dict.fromkeys(tokens(query)))  # a repeated word says nothing new
        if len(words) > MAX_QUERY_TOKENS:
            notes.append(f"long question: searched its first {MAX_QUERY_TOKENS} words")
            words = words[:MAX_QUERY_TOKENS]
        meaningful = [w for w in words if w not in STOPWORDS] or words
        if not meaningful or not self.entries:
            return SearchResult(query, (), tuple(notes))
        corrected = [self._correct(word, notes) for word in meaningful]
        known = tuple(w for w in corrected if stem(w) in self.idf)
        weights = {stem(w): self.idf.get(stem(w), self.unknown_idf) for w in corrected}
        # Typo-corrected words give FTS5 its recall; rapidfuzz then scores word-order-free question similarity.
        candidates = self._fts_candidates(corrected)
        similarities = (
            process.cdist(
                [" ".join(corrected)],
                [self.entries[rowid].question_text for rowid in candidates],
                scorer=fuzz.token_sort_ratio,
                dtype="float32",
            )[0]
            if candidates
            else []
        )
        wants = answer_types.wanted(query)
        hits = [
            self._score(rowid, weights, bm25, float(similarity) / 100, wants)
            for (rowid, bm25), similarity in zip(candidates.items(), similarities)
        ]
        hits.sort(key=lambda hit: hit.score, reverse=True)
        return SearchResult(query, tuple(hits[:k]), tuple(notes), known)

    def semantic(self, query: str) -> dict[str, float]:
        """Per entry, the best cosine similarity of `query` to its vectors ({} when the index has none)."""
        if self.vectors is None or not query.strip():
            return {}
        similarities = self.vectors @ message_vector(query[:2000])
        best: dict[str, float] = {}
        for entry_id, similarity in zip(self.vector_owners, similarities):
            best[entry_id] = max(best.get(entry_id, -1.0), float(similarity))
        return best

    def entry(self, entry_id: str) -> Hit | None:
        """An entry by its id, as a hit chosen outright (score 1), from the entries loaded last."""
        found = self.by_id.get(entry_id)
        return self._as_hit(found, 1.0, ("chosen by id",)) if found else None

    def mentioned_documents(self, query: str) -> set[str]:
        """Documents the query names by a word only that document uses ('RedX', 'AWS')."""
        stems = {stem(w) for w in tokens(query) if w not in STOPWORDS}
        return {file for file, words in self.distinctive.items() if stems & words}

    def twins(self, hit: Hit, result: SearchResult) -> list[Hit]:
        """Entries of other documents that answer the same question as `hit` (never mixed, offered instead)."""
        chosen = self.by_id[hit.id]
        found = {}
        for entry in self.entries.values():
            if entry.file != chosen.file and fuzz.token_set_ratio(entry.question_text, chosen.question_text) >= 90:
                found[entry.id] = self._as_hit(entry, hit.score, ("asks the same question",))
        for other in result.hits:
            if other.file != hit.file and other.score >= max(GOOD_MATCH, 0.8 * hit.score):
                found.setdefault(other.id, other)
        return list(found.values())

    def _correct(self, word: str, notes: list[str]) -> str:
        if stem(word) in self.idf or len(word) < 4 or word.isdigit():
            return word
        choices = self.vocabulary_by_initial.get(word[0], [])
        match = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        if match is None:
            return word
        notes.append(f"read {word!r} as {match[0]!r}")
        return match[0]

    def _fts_candidates(self, words: list[str]) -> dict[int, float]:
        # Every word goes to FTS5 as a quoted term, so no user text is ever FTS5 syntax.
        expression = " OR ".join('"' + word.replace('"', "") + '"' for word in dict.fromkeys(words))
        sql = (
            "select rowid, bm25(entries_fts, ?, ?, ?) as rank from entries_fts "
            "where entries_fts match ? order by rank limit 50"
        )
        return {row[0]: -row[1] for row in self.db.execute(sql, [*BM25_WEIGHTS, expression]).fetchall()}

    def _score(
        self, rowid: int, weights: dict[str, float], bm25: float, similarity: float, wants: frozenset[str]
    ) -> Hit:
        entry = self.entries[rowid]
        total = sum(weights.values())
        in_key = [s for s in weights if s in entry.key_stems]
        in_answer = [s for s in weights if s in entry.answer_stems]
        coverage = (sum(weights[s] for s in in_key) + ANSWER_FACTOR * sum(weights[s] for s in in_answer)) / total
        relevance = bm25 / (bm25 + 5.0) if bm25 > 0 else 0.0
        kinds = wants & entry.gives
        score = min(1.0, 0.6 * coverage + 0.2 * similarity + 0.2 * relevance + ANSWER_TYPE_BONUS * bool(kinds))
        reasons = []
        if in_key:
            reasons.append("question matches: " + ", ".join(in_key))
        if in_answer:
            reasons.append("answer matches: " + ", ".join(in_answer))
        if kinds:
            reasons.append("gives the kind of answer asked for: " + ", ".join(sorted(kinds)))
        reasons.append(f"question similarity {similarity:.0%}")
        reasons.append(f"BM25 {bm25:.2f}")
        return self._as_hit(entry, round(score, 3), tuple(reasons))

    @staticmethod
    def _as_hit(entry: _Entry, score: float, reasons: tuple[str, ...]) -> Hit:
        return Hit(entry.id, entry.question, entry.answer, entry.title, entry.file, entry.dated, score, reasons)


def result_to_json(result: SearchResult) -> dict:
    return {
        "query": result.query,
        "good_match": result.good,
        "notes": list(result.notes),
        "hits": [
            {
                "id": h.id,
                "score": h.score,
                "question": h.question,
                "document": h.title,
                "file": h.file,
                "reasons": list(h.reasons),
                "answer": h.answer,
            }
            for h in result.hits
        ],
    }


_searchers: dict[Path, FaqSearcher] = {}


def searcher_for(db_path: Path) -> FaqSearcher:
    """One searcher per index file and process, so entries are loaded once."""
    if db_path not in _searchers:
        _searchers[db_path] = FaqSearcher(db_path)
    return _searchers[db_path]


def search(db_path: Path, query: str, k: int = 5) -> SearchResult:
    return searcher_for(db_path).search(query, k)
