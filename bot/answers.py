"""How the bot answers a question from the FAQ: a confident classifier, the search, or an honest 'don't know'.

Plain Python (no Rasa): actions/ passes in what the NLU pipeline said.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from faq_index.search import FaqSearcher, Hit
from faq_index.training_data import response_text

SELECTOR_WEIGHT = 0.3  # share of the ResponseSelector's confidence in the fused score (chosen on the dev set)
ANSWER_AT = 0.25  # fused score from which an entry is answered outright (chosen on the dev set; see README)
SUGGEST = 0.2  # fused scores from here up to ANSWER_AT are offered as buttons, not answered
LONG_MESSAGE_WORDS = 40  # the classifier learnt from short questions; past this its judgement is not used
TIED = 0.05  # search results this close to the best are as likely to be meant: ask, do not guess
SUPPORT_CONTACT = "email support@modicagroup.com or ring 0800 77 66 22 (+64 4 498 6000)"


@dataclass(frozen=True)
class FaqReply:
    kind: str  # "answer", "choices" or "unknown"
    entry: Hit | None = None
    alternatives: tuple[Hit, ...] = ()  # buttons: the same question in another migration, or close matches

    @property
    def text(self) -> str:
        if self.kind == "answer" and self.entry:
            return response_text(self.entry.answer, self.entry.title)
        if self.kind == "choices":
            return "I'm not sure which of these you mean. Pick one, or rephrase your question:"
        return f"Sorry, I don't know the answer to that. For help from a person, please {SUPPORT_CONTACT}."

    def buttons(self) -> list[tuple[str, str]]:
        """(title, entry id) for each alternative."""
        if self.kind == "answer":
            return [(f"{hit.title}: {hit.question}", hit.id) for hit in self.alternatives]
        return [(hit.question, hit.id) for hit in self.alternatives]


def _prefer_document(searcher: FaqSearcher, text: str, chosen: Hit, twins: list[Hit]) -> tuple[Hit, list[Hit]]:
    """Of the same question in several migrations: the one the user names, else the most recent one."""
    named = searcher.mentioned_documents(text)
    candidates = [chosen, *twins]
    named_candidates = [hit for hit in candidates if hit.file in named]
    if len(named_candidates) == 1:
        return named_candidates[0], []
    best = max(named_candidates or candidates, key=lambda hit: (hit.dated or "", hit.score))
    return best, [hit for hit in candidates if hit.id != best.id]


def fuse(search_scores: dict[str, float], selector: dict[str, float]) -> list[tuple[str, float]]:
    """Entries by fused score: the hybrid search and the ResponseSelector are independent estimates."""
    ids = set(search_scores) | set(selector)
    fused = {i: (1 - SELECTOR_WEIGHT) * search_scores.get(i, 0.0) + SELECTOR_WEIGHT * selector.get(i, 0.0) for i in ids}
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def question_focus(text: str) -> str:
    """Of a long message, the sentences that ask something: customers give context first, then ask."""
    asked = [part for part in re.split(r"(?<=[.!?])\s+", text) if part.strip().endswith("?")]
    return " ".join(asked) if asked else text


def answer_question(searcher: FaqSearcher, text: str, selector: dict[str, float] | None = None) -> FaqReply:
    """The reply to `text`, given the ResponseSelector's confidence per entry id (if the classifier said FAQ)."""
    if len(text.split()) > LONG_MESSAGE_WORDS:
        text, selector = question_focus(text), None
    result = searcher.search(text, k=10)
    if not result.known_words:
        return FaqReply("unknown")  # not one word of the message occurs in the FAQ, whatever a classifier says
    ranked = [(entry_id, score) for entry_id, score in fuse({h.id: h.score for h in result.hits}, selector or {})
              if searcher.entry(entry_id) is not None]  # a model older than the index may name a removed entry
    if not ranked or ranked[0][1] < SUGGEST:
        return FaqReply("unknown")
    top_score = ranked[0][1]
    if top_score < ANSWER_AT:
        return FaqReply("choices", None, tuple(searcher.entry(i) for i, score in ranked[:3] if score >= SUGGEST))
    chosen = searcher.entry(ranked[0][0])
    twins = searcher.twins(chosen, result)
    tied = [searcher.entry(i) for i, score in ranked[1:] if score >= top_score - TIED]
    if any(hit.id not in {twin.id for twin in twins} for hit in tied):
        return FaqReply("choices", None, (chosen, *tied[:2]))  # as likely to be meant: ask, do not guess
    chosen, others = _prefer_document(searcher, text, chosen, twins)
    return FaqReply("answer", chosen, tuple(others[:1]))


def answer_entry(searcher: FaqSearcher, entry_id: str) -> FaqReply:
    """The reply when the user picked an entry (a button)."""
    entry = searcher.entry(entry_id)
    return FaqReply("answer", entry) if entry else FaqReply("unknown")


