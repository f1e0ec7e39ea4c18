"""How the bot answers a question from the FAQ: the entry that three estimates agree on (lexical search,
semantic similarity to the entry's text, the sentence-vector classifier trained on the examples), close
matches as choices, or an honest 'don't know'.

Plain Python (no Rasa): actions/ passes in what the NLU pipeline said.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bot.answers.routing import about_plan
from bot.answers.urgency import LONG_MESSAGE_WORDS
from bot.status.products import find_product, impact_on
from faq_index.search import FaqSearcher, Hit
from faq_index.training_data import response_text

# Shares of the fused score (see README, "How the bot answers": chosen on tests/data/eval_dev.yml).
WEIGHTS = {
    "lexical": 0.3,  # the FAQ search's score (faq_index/search.py)
    "semantic": 0.2,  # MiniLM similarity of the message to the entry's question and answer
    "classifier": 0.5,  # the sentence-vector classifier's probability (bot/answers/intent_vectors.py)
}
UNRELATED = 0.3  # MiniLM similarity under which a message with no FAQ word is about something else
ANSWER_AT = 0.25  # fused score from which an entry is answered outright
SUGGEST = 0.2  # fused scores from here up to ANSWER_AT are offered as buttons, not answered
RUNNER_UP = 0.85  # an entry within 15% of the answer's fused score is offered beside it as a button
MAX_BUTTONS = 3
CHOICE_INTENT = "faq_choice"  # a button's payload: this intent with the entry id, read without the classifier


@dataclass(frozen=True)
class FaqReply:
    kind: str  # "answer", "choices" or "unknown"
    entry: Hit | None = None
    alternatives: tuple[Hit, ...] = ()  # buttons: the same question in another migration, and close matches
    score: float | None = None  # the best fused score (None: an entry picked from the buttons, not searched)
    margin: float | None = None  # how far the answer's score is ahead of the next other entry's (not its twins')

    def record(self) -> dict:
        """What the bot decided, kept with its message in the tracker (the bot event's metadata, key "faq"), so
        `helpdesk review` can find answers given narrowly: {"kind", "entry"?, "score"?, "margin"?}."""
        record: dict = {"kind": self.kind}
        if self.entry:
            record["entry"] = self.entry.id
        if self.score is not None:
            record["score"] = round(self.score, 3)
        if self.margin is not None:
            record["margin"] = round(self.margin, 3)
        return record

    @property
    def text(self) -> str:
        """The entry's answer with its source; "" for the other kinds, whose wording is in domain.yml
        (utter_faq_choices, utter_faq_unknown)."""
        return response_text(self.entry.answer, self.entry.title) if self.kind == "answer" and self.entry else ""

    def buttons(self) -> list[tuple[str, str]]:
        """(title, entry id) for each alternative; one from another document than the answer's names it."""
        return [
            (f"{hit.title}: {hit.question}" if self.entry and hit.file != self.entry.file else hit.question, hit.id)
            for hit in self.alternatives
        ]


def _prefer_document(
    searcher: FaqSearcher, text: str, chosen: Hit, twins: list[Hit], fused: dict[str, float]
) -> tuple[Hit, list[Hit]]:
    """Of the same question in several migrations: the one the user names, else the one the estimates
    clearly prefer, else the most recent one. The others are offered."""
    named = searcher.mentioned_documents(text)
    candidates = [chosen, *twins]
    named_candidates = [hit for hit in candidates if hit.file in named]
    if len(named_candidates) == 1:
        return named_candidates[0], []
    pool = named_candidates or candidates
    close = [
        hit for hit in pool if hit.id == chosen.id or fused.get(hit.id, 0.0) >= RUNNER_UP * fused.get(chosen.id, 0.0)
    ] or pool
    best = max(close, key=lambda hit: (hit.dated or "", hit.score))
    return best, [hit for hit in candidates if hit.id != best.id]


def fuse(estimates: dict[str, dict[str, float]], untaught: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
    """Entries by fused score: independent estimates of which entry the message asks for, each {entry id: score}
    and named as in WEIGHTS. An estimate that is missing (no classifier ranking) shares its weight.

    For an entry the classifier learnt from generated examples only (`untaught`: a new document's), its own
    probability says only that nobody has taught it customers' words yet. Its stand-in is P(an FAQ question), which
    the classifier does know, times the search's estimate of P(this entry | an FAQ question)."""
    present = {name: scores for name, scores in estimates.items() if scores}
    total = sum(WEIGHTS[name] for name in present) or 1.0
    classifier = present.get("classifier", {})
    faq_question = sum(classifier.values())
    searches = {name: scores for name, scores in present.items() if name != "classifier"}
    search_weight = sum(WEIGHTS[name] for name in searches) or 1.0
    fused: dict[str, float] = {}
    for entry_id in {entry_id for scores in present.values() for entry_id in scores}:
        search = sum(WEIGHTS[name] * scores.get(entry_id, 0.0) for name, scores in searches.items())
        fused[entry_id] = search / total
        if classifier:
            probability = (
                faq_question * search / search_weight if entry_id in untaught else classifier.get(entry_id, 0.0)
            )
            fused[entry_id] += WEIGHTS["classifier"] / total * probability
    return sorted(fused.items(), key=lambda item: item[1], reverse=True)


def question_focus(text: str) -> str:
    """Of a long message, the sentences that ask something: customers give context first, then ask."""
    asked = [part for part in re.split(r"(?<=[.!?])\s+", text) if part.strip().endswith("?")]
    return " ".join(asked) if asked else text


def asked_part(text: str) -> str:
    """What a message asks: a long one's question sentences, a short one whole (what is classified and searched)."""
    return question_focus(text) if len(text.split()) > LONG_MESSAGE_WORDS else text


def answer_question(
    searcher: FaqSearcher,
    text: str,
    classifier: dict[str, float] | None = None,
    untaught: frozenset[str] = frozenset(),
) -> FaqReply:
    """The reply to `text`, given the sentence-vector classifier's probability per entry id and the entries it
    learnt from generated examples only."""
    whole, text = text, asked_part(text)  # the classifier ranked the same part (actions/nlu_components.py)
    result = searcher.search(text, k=25)  # also reloads the entries if the index was rebuilt
    semantic = searcher.semantic(text)
    if not result.known_words and max(semantic.values(), default=0.0) < UNRELATED:
        return FaqReply("unknown")  # no word of it in the FAQ, nor like it in meaning, whatever a classifier says
    lexical = {hit.id: hit.score for hit in result.hits}
    named = searcher.mentioned_documents(whole)  # the context before a long message's question may name it
    ranked = [
        (entry_id, score)
        for entry_id, score in fuse(
            {"lexical": lexical, "semantic": semantic, "classifier": classifier or {}}, untaught
        )
        # a model older than the index may name a removed entry; a named migration narrows the choice
        if entry_id in searcher.by_id and (len(named) != 1 or searcher.by_id[entry_id].file in named)
    ]
    if not ranked or ranked[0][1] < SUGGEST:
        return FaqReply("unknown", score=ranked[0][1] if ranked else 0.0)
    ranked = _schedule_first(searcher, whole, ranked)
    top_score = ranked[0][1]
    if top_score < ANSWER_AT:
        return FaqReply(
            "choices", None, tuple(searcher.entry(i) for i, score in ranked[:3] if score >= SUGGEST), score=top_score
        )
    chosen = searcher.entry(ranked[0][0])
    chosen, others = _prefer_document(searcher, whole, chosen, searcher.twins(chosen, result), dict(ranked))
    close = [searcher.entry(i) for i, score in ranked[1:MAX_BUTTONS] if score >= RUNNER_UP * top_score]
    alternatives = {hit.id: hit for hit in [*others[:1], *close] if hit.id != chosen.id}
    same_question = {chosen.id, ranked[0][0], *(hit.id for hit in others)}
    runner_up = next((score for entry_id, score in ranked if entry_id not in same_question), 0.0)
    return FaqReply(
        "answer", chosen, tuple(alternatives.values())[:MAX_BUTTONS], score=top_score, margin=top_score - runner_up
    )


def _schedule_first(searcher: FaqSearcher, text: str, ranked: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """A question about a product in the plan ("will Web2SMS work during phase 2?") is answered by the entry holding
    the schedule that tells each window's impact on that product: when that entry is within RUNNER_UP of the best,
    or, when the best would only be offered, when the message names one of its windows."""
    product = find_product(text)
    if product is None or not about_plan(text):
        return ranked
    top_score = ranked[0][1]
    answered = top_score >= ANSWER_AT
    for position, (entry_id, score) in enumerate(ranked[:MAX_BUTTONS]):
        windows = searcher.schedules.get(entry_id, [])
        if not any(impact_on(product, impact).status != "not mentioned" for _, impact in windows):
            continue
        if (answered and score >= RUNNER_UP * top_score) or (
            not answered and score >= SUGGEST and names_a_window(text, [name for name, _ in windows])
        ):
            return [(entry_id, max(top_score, ANSWER_AT)), *ranked[:position], *ranked[position + 1 :]]
    return ranked


_WINDOW = re.compile(
    r"\bphase\s*(?:\d|one|two|three|four|five|i{1,3}v?)\b|\b(?:the )?(?:first|second|third|fourth|last|final) phase\b|"
    r"\bwindows?\b|\bnights?\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b",
    re.I,
)


def names_a_window(text: str, names: list[str]) -> bool:
    """The message names a maintenance window: a phase by number or by its own name, a window, a night or a day."""
    lowered = text.lower()
    return bool(_WINDOW.search(text)) or any(
        name and all(word in lowered for word in name.lower().split()[:2]) for name in names
    )


def choice_payload(entry_id: str) -> str:
    """A button's payload that answers `entry_id` when pressed."""
    return f"/{CHOICE_INTENT}" + json.dumps({"faq_entry": entry_id})


def entry_of_payload(payload: str) -> str | None:
    """The entry a choice_payload names, or None for any other payload."""
    prefix = f"/{CHOICE_INTENT}"
    if not payload.startswith(prefix):
        return None
    try:
        return str(json.loads(payload.removeprefix(prefix))["faq_entry"])
    except (ValueError, KeyError, TypeError):
        return None


def answer_entry(searcher: FaqSearcher, entry_id: str) -> FaqReply:
    """The reply when the user picked an entry (a button)."""
    searcher.refresh()
    entry = searcher.entry(entry_id)
    return FaqReply("answer", entry) if entry else FaqReply("unknown")
