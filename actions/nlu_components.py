"""Rasa NLU pipeline components (loaded by the Rasa server, listed in config.yml)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.answers.faq import asked_part
from bot.answers.intent_vectors import SEMANTIC_RANKING, TOP, UNTAUGHT, IntentVectors, by_intent
from bot.answers.intent_words import IntentWords
from bot.answers.routing import route
from faq_index.training_data import GENERATED


class _SavedClassifier(GraphComponent):
    """A classifier of bot/answers, trained with the model and kept in the model's storage as one file."""

    FILE = ""
    MODEL: Any = None  # the bot/answers class: train(), to_bytes(), from_bytes()

    def __init__(self, model_storage: ModelStorage, resource: Resource, model: Any = None) -> None:
        self._storage, self._resource, self._model = model_storage, resource, model

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "_SavedClassifier":
        return cls(model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "_SavedClassifier":
        with model_storage.read_from(resource) as directory:
            return cls(model_storage, resource, cls.MODEL.from_bytes((directory / cls.FILE).read_bytes()))

    def _keep(self, model: Any) -> Resource:
        self._model = model
        with self._storage.write_to(self._resource) as directory:
            (directory / self.FILE).write_bytes(model.to_bytes())
        return self._resource


def _examples(training_data: TrainingData) -> list[Message]:
    return [m for m in training_data.intent_examples if m.get("text")]


def _generated(examples: list[Message]) -> list[bool]:
    """Which examples faq_index/training_data.py generated (its intent metadata says so)."""
    return [bool(((m.get("metadata") or {}).get("intent") or {}).get(GENERATED)) for m in examples]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentWordsClassifier(_SavedClassifier):
    """bot/answers/intent_words.py, trained with the model: sets the message's intent and intent_ranking (FAQ
    entries summed as `faq`), as Rasa's DIETClassifier did, the same for every training seed."""

    FILE, MODEL = "intent_words.npz", IntentWords

    def train(self, training_data: TrainingData) -> Resource:
        examples = _examples(training_data)
        return self._keep(
            IntentWords.train(
                [m.get("text") for m in examples], [m.get_full_intent() for m in examples], _generated(examples)
            )
        )

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:  # all, as DIET did: Rasa's RegexMessageHandler then reads a button's payload
            ranking = list(by_intent(self._model.rank(asked_part(message.get("text") or ""))).items())
            ranking.sort(key=lambda item: -item[1])
            message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]}, add_to_output=True)
            message.set(
                "intent_ranking",
                [{"name": n, "confidence": round(p, 4)} for n, p in ranking[:TOP]],
                add_to_output=True,
            )
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentVectorsClassifier(_SavedClassifier):
    """bot/answers/intent_vectors.py, trained with the model: adds `semantic_ranking` ([{name, confidence}], FAQ
    entries as faq/<entry id>) to each message, for the Router and the FAQ action. It sets no intent."""

    FILE, MODEL = "intent_vectors.npz", IntentVectors

    def train(self, training_data: TrainingData) -> Resource:
        examples = _examples(training_data)
        return self._keep(
            IntentVectors.train(
                [m.get("text") for m in examples],
                [m.get_full_intent() for m in examples],
                _generated(examples),
            )
        )

    def process(self, messages: list[Message]) -> list[Message]:
        if self._model is None:
            return messages
        for message in messages:
            text = message.get("text") or ""
            if text.strip() and not text.startswith("/"):
                ranking = list(self._model.rank(asked_part(text)).items())[:TOP]
                message.set(
                    SEMANTIC_RANKING, [{"name": n, "confidence": round(p, 4)} for n, p in ranking], add_to_output=True
                )
                message.set(UNTAUGHT, list(self._model.untaught), add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class Router(GraphComponent):
    """One routing decision (bot/answers/routing.py): the classifiers' rankings combined, then the message's words:
    urgency and requests for a person first, requests the helpdesk cannot serve refused, the plan answered
    from the FAQ and the present from the live status."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "Router":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            current = (message.get("intent") or {}).get("name")
            if current is None or (message.get("text") or "").startswith("/"):
                continue  # a button's payload names its intent
            intent = route(
                message.get("text") or "",
                current,
                _ranking(message.get("intent_ranking")),
                _ranking(message.get(SEMANTIC_RANKING)),
            )
            if intent and current != intent:
                message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
        return messages


def _ranking(items: list[dict] | None) -> dict[str, float]:
    return {item["name"]: float(item.get("confidence") or 0.0) for item in items or [] if item.get("name")}
