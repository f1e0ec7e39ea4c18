"""A deterministic classifier over a message's words: a logistic regression on TF-IDF weighted words, word
pairs and character 2-5-grams inside words (so typos and word forms still match), taught every training example
(FAQ entries as `faq/<entry id>`, live status, forms, small talk, out of scope).

It is the words' signal of the routing (bot/answers/routing.py), beside the sentence-vector classifier
(bot/answers/intent_vectors.py), which hears the meaning. It took the place of Rasa's DIETClassifier, whose
choice flipped with the training seed and whose training took most of `helpdesk train`: this regression's
optimum is unique, so every seed gives the same model, and it trains in seconds.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.answers.intent_vectors import fit_regression, ranked

MAX_TEXT = 2000  # characters read of a longer message


def _vectorizers(word_vocabulary=None, char_vocabulary=None) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    words = TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b", vocabulary=word_vocabulary
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, vocabulary=char_vocabulary)
    return words, chars


@dataclass(frozen=True)
class IntentWords:
    classes: tuple[str, ...]
    word_vocabulary: tuple[str, ...]
    char_vocabulary: tuple[str, ...]
    idf: np.ndarray  # (words + chars,): the training examples' inverse document frequencies
    weights: np.ndarray  # (words + chars, classes)
    bias: np.ndarray  # (classes,)

    @classmethod
    def train(cls, texts: list[str], labels: list[str], generated: list[bool] | None = None) -> "IntentWords":
        """Fit on examples and their intents (at least two distinct); `generated` marks examples no person wrote."""
        words, chars = _vectorizers()
        features = sparse.hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
        classes, weights, bias = fit_regression(features, labels, generated)
        return cls(
            classes,
            tuple(words.get_feature_names_out()),
            tuple(chars.get_feature_names_out()),
            np.concatenate([words.idf_, chars.idf_]).astype(np.float32),
            weights,
            bias,
        )

    def __post_init__(self) -> None:
        words, chars = _vectorizers(self.word_vocabulary, self.char_vocabulary)
        words.idf_ = self.idf[: len(self.word_vocabulary)]
        chars.idf_ = self.idf[len(self.word_vocabulary) :]
        object.__setattr__(self, "_readers", (words, chars))  # frozen: set once, from the saved vocabularies

    def rank(self, text: str) -> dict[str, float]:
        """Probability per intent, best first."""
        words, chars = self._readers  # type: ignore[attr-defined]
        text = text[:MAX_TEXT]
        features = sparse.hstack([words.transform([text]), chars.transform([text])]).tocsr()
        return ranked(self.classes, np.asarray(features @ self.weights).ravel() + self.bias)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        np.savez(
            buffer,
            classes=np.array(self.classes),
            word_vocabulary=np.array(self.word_vocabulary, dtype=str),
            char_vocabulary=np.array(self.char_vocabulary, dtype=str),
            idf=self.idf,
            weights=self.weights,
            bias=self.bias,
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "IntentWords":
        with np.load(io.BytesIO(data), allow_pickle=False) as saved:
            strings = {
                name: tuple(str(s) for s in saved[name]) for name in ("classes", "word_vocabulary", "char_vocabulary")
            }
            return cls(
                strings["classes"],
                strings["word_vocabulary"],
                strings["char_vocabulary"],
                saved["idf"],
                saved["weights"],
                saved["bias"],
            )
