"""The sentence-vector classifier (bot/intent_vectors.py) and its place in the routing, without a server."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answers.intent_vectors import IntentVectors, by_intent, example_weights, faq_share, untaught_entries
from bot.answers.routing import combined_intent, route

EXAMPLES = {
    "faq/rollback": ["what is the rollback plan", "can you undo the migration if it fails", "revert plan?"],
    "faq/reminder": ["will I get a reminder", "do you email us before the window", "any heads up before it starts"],
    "out_of_scope": ["recipe for pavlova", "who won the rugby", "what's the weather tomorrow"],
}


def trained() -> IntentVectors:
    texts = [text for examples in EXAMPLES.values() for text in examples]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples]
    return IntentVectors.train(texts, labels)


def test_training_twice_gives_the_same_classifier():
    first, second = trained(), trained()
    assert first.classes == second.classes
    assert np.allclose(first.weights, second.weights, atol=1e-5)


def test_a_paraphrase_it_never_saw_is_ranked_to_its_entry():
    ranking = trained().rank("if things go badly can you roll it back?")
    assert next(iter(ranking)) == "faq/rollback"
    assert abs(sum(ranking.values()) - 1.0) < 1e-5


def test_it_survives_being_saved_with_the_model():
    model = trained()
    again = IntentVectors.from_bytes(model.to_bytes())
    assert again.rank("revert plan?") == model.rank("revert plan?")


def test_faq_entries_are_summed_as_the_faq_intent():
    ranking = {"faq/a": 0.3, "faq/b": 0.2, "greet": 0.5}
    assert by_intent(ranking) == {"faq": 0.5, "greet": 0.5}
    assert faq_share(ranking) == {"a": 0.3, "b": 0.2}


def test_the_classifiers_agreeing_outweigh_one_classifiers_guess():
    words = {"greet": 0.55, "faq": 0.40}  # the words classifier's argmax
    vectors = {"faq/rollback": 0.85, "greet": 0.05}
    assert combined_intent(words, vectors) == "faq"
    assert route("rollback plan?", "greet", words, vectors) == "faq"


def test_no_intent_is_trusted_when_both_classifiers_are_unsure():
    assert combined_intent({"greet": 0.3, "faq": 0.3}, {"faq/a": 0.3, "greet": 0.3, "deny": 0.4}) == "nlu_fallback"


def test_without_the_sentence_vectors_the_classifier_intent_stands():
    assert combined_intent({"greet": 0.9}, {}) is None
    assert route("hello there", "greet", {"greet": 0.9}, {}) is None


def test_for_a_long_message_only_the_sentence_vectors_are_heard():
    context = "We run the alerts for a big regional council and our people rely on them every single night. " * 3
    long_message = context + "Will the texts be delayed while the platform moves?"
    words = {"greet": 0.9, "faq": 0.1}  # the words classifier, which learnt from short messages, took the greeting
    vectors = {"faq/messages": 0.7, "greet": 0.1}
    assert route(long_message, "greet", words, vectors) == "faq"
    assert combined_intent({}, {"faq/messages": 0.5, "greet": 0.2}) == "faq"  # alone it has the whole weight


def test_intents_with_only_generated_examples_are_marked_untaught_and_saved_so():
    texts = [text for examples in EXAMPLES.values() for text in examples] + ["voice caller id", "caller id change"]
    labels = [label for label, examples in EXAMPLES.items() for _ in examples] + ["faq/caller_id"] * 2
    generated = [False] * (len(texts) - 2) + [True, True]
    model = IntentVectors.train(texts, labels, generated)
    assert model.untaught == ("faq/caller_id",)
    assert IntentVectors.from_bytes(model.to_bytes()).untaught == ("faq/caller_id",)
    assert untaught_entries(list(model.untaught)) == {"caller_id"}


def test_an_untaught_faq_entrys_few_examples_weigh_as_much_as_a_taught_entrys_many():
    labels = ["faq/taught"] * 6 + ["faq/new"] * 2 + ["out_of_scope"] * 10
    generated = [False] * 6 + [True] * 2 + [False] * 10
    weights = example_weights(labels, generated)
    assert list(weights[6:8]) == [3.0, 3.0] and set(weights[:6]) == {1.0} and set(weights[8:]) == {1.0}


def test_with_every_entry_taught_every_example_weighs_one():
    assert set(example_weights(["faq/a", "faq/a", "faq/b"], [True, False, False])) == {1.0}


def test_generated_marks_must_match_the_examples():
    with pytest.raises(ValueError):
        example_weights(["faq/a", "faq/b"], [True])
