"""The words classifier (bot/answers/intent_words.py), without a server."""

from __future__ import annotations

import numpy as np

from bot.answers.intent_words import IntentWords

EXAMPLES = {
    "faq/rollback": ["what is the rollback plan", "can you undo the migration if it fails", "revert plan?"],
    "faq/reminder": ["will I get a reminder", "do you email us before the window", "any heads up before it starts"],
    "greet": ["hello", "hi there", "good morning"],
}


def trained() -> IntentWords:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples]
    return IntentWords.train(texts, labels)


def test_training_twice_gives_the_same_classifier():
    first, second = trained(), trained()
    assert first.classes == second.classes and first.char_vocabulary == second.char_vocabulary
    assert np.array_equal(first.weights, second.weights)


def test_a_misspelt_question_is_ranked_to_its_entry_by_its_word_pieces():
    ranking = trained().rank("wat is teh rolback plann")
    assert next(iter(ranking)) == "faq/rollback"
    assert abs(sum(ranking.values()) - 1.0) < 1e-5


def test_it_survives_being_saved_with_the_model():
    model = trained()
    again = IntentWords.from_bytes(model.to_bytes())
    assert again.rank("any reminder email?") == model.rank("any reminder email?")


def test_a_message_of_no_known_word_gets_a_ranking_still():
    ranking = trained().rank("")
    assert set(ranking) == set(EXAMPLES) and abs(sum(ranking.values()) - 1.0) < 1e-5
