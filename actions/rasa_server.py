"""Starts the Rasa server: `helpdesk serve rasa` runs `python -m actions.rasa_server run ...` (`rasa run`'s
own arguments, but never the API token), and this adds what `rasa run` cannot do from its command line:

- the HTTP API token comes from the settings (RASA_API_TOKEN), not from an argument that `ps` shows to
  every user of the host;
- the Rasa server waits HELPDESK_ACTION_TIMEOUT seconds for the action server, not Rasa's 300;
- when a custom action fails (timeout, refused connection, 5xx, a malformed reply) the customer is told
  so with the support phone number (utter_something_went_wrong, the reply of actions/edge.py to an action's
  unexpected fault), where Rasa would log it and say nothing: an urgent case must never meet silence;
- a request body over MAX_BODY_BYTES gets 413 instead of being read (Sanic's default limit is 100 MB);
- each distinct message text is parsed once per loaded model (remember_parses): when a window starts, most
  customers ask the same few questions;
- an action is sent the conversation's RECENT_EVENTS latest events, not all of the session's (770 KB at message
  200), unless it reads the whole conversation (FULL_HISTORY_ACTIONS: the escalation's transcript);
- the action server's replies are checked against Rasa's schema by a validator built once
  (check_action_replies_quickly): Rasa's own check rebuilds it, and checks the schema itself, on every call.

rasa_sdk imports every module of the `actions` package into the action server, this one too: nothing here
runs on import, and Rasa itself is imported only when the server starts.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
from collections import OrderedDict
from typing import Any

from actions.edge import FAULT_RESPONSE  # domain.yml: sorry, and the support phone number
from core.db import private_file
from core.quiet import quiet_third_party_warnings
from core.settings import Settings

MAX_BODY_BYTES = 64 * 1024  # chat messages and the worker's API calls are a few KB; model uploads are not used
RECENT_EVENTS = 60  # about a dozen turns: more than any action reads but the transcript's
FULL_HISTORY_ACTIONS = frozenset({"action_create_escalation"})  # the engineer gets the whole conversation
PARSES_REMEMBERED = 4096  # distinct message texts whose parse the server keeps (a few KB each)

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


def send_recent_events_only() -> None:
    """Send each action the tracker's recent events only, unless it is one of FULL_HISTORY_ACTIONS.

    The tracker's other fields (slots, latest message, active form) are whole: rasa_sdk reads them, not the
    events. Without this a long conversation's every turn carries all its events (bench/profile_turn.py)."""
    from rasa.core.actions.action import RemoteAction

    build = RemoteAction._action_call_format

    def action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
        call = build(self, tracker, domain)
        if self.name() not in FULL_HISTORY_ACTIONS:
            call["tracker"]["events"] = call["tracker"]["events"][-RECENT_EVENTS:]
        return call

    RemoteAction._action_call_format = action_call_format


def check_action_replies_quickly() -> None:
    """The same check of each action server reply as Rasa's, with the validator built once (13 ms to 0.2)."""
    from jsonschema import ValidationError, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator = validators.validator_for(schema)(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as error:  # Rasa's own wording, so its logs read the same
            error.message += (
                ". Failed to validate Action server response from API, make sure your response from the Action "
                f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
            )
            raise

    RemoteAction._validate_action_result = validate_action_result


def remember_parses() -> None:
    """Parse each distinct message text once per loaded model.

    The parse depends on the text and the model only (the pipeline's components, ours included, read no
    tracker, clock or metadata), and a new model gets a new MessageProcessor, so the remembered parses are
    kept on the processor and go with it. Button payloads ("/intent{...}") are cheap and not remembered."""
    from rasa.core.processor import MessageProcessor

    parse = MessageProcessor.parse_message

    async def parse_message(
        self: MessageProcessor, message: Any, tracker: Any = None, only_output_properties: bool = True
    ) -> dict[str, Any]:
        text = message.text or ""
        if not text or text.startswith("/") or not only_output_properties:
            return await parse(self, message, tracker, only_output_properties)
        remembered: OrderedDict = self.__dict__.setdefault("_helpdesk_parses", OrderedDict())
        if text in remembered:
            remembered.move_to_end(text)
        else:
            remembered[text] = await parse(self, message, tracker, only_output_properties)
            if len(remembered) > PARSES_REMEMBERED:
                remembered.popitem(last=False)
        return copy.deepcopy(remembered[text])  # the tracker keeps, and Rasa amends, the parse it is given

    MessageProcessor.parse_message = parse_message


def rasa_arguments(argv: list[str], token: str) -> list[str]:
    """`rasa run`'s arguments with the API token, in this process's argv only (not in /proc/PID/cmdline). As
    `--auth-token=TOKEN`: a random token may begin with "-", which argparse would take for an option."""
    return [*argv, f"--auth-token={token}"] if token else list(argv)


def adapt_rasa(settings: Settings) -> None:
    """Everything above, done to Rasa in this process before it serves (bench/profile_turn.py does it too)."""
    wait_for_actions_at_most(settings.action_timeout)
    answer_when_actions_fail()
    remember_parses()
    send_recent_events_only()
    check_action_replies_quickly()


def main(argv: list[str]) -> None:
    quiet_third_party_warnings()
    settings = Settings.from_env()
    private_file(settings.tracker_db)  # transcripts, phones, emails: Rasa would create it world-readable
    os.environ["SANIC_REQUEST_MAX_SIZE"] = str(MAX_BODY_BYTES)  # Sanic reads SANIC_* when Rasa makes its app
    adapt_rasa(settings)
    sys.argv = ["rasa", *rasa_arguments(argv, settings.rasa_token)]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main(sys.argv[1:])
