"""The Bolt app: which Slack request goes to which listener. The listeners live in their own modules."""

from __future__ import annotations

import logging
import re

from slack_bolt import App
from slack_sdk import WebClient

from core.settings import Settings
from helpdesk_slack import asking, blocks, commands, dedupe, escalation_actions, home, reviewing
from helpdesk_slack.context import AppContext
from helpdesk_slack.staff import StaffList

logger = logging.getLogger(__name__)


def web_client(settings: Settings) -> WebClient:
    return WebClient(token=settings.slack.bot_token, base_url=settings.slack.api_url, timeout=10)


def build_app(settings: Settings, client: WebClient | None = None) -> tuple[App, AppContext]:
    """The Bolt app and the context its listeners share (Slack must be configured: settings.slack.enabled)."""
    client = client or web_client(settings)
    context = AppContext(settings, client, StaffList(settings.slack, client))
    # process_before_response: each listener's quick part (its `ack` function) finishes before Slack gets
    # its answer, so what is acknowledged is stored; the slow part (asking Rasa) runs as a lazy listener.
    app = App(
        signing_secret=settings.slack.signing_secret or "socket-mode",
        client=client,
        request_verification_enabled=bool(settings.slack.signing_secret),
        process_before_response=True,
        logger=logger,
    )
    # Runs after Bolt's own signature check, so only requests really from Slack are recorded as seen.
    app.use(dedupe.drop_retries(settings.state_store))

    def ack_now(ack) -> None:
        ack()

    def is_question(event: dict) -> bool:
        return not (event.get("subtype") or event.get("bot_id"))  # edits, joins and bots' messages are not

    def in_page_thread(event: dict) -> bool:
        return bool(event.get("thread_ts")) and event.get("channel") == settings.slack.oncall_channel

    # A reply in a page's thread is queued for the customer before Slack gets its ack, so it is never lost;
    # questions to the bot are acknowledged at once and answered in the background (Rasa may take seconds).
    def on_message_ack(ack, event: dict, client: WebClient) -> None:
        if is_question(event) and in_page_thread(event):
            escalation_actions.thread_reply(context, event, client)
        ack()

    def on_message(event: dict, client: WebClient) -> None:
        if is_question(event) and event.get("channel_type") == "im":
            asking.answer_event(context, event, client)

    def on_mention(event: dict, client: WebClient) -> None:
        if not in_page_thread(event):  # in a page's thread, the message event relays it; the bot keeps out
            asking.answer_event(context, event, client)

    app.event("message")(ack=on_message_ack, lazy=[on_message])
    app.event("app_mention")(ack=ack_now, lazy=[on_mention])
    app.action(re.compile(r"rasa_button_\d+"))(
        ack=ack_now, lazy=[lambda body, client: asking.answer_button(context, body, client)]
    )

    app.command("/faq")(lambda command, ack: commands.faq(context, command, ack))
    app.command("/phase")(lambda command, ack: commands.phase(context, command, ack))
    app.command("/oncall")(lambda command, ack: commands.oncall_command(context, command, ack))
    app.command("/escalations")(lambda command, ack: commands.escalations_command(context, command, ack))
    app.action("faq_post")(ack=ack_now, lazy=[lambda body, client: commands.post_faq_answer(context, body, client)])

    # /review: staff only; acknowledged at once, the list follows by response_url (reading the tracker takes time).
    app.command("/review")(
        ack=lambda command, ack: reviewing.command_ack(context, command, ack),
        lazy=[lambda command, respond: reviewing.command_list(context, command, respond)],
    )
    # A Teach menu's choice is written to curated.yml before Slack gets its ack, so an acknowledged one is recorded.
    app.action(blocks.TEACH_ACTION)(
        lambda ack, body, client, respond: reviewing.teach_chosen(context, body, client, respond, ack)
    )

    app.event("app_home_opened")(ack=ack_now, lazy=[lambda event, client: home.opened(context, event, client)])

    def on_status_click(ack, body: dict, client: WebClient) -> None:
        escalation_actions.change_status(context, body, client)
        ack()

    app.action(re.compile(rf"^(escalation_(acknowledge|snooze|resolve)$|{blocks.REASSIGN_ACTION}:)"))(
        ack=on_status_click, lazy=[lambda body, client: escalation_actions.refresh_page(context, body, client)]
    )

    def on_reply(ack, body: dict, client: WebClient) -> None:
        ack()
        escalation_actions.open_reply(context, body, client)

    app.action("escalation_reply")(on_reply)
    app.view("escalation_reply")(lambda ack, body, view: escalation_actions.reply_submitted(context, body, view, ack))
    return app, context
