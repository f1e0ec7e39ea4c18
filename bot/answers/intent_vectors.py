"""A deterministic classifier over sentence vectors: every training example (FAQ entries as `faq/<entry id>`,
live status, forms, small talk, out of scope) taught to a logistic regression on its MiniLM vector.

It is one signal of the routing (bot/answers/routing.py) and of the FAQ answer (bot/answers/faq.py), beside the
words classifier (bot/answers/intent_words.py) and the FAQ search. It gives the same answer for every training
seed: the regression's optimum is unique, and the encoder is frozen. Hand-written paraphrases in customers' words
(data/nlu/curated.yml) are where it learns most.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from faq_index.embeddings import encoder, message_vector

STRENGTH = 10.0  # inverse L2 regularisation (scikit-learn's C)
MAX_TEXT = 2000  # characters encoded of a longer message
TOP = 10  # intents kept in a message's ranking
SEMANTIC_RANKING = "semantic_ranking"  # its key in Rasa's parse data: [{name, confidence}], best first
UNTAUGHT = "semantic_untaught"  # its key in Rasa's parse data: the intents it learnt from generated examples only


@dataclass(frozen=True)
class IntentVectors:
    classes: tuple[str, ...]
    weights: np.ndarray  # (vector width, classes)
    bias: np.ndarray  # (classes,)
    # Intents taught only by generated examples (a new document's entries): the regression knows them from
    # keyword-like questions alone, so its probability for them is no evidence against them (bot/answers/faq.py).
    untaught: tuple[str, ...] = ()

    @classmethod
    def train(cls, texts: list[str], labels: list[str], generated: list[bool] | None = None) -> "IntentVectors":
        """Fit on examples and their intents (at least two distinct); `generated` marks examples no person wrote."""
        classes, weights, bias = fit_regression(encode(texts), labels, generated)
        return cls(classes, weights, bias, tuple(sorted(untaught_intents(labels, generated))))

    def rank(self, text: str) -> dict[str, float]:
        """Probability per intent, best first."""
        return ranked(self.classes, message_vector(text[:MAX_TEXT]) @ self.weights + self.bias)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        untaught = np.array(self.untaught, dtype=str)
        np.savez(buffer, classes=np.array(self.classes), weights=self.weights, bias=self.bias, untaught=untaught)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "IntentVectors":
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            untaught = tuple(str(c) for c in saved["untaught"]) if "untaught" in saved.files else ()
            return cls(tuple(str(c) for c in saved["classes"]), saved["weights"], saved["bias"], untaught)


def untaught_intents(labels: list[str], generated: list[bool] | None) -> set[str]:
    """The intents whose every example is generated (`generated` marks examples no person wrote)."""
    written = {label for label, made in zip(labels, generated or [False] * len(labels)) if not made}
    return set(labels) - written


def example_weights(labels: list[str], generated: list[bool] | None) -> np.ndarray:
    """Each example's weight in the fit: 1, but an untaught FAQ entry's examples weigh as much together as a taught
    entry's do on average. A new document's entry has a handful of generated examples where a taught one has dozens,
    and a regression counts examples: unweighted, it gives the new entry's questions to the taught entries beside it
    and to out of scope."""
    if generated is not None and len(generated) != len(labels):
        raise ValueError(f"{len(generated)} generated marks for {len(labels)} examples")
    counts = Counter(labels)
    untaught = untaught_intents(labels, generated)
    taught = [n for label, n in counts.items() if label.startswith("faq/") and label not in untaught]
    usual = sum(taught) / len(taught) if taught else 0.0
    return np.array(
        [max(1.0, usual / counts[label]) if label in untaught and label.startswith("faq/") else 1.0 for label in labels]
    )


def fit_regression(
    features: Any, labels: list[str], generated: list[bool] | None = None
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """A multinomial logistic regression's classes, weights (features, classes) and bias: one optimum, so the same
    for every run."""
    from sklearn.linear_model import LogisticRegression  # only training needs it

    model = LogisticRegression(C=STRENGTH, max_iter=3000).fit(
        features, labels, sample_weight=example_weights(labels, generated)
    )
    weights, bias = model.coef_.T, model.intercept_
    if len(model.classes_) == 2:  # scikit-learn keeps one column for two classes
        weights, bias = np.hstack([-weights, weights]), np.array([-bias[0], bias[0]])
    return tuple(str(c) for c in model.classes_), weights.astype(np.float32), bias.astype(np.float32)


def ranked(classes: tuple[str, ...], scores: np.ndarray) -> dict[str, float]:
    """A regression's scores as a probability per class (softmax), best first."""
    exps = np.exp(scores - scores.max())
    probabilities = exps / exps.sum()
    return {classes[i]: float(probabilities[i]) for i in np.argsort(-probabilities)}


def encode(texts: list[str], batch: int = 64) -> np.ndarray:
    model = encoder()
    return np.concatenate([model.encode(texts[i : i + batch]) for i in range(0, len(texts), batch)])


def faq_share(ranking: dict[str, float]) -> dict[str, float]:
    """The FAQ entries' probabilities by entry id."""
    return {name.split("/", 1)[1]: p for name, p in ranking.items() if name.startswith("faq/")}


def untaught_entries(untaught: list[str]) -> set[str]:
    """The FAQ entry ids among the classifier's untaught intents."""
    return {name.split("/", 1)[1] for name in untaught if name.startswith("faq/")}


def by_intent(ranking: dict[str, float]) -> dict[str, float]:
    """Probabilities per intent, the FAQ entries summed as `faq` (as Rasa names a retrieval intent's examples)."""
    merged: dict[str, float] = {}
    for name, p in ranking.items():
        key = "faq" if name.startswith("faq/") else name
        merged[key] = merged.get(key, 0.0) + p
    return merged
