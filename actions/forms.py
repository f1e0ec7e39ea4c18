"""Form validation driven by a table of answer checks (see bot.escalation.contact_checks)."""

from __future__ import annotations

import abc
from typing import Any, Callable

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.edge import HelpdeskAction
from bot.escalation import contact_checks

Check = Callable[[str], str]


def checked_answer(slot: str, value: Any, dispatcher: CollectingDispatcher, check: Check) -> dict[str, Any]:
    """Run `check` on the answer; on a bad answer say why and ask again (the slot stays empty). None is no
    answer but a slot emptied before the form starts (action_forget_form_answers): nothing to check or say."""
    if value is None:
        return {slot: None}
    try:
        return {slot: check(str(value or ""))}
    except contact_checks.InvalidAnswer as problem:
        dispatcher.utter_message(response=problem.reply.response, **problem.reply.values)
        return {slot: None}


class CheckedFormValidation(HelpdeskAction, FormValidationAction, abc.ABC):
    """Rasa asks for a `validate_<slot>` method per slot; the table `checks` answers them all
    (a subclass may still write its own method for a slot that needs more). Behind the actions' edge: after
    a fault the answer being checked is dropped, so the form asks for it again rather than keep it unchecked."""

    checks: dict[str, Check] = {}

    @abc.abstractmethod
    def name(self) -> str:
        """The validation action's name, validate_<form name>."""

    async def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        return await FormValidationAction.run(self, dispatcher, tracker, domain)

    def after_fault(self, tracker: Tracker) -> list[dict]:
        slot = tracker.get_slot("requested_slot")
        return [SlotSet(slot, None)] if slot in self.checks else []

    def __getattr__(self, name: str):
        slot = name.removeprefix("validate_")
        if name.startswith("validate_") and slot in self.checks:
            return lambda value, dispatcher, tracker, domain: checked_answer(slot, value, dispatcher, self.checks[slot])
        raise AttributeError(name)
