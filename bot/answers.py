"""How the bot answers a question from the FAQ: a confident classifier, the search, or an honest 'don't know'.

Plain Python (no Rasa): actions/ passes in what the NLU pipeline said.
"""
from __future__ import annotations

from dataclasses import dataclass

from faq_index.search import GOOD_MATCH, FaqSearcher, Hit
from faq_index.training_data import response_text

CONFIDENT = 0.5  # ResponseSelector confidence above which its choice is given directly (see README)
SUGGEST = 0.2  # search scores from here up to GOOD_MATCH are offered as buttons, not answered
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


def answer_question(
    searcher: FaqSearcher, text: str, selected_id: str | None = None, confidence: float = 0.0
) -> FaqReply:
    """The reply to `text`, given the entry the classifier picked (if any) and its confidence."""
    result = searcher.search(text, k=3)
    chosen = searcher.entry(selected_id) if selected_id and confidence >= CONFIDENT else None
    if chosen is not None and not result.known_words:
        chosen = None  # the classifier was sure, but not one word of the message occurs in the FAQ
    if chosen is None and result.good:
        tied = [hit for hit in result.hits if hit.score >= result.hits[0].score - TIED]
        if len({hit.file for hit in tied}) == 1 and len(tied) > 1:
            return FaqReply("choices", None, tuple(tied[:3]))
        chosen = result.hits[0]
    if chosen is not None:
        chosen, others = _prefer_document(searcher, text, chosen, searcher.twins(chosen, result))
        return FaqReply("answer", chosen, tuple(others[:1]))
    close = tuple(hit for hit in result.hits if hit.score >= SUGGEST)
    if close:
        return FaqReply("choices", None, close[:3])
    return FaqReply("unknown")


def answer_entry(searcher: FaqSearcher, entry_id: str) -> FaqReply:
    """The reply when the user picked an entry (a button)."""
    entry = searcher.entry(entry_id)
    return FaqReply("answer", entry) if entry else FaqReply("unknown")


__all__ = ["CONFIDENT", "GOOD_MATCH", "SUGGEST", "FaqReply", "answer_question", "answer_entry"]
