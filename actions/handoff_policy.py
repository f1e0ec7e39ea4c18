"""A Rasa dialogue policy (listed in config.yml): during a live handoff the customer talks to the engineer.

While the `handoff_ref` slot is set, every customer message goes to action_relay_to_engineer, whatever
its intent; the engineer's own events (EXTERNAL_* intents) are left to the rules.
"""
from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

RELAY_ACTION = "action_relay_to_engineer"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}  # above RulePolicy (6): a rule must not answer a customer in handoff

    def train(self, training_trackers: list, domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None, **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        latest = tracker.latest_message
        intent = ((latest.intent or {}).get("name") or "") if latest else ""
        if tracker.get_slot("handoff_ref") and not intent.startswith("EXTERNAL_"):
            wanted = RELAY_ACTION if tracker.latest_action_name == ACTION_LISTEN_NAME else ACTION_LISTEN_NAME
            probabilities[domain.index_for_action(wanted)] = 1.0
        return self._prediction(probabilities)
