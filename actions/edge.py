"""The one edge every custom action runs behind: no action is silent, and no traceback reaches a customer.

An action subclasses HelpdeskAction and writes `act()` instead of `run()`. A HelpdeskError (a fault we know,
with a message for operators) is logged and handed to the action's `failed()`, which says what it means for
the customer; anything unexpected is logged with its traceback and answered with `utter_something_went_wrong`
(the support phone number). Either way the action returns the events of `after_fault()` (e.g. clearing what
must not be reused).
"""

from __future__ import annotations

import abc
import inspect
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from core.errors import HelpdeskError

logger = logging.getLogger(__name__)
FAULT_RESPONSE = "utter_something_went_wrong"  # also the Rasa server's when the action server fails (rasa_server.py)


class HelpdeskAction(Action, abc.ABC):
    """Base class of every custom action (see the module docstring)."""

    @abc.abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> Any:
        """The action's work: returns its events (or an awaitable of them)."""

    def failed(self, error: HelpdeskError, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict]:
        """What the customer is told when `act` raised a HelpdeskError; subclasses say it more specifically."""
        dispatcher.utter_message(response=FAULT_RESPONSE)
        return self.after_fault(tracker)

    def after_fault(self, tracker: Tracker) -> list[dict]:
        """The events to return after any fault (nothing by default)."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        try:
            events = self.act(dispatcher, tracker, domain)
            if inspect.isawaitable(events):
                events = await events
            return list(events or [])
        except HelpdeskError as error:
            logger.error("%s for %s: %s", self.name(), tracker.sender_id, error)
            return self.failed(error, dispatcher, tracker)
        except Exception:  # the edge: whatever went wrong, the customer is answered and the trace is logged
            logger.exception("%s failed unexpectedly for %s", self.name(), tracker.sender_id)
            dispatcher.utter_message(response=FAULT_RESPONSE)
            return self.after_fault(tracker)
