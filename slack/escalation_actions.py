"""The on-call channel: Acknowledge / Resolve / Reply on a page, and thread replies relayed to the customer."""

from __future__ import annotations

import json
import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.escalation import escalations
from bot.escalation.oncall import current_rota
from core.errors import HelpdeskError
from core.schema import state_database
from helpdesk_slack import blocks
from helpdesk_slack.context import AppContext
from helpdesk_slack.staff import REFUSAL
from helpdesk_slack.text import escape

logger = logging.getLogger(__name__)


def _tell(client: WebClient, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
    """A note only `user` sees."""
    client.chat_postEphemeral(channel=channel, user=user, text=escape(text), thread_ts=thread_ts)


# What each control on a page does: (database, the control's action, who, when).
CHANGES = {
    "escalation_acknowledge": lambda db, action, by, now: escalations.acknowledge(db, action["value"], by, now),
    "escalation_snooze": lambda db, action, by, now: escalations.snooze(db, action["value"], by, now),
    "escalation_resolve": lambda db, action, by, now: escalations.resolve(db, action["value"], by, now),
    blocks.REASSIGN_ACTION: lambda db, action, by, now: escalations.reassign(
        db, _ref_of(action), action["selected_user"], by, now
    ),
}


def change_status(app: AppContext, body: dict, client: WebClient) -> None:
    """Acknowledge, Snooze, Resolve or Reassign to... (staff only): the escalation changes before Slack gets its
    ack, so a click is never lost."""
    action, user = body["actions"][0], body["user"]
    channel = body["channel"]["id"]
    if not app.staff.is_staff(user["id"]):
        _tell(client, channel, user["id"], REFUSAL)
        return
    change = CHANGES[action["action_id"].split(":", 1)[0]]
    name = user.get("name") or user.get("username") or user["id"]
    try:
        with state_database(app.settings.state_store) as db:
            change(db, action, name, app.settings.clock.now())
    except HelpdeskError as exc:
        _tell(client, channel, user["id"], str(exc))


def _ref_of(action: dict) -> str:
    """The case a page's control is for: a button's value, or the picker's action id (escalation_reassign:REF)."""
    return action.get("value") or action["action_id"].split(":", 1)[1]


def refresh_page(app: AppContext, body: dict, client: WebClient) -> None:
    """After a click: the page's status line and buttons show the escalation as it now stands."""
    message = body["message"]
    with state_database(app.settings.state_store) as db:
        case = escalations.get(db, _ref_of(body["actions"][0]))
        rota = current_rota(db)
    client.chat_update(
        channel=body["channel"]["id"],
        ts=message["ts"],
        text=message.get("text") or case.ref,
        blocks=blocks.with_status(message.get("blocks") or [], case, rota),
    )


def open_reply(app: AppContext, body: dict, client: WebClient) -> None:
    """Reply: a modal to write to the customer (the trigger expires in 3 s, so this runs before the ack)."""
    ref = body["actions"][0]["value"]
    client.views_open(
        trigger_id=body["trigger_id"], view=blocks.reply_modal(ref, body["channel"]["id"], body["message"]["ts"])
    )


def _relay(app: AppContext, ref: str, text: str, user: dict, message_id: str) -> str | None:
    """Queue the engineer's words for the customer; returns why not, if they cannot go."""
    if not app.staff.is_staff(user["id"]):
        return REFUSAL
    try:
        with state_database(app.settings.state_store) as db:
            escalations.relay_from_engineer(
                db, ref, text, user.get("name") or user["id"], message_id, app.settings.clock.now()
            )
    except HelpdeskError as exc:
        return str(exc)
    return None


def reply_submitted(app: AppContext, body: dict, view: dict, ack) -> None:
    meta = json.loads(view["private_metadata"])
    text = view["state"]["values"]["reply"]["text"]["value"] or ""
    problem = _relay(app, meta["ref"], text, body["user"], f"view:{view['id']}")
    if problem:
        ack(response_action="errors", errors={"reply": problem})
        return
    ack()


def thread_reply(app: AppContext, event: dict, client: WebClient) -> None:
    """A reply in a page's thread goes to the customer while the escalation is acknowledged."""
    with state_database(app.settings.state_store) as db:
        case = escalations.find_by_thread(db, event["channel"], event["thread_ts"])
    if case is None:
        return
    user = {"id": event["user"], "name": display_name(app, client, event["user"])}
    problem = _relay(app, case.ref, event.get("text") or "", user, f"{event['channel']}:{event['ts']}")
    if problem:
        _tell(client, event["channel"], event["user"], f"Not sent to the customer: {problem}", event["thread_ts"])


def display_name(app: AppContext, client: WebClient, user_id: str) -> str:
    """The name a customer sees for an engineer (looked up once per user)."""
    if user_id not in app.names:
        try:
            profile = client.users_info(user=user_id)["user"]
        except SlackClientError:  # the name is a nicety; the relay must not fail for it
            return user_id
        app.names[user_id] = profile.get("real_name") or profile.get("name") or user_id
    return app.names[user_id]
