"""/review and the Teach menu: staff see the customers' questions that went badly (bot/answers/review.py) and teach one
to the reply it should have had (bot/answers/curated.py teach, which records who and when in data/nlu/curated.yml).

/review is staff only and acknowledged at once; the list (reading the tracker store can take a while) follows
through the command's response_url, visible only to the asker. A Teach choice is recorded before Slack gets
its ack, and answered where it was made: a message only the chooser sees, or a note in their Home tab.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.answers import curated
from core.errors import HelpdeskError
from helpdesk_slack import blocks, home, offers
from helpdesk_slack.context import AppContext
from helpdesk_slack.staff import REFUSAL
from helpdesk_slack.text import escape, plain_section

logger = logging.getLogger(__name__)
Ack = Callable[..., None]
DAYS = 7  # /review alone: the last week
MOST_DAYS = 365
SHOWN = 10  # groups listed (newest first); a message holds at most 50 blocks, each group takes 4
# teach() reads curated.yml, adds one example and writes the file back: two choices handled at once in this
# process's request threads would each write the file without the other's example, so they take turns.
_TEACHING = threading.Lock()
USAGE = (
    f"Usage: /review (the questions that went badly in the last {DAYS} days), or /review DAYS "
    f"(a whole number of days from 1 to {MOST_DAYS})."
)


def days_of(text: str | None) -> int | None:
    """The days /review's text asks for, or None when it is not a whole number from 1 to MOST_DAYS."""
    words = (text or "").split()
    if not words:
        return DAYS
    if len(words) == 1 and words[0].isascii() and words[0].isdigit() and 0 < int(words[0]) <= MOST_DAYS:
        return int(words[0])
    return None


def command_ack(app: AppContext, command: dict, ack: Ack) -> None:
    """/review's quick part: staff only, days checked; the list follows (command_list)."""
    if not app.staff.is_staff(command["user_id"]):
        ack(response_type="ephemeral", text=REFUSAL)
        return
    if days_of(command.get("text")) is None:
        ack(response_type="ephemeral", text=USAGE)
        return
    ack()


def command_list(app: AppContext, command: dict, respond) -> None:
    """/review's slow part (a lazy listener): the newest groups, each with its Teach menu, to the asker only."""
    days = days_of(command.get("text"))
    if days is None or not app.staff.is_staff(command["user_id"]):
        return  # already answered by command_ack
    try:
        items = offers.questions(app, days)
        cards = offers.cards(app, items[:SHOWN])
    except HelpdeskError as exc:
        respond(response_type="ephemeral", text=escape(f"Cannot list the questions to review: {exc}"))
        return
    if not items:
        respond(response_type="ephemeral", text=f"No customer's question went badly in the last {days} days.")
        return
    respond(
        response_type="ephemeral",
        text=escape(f"Questions to review: {len(items)} groups in the last {days} days."),
        blocks=blocks.review_list([(card.item, card.options) for card in cards], len(items), days),
    )


def teacher(user: dict) -> str:
    """Who taught, as curated.yml records it: the Slack name and the user ID (which does not change)."""
    name = (user.get("name") or user.get("username") or "").strip()
    return f"{name} ({user['id']})" if name and name != user["id"] else user["id"]


def _outcome(app: AppContext, body: dict) -> tuple[str, bool]:
    """Teach what was chosen; (what to tell the chooser, whether it was recorded)."""
    user = body["user"]
    if not app.staff.is_staff(user["id"]):
        return REFUSAL, False
    key = str((body["actions"][0].get("selected_option") or {}).get("value") or "")
    try:
        offer = offers.find(app.settings.state_store, key)
        if offer is None:
            return (
                "Nothing recorded: that choice is no longer on hand (choices are kept "
                f"{offers.KEEP.days} days after they were last shown). Run /review again."
            ), False
        text, target = offer
        with _TEACHING:
            taught = curated.teach(app.settings, text, target, who=teacher(user), now=app.settings.clock.now())
    except HelpdeskError as exc:
        return f"Nothing recorded: {exc}", False
    except OSError as exc:  # curated.yml could not be written (permissions, a full disk)
        return f"Nothing recorded: {curated.CURATED_NLU} could not be written ({exc}).", False
    reply = f" ({taught.question})" if taught.question else ""
    return (
        f"Taught \u201c{taught.text}\u201d as {taught.intent}{reply}, by {taught.who} at {taught.at}, in "
        f"{curated.CURATED_NLU}. The next `helpdesk train` learns it."
    ), True


def teach_chosen(app: AppContext, body: dict, client: WebClient, respond, ack: Ack) -> None:
    """A Teach menu's choice: recorded (or refused) before Slack gets its ack, then answered where it was made."""
    text, done = _outcome(app, body)
    container = body.get("container") or {}
    try:
        if container.get("type") == "view" and body.get("view"):
            _note_in_home(app, body, client, text, done)
        else:
            respond(response_type="ephemeral", replace_original=False, text=escape(text), blocks=[plain_section(text)])
    except (SlackClientError, OSError) as exc:  # what was recorded stays so (choosing it again says it is there)
        logger.warning(
            "Could not tell %s what came of their Teach choice (recorded: %s): %s", body["user"]["id"], done, exc
        )
    ack()


def _note_in_home(app: AppContext, body: dict, client: WebClient, text: str, done: bool) -> None:
    """The Home tab as the chooser sees it, with the outcome under the item (the menu gone once taught). If the
    tab changed meanwhile (Slack refuses the stale hash), it is built afresh with the outcome at the section's top."""
    view, user = body["view"], body["user"]["id"]
    updated = {
        "type": "home",
        "blocks": blocks.with_teach_note(
            view.get("blocks") or [], body["actions"][0].get("block_id") or "", text, done
        ),
    }
    try:
        client.views_publish(user_id=user, view=updated, hash=view.get("hash"))
    except SlackApiError as exc:
        logger.info("Home tab of %s changed meanwhile (%s); publishing it afresh", user, exc.response.get("error"))
        home.publish(app, client, user, note=text)
