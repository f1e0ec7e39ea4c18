"""A Rasa NLU pipeline component (loaded by the Rasa server, listed in config.yml)."""
from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.message import Message

from bot.routing import route


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class Router(GraphComponent):
    """The message's words check the classifier's intent (bot/routing.py): urgency and requests for a person
    first, requests the helpdesk cannot serve refused, the plan answered from the FAQ and the present from
    the live status."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "Router":
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            current = (message.get("intent") or {}).get("name")
            intent = route(message.get("text") or "", current)
            if intent and current != intent:
                message.set("intent", {"name": intent, "confidence": 1.0}, add_to_output=True)
        return messages
