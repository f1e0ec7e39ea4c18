"""A Rasa dialogue policy (listed in config.yml): the customer's own words steer an escalation, above the rules.

- During a live handoff (the `handoff_ref` slot is set) a customer's message goes to action_relay_to_engineer,
  whatever its intent, except a request to end the chat ("stop", "cancel", "end chat") and /restart, which go to
  action_leave_handoff: it tells the engineer and lets the customer out.
- Inside the escalation or contact form, "cancel", "never mind" or "forget it" go to action_stop_form instead of
  being taken as an answer.
- Otherwise the same words ("cancel ESC-0042") go to action_cancel_escalation, which calls off the customer's case
  waiting for the on-call team, or says there is none.
The words are read by bot.escalation.leaving, plain words, not a classifier guess. The engineer's own events
(EXTERNAL_* intents), `message_too_long` and the customer's votes on an earlier answer (feedback_positive,
feedback_negative: not words for the engineer) are left to the rules.
After any of these actions it always predicts action_listen, whatever the slots now say: nothing else (not
action_default_fallback, whose rewind would undo the slots' reset, nor the form) may follow them.
"""

from __future__ import annotations

from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME, USER_INTENT_RESTART
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

from bot.escalation.leaving import wants_to_call_off, wants_to_leave

RELAY_ACTION = "action_relay_to_engineer"
LEAVE_ACTION = "action_leave_handoff"
CANCEL_ACTION = "action_cancel_escalation"
STOP_FORM_ACTION = "action_stop_form"
FORMS = frozenset({"escalation_form", "customer_contact_form"})
LAST_WORD = frozenset({RELAY_ACTION, LEAVE_ACTION, CANCEL_ACTION, STOP_FORM_ACTION})  # then the bot listens
LEFT_TO_THE_RULES = frozenset({"message_too_long", "feedback_positive", "feedback_negative"})  # and every EXTERNAL_*


def next_action(tracker: DialogueStateTracker) -> str | None:
    """The action the customer's words decide on, or None to leave the turn to the other policies."""
    if tracker.latest_action_name in LAST_WORD:
        return ACTION_LISTEN_NAME
    latest = tracker.latest_message
    intent = ((latest.intent or {}).get("name") or "") if latest else ""
    if intent.startswith("EXTERNAL_") or intent in LEFT_TO_THE_RULES:
        return None
    text = (latest.text if latest else None) or ""
    if tracker.get_slot("handoff_ref"):
        if tracker.latest_action_name != ACTION_LISTEN_NAME:
            return ACTION_LISTEN_NAME
        return LEAVE_ACTION if intent == USER_INTENT_RESTART or wants_to_leave(text) else RELAY_ACTION
    if tracker.latest_action_name != ACTION_LISTEN_NAME or not wants_to_call_off(text):
        return None
    return STOP_FORM_ACTION if tracker.active_loop_name in FORMS else CANCEL_ACTION


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT], is_trainable=False)
class EscalationPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 7}  # above RulePolicy (6): a rule must not answer a customer in handoff

    def train(self, training_trackers: list, domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self, tracker: DialogueStateTracker, domain: Domain, rule_only_data: dict[str, Any] | None = None, **kwargs: Any
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        wanted = next_action(tracker)
        if wanted is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(wanted)] = 1.0
        # Marked as not from the user's message, as RulePolicy marks a form's own next step: Rasa's ensemble lets
        # such predictions overrule all others, so without the mark a form would take "never mind" as an answer.
        return self._prediction(probabilities, is_no_user_prediction=True)
