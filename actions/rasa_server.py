"""Starts the Rasa server: `helpdesk serve rasa` runs `python -m actions.rasa_server run ...` (`rasa run`'s
own arguments, but never the API token), and this adds what `rasa run` cannot do from its command line:

- the HTTP API token comes from the settings (RASA_API_TOKEN), not from an argument that `ps` shows to
  every user of the host;
- the Rasa server waits HELPDESK_ACTION_TIMEOUT seconds for the action server, not Rasa's 300;
- when a custom action fails (timeout, refused connection, 5xx, a malformed reply) the customer is told
  so with the support phone number (utter_something_went_wrong, the reply of actions/edge.py to an action's
  unexpected fault), where Rasa would log it and say nothing: an urgent case must never meet silence;
- a request body over MAX_BODY_BYTES gets 413 instead of being read (Sanic's default limit is 100 MB).

rasa_sdk imports every module of the `actions` package into the action server, this one too: nothing here
runs on import, and Rasa itself is imported only when the server starts.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from actions.edge import FAULT_RESPONSE  # domain.yml: sorry, and the support phone number
from core.db import private_file
from core.quiet import quiet_third_party_warnings
from core.settings import Settings

MAX_BODY_BYTES = 64 * 1024  # chat messages and the worker's API calls are a few KB; model uploads are not used

logger = logging.getLogger(__name__)


def wait_for_actions_at_most(seconds: float) -> None:
    from rasa.core.actions import action

    action.DEFAULT_REQUEST_TIMEOUT = seconds  # RemoteAction.run reads this module global on every call


def answer_when_actions_fail() -> None:
    """Make every failed call to the action server say FAULT_RESPONSE instead of nothing."""
    from rasa.core.actions.action import ActionBotResponse, ActionExecutionRejection, RemoteAction
    from rasa.shared.core.constants import REQUESTED_SLOT
    from rasa.shared.core.events import SlotSet

    call_action_server = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list:
        try:
            return await call_action_server(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise  # a form turned the answer down (HTTP 400): Rasa's own way on, not a fault
        except Exception:  # noqa: BLE001 - whatever went wrong, the customer must hear something
            logger.exception("the action %s failed; the customer is told to ring support", self.name())
        events = await ActionBotResponse(FAULT_RESPONSE).run(output_channel, nlg, tracker, domain)
        requested = tracker.get_slot(REQUESTED_SLOT)
        if self.name().startswith("validate_") and requested:
            # The answer could not be checked: forget it, so the form asks again instead of keeping it unchecked.
            events.append(SlotSet(requested, None))
        return events

    RemoteAction.run = run


def rasa_arguments(argv: list[str], token: str) -> list[str]:
    """`rasa run`'s arguments with the API token, in this process's argv only (not in /proc/PID/cmdline). As
    `--auth-token=TOKEN`: a random token may begin with "-", which argparse would take for an option."""
    return [*argv, f"--auth-token={token}"] if token else list(argv)


def main(argv: list[str]) -> None:
    quiet_third_party_warnings()
    settings = Settings.from_env()
    private_file(settings.tracker_db)  # transcripts, phones, emails: Rasa would create it world-readable
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(MAX_BODY_BYTES)  # Sanic reads SANIC_* when Rasa makes its app
    wait_for_actions_at_most(settings.action_timeout)
    answer_when_actions_fail()
    sys.argv = ["rasa", *rasa_arguments(argv, settings.rasa_token)]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
