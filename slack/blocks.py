"""Block Kit messages and views of the Slack app. Anything a person typed goes in plain_text objects."""
from __future__ import annotations

import json

from bot.escalations import Escalation
from bot.oncall import Rota, Step
from bot.status_replies import when
from faq_index.search import Hit
from helpdesk_slack.text import BUTTON_TEXT_LIMIT, clip, escape, mrkdwn, plain, plain_section, plain_sections

BUTTON_VALUE_LIMIT = 2000


def bot_reply(messages: list[dict], sender: str, thread_ts: str) -> tuple[str, list[dict]]:
    """The Rasa bot's messages as (fallback text, blocks); its buttons send their payload back to Rasa."""
    texts = [m["text"] for m in messages if m.get("text")]
    blocks: list[dict] = [section for text in texts for section in plain_sections(text)]
    buttons = [b for m in messages for b in (m.get("buttons") or [])]
    if buttons:
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "action_id": f"rasa_button_{n}", "text": plain(b.get("title", "?"), BUTTON_TEXT_LIMIT),
             "value": clip(json.dumps({"payload": b.get("payload", ""), "sender": sender, "thread_ts": thread_ts}),
                           BUTTON_VALUE_LIMIT)}
            for n, b in enumerate(buttons[:25])]})
    fallback = escape("\n\n".join(texts) or "(the bot sent no text)")
    return fallback, blocks or [plain_section("(the bot sent no text)")]


def faq_matches(query: str, hits: list[Hit], good: bool) -> list[dict]:
    """/faq results, for the asker only: each with its document, score and a button to post the answer."""
    blocks: list[dict] = [{"type": "section", "text": plain(f"FAQ matches for: {query}")}]
    if not good or not hits:
        blocks.append(plain_section("No good match in the FAQ. Try other words, or ask the bot in a direct message."))
        return blocks
    for rank, hit in enumerate(hits, start=1):
        blocks.append({
            "type": "section",
            "text": plain(f"{rank}. {hit.question}\n{hit.title} ({hit.file}), score {hit.score:.2f}"),
            "accessory": {"type": "button", "action_id": "faq_post", "value": hit.id,
                          "text": plain("Post answer to channel", BUTTON_TEXT_LIMIT)},
        })
    return blocks


def faq_answer(text: str, user: str) -> list[dict]:
    return plain_sections(text) + [{"type": "context", "elements": [mrkdwn(f"From the FAQ, posted by <@{user}>")]}]


def status_table(table: str, as_of: str) -> list[dict]:
    return [{"type": "section", "text": mrkdwn(f"*Migration status as of {escape(as_of)}*\n```{escape(table)}```")}]


def home_view(sections: list[tuple[str, list[tuple[str, str, str, str]]]], as_of: str) -> dict:
    """The Home tab: each migration with its phases, window and state now (notes are plain text)."""
    blocks: list[dict] = [
        {"type": "header", "text": plain("Migration status", 150)},
        {"type": "context", "elements": [plain(f"As of {as_of}. Staff can report a phase with /phase set.")]},
    ]
    for title, phases in sections:
        blocks += [{"type": "divider"}, {"type": "section", "text": plain(title)}]
        for label, window, state, note in phases:
            blocks.append({"type": "section", "fields": [plain(f"{label}: {state}"), plain(window)]})
            if note:
                blocks.append({"type": "context", "elements": [plain(f"Note: {note}")]})
    return {"type": "home", "blocks": blocks[:100]}


def _contact_fields(case: Escalation) -> list[dict]:
    labels = {"contact_name": "Name", "company": "Company", "callback": "Call back on", "product": "Product"}
    return [plain(f"{label}: {case.contact.get(key) or '-'}") for key, label in labels.items()]


def page(case: Escalation, step: Step, rota: Rota) -> tuple[str, list[dict]]:
    """The page in the on-call channel: who is paged, the customer's case, and the handoff buttons."""
    minutes = int(rota.ack_timeout.total_seconds() // 60)
    headline = f":rotating_light: *{case.ref}* urgent escalation, priority {escape(case.priority)}"
    blocks = [
        {"type": "section", "text": mrkdwn(headline)},
        {"type": "section", "text": mrkdwn(f"Paging <@{step.slack_user}> ({escape(step.role)}, {escape(step.phone)}). "
                                           f"Not acknowledged in {minutes} min, the next step is paged.")},
        {"type": "section", "text": plain(f"Summary: {case.summary}")},
        {"type": "section", "fields": _contact_fields(case)},
        {"type": "context", "elements": [plain(f"Transcript in the thread. Conversation {case.conversation_id}, "
                                               f"opened {when(case.created_at)}.")]},
        status_line(case),
        buttons(case),
    ]
    return f"{case.ref} urgent escalation: {escape(case.summary)}", blocks


def status_line(case: Escalation) -> dict:
    if case.status == "acknowledged":
        text = f"Acknowledged by {case.acknowledged_by}: they are talking with the customer (reply in this thread)."
    elif case.status == "resolved":
        text = "Resolved. The customer is back with the bot."
    else:
        text = "Waiting for an acknowledgement."
    return {"type": "context", "block_id": "status", "elements": [plain(f"Status: {text}")]}


def buttons(case: Escalation) -> dict:
    wanted = {"triggered": ("acknowledge", "resolve"), "acknowledged": ("reply", "resolve"), "resolved": ()}[case.status]
    styles = {"acknowledge": "primary", "resolve": "danger"}
    elements = []
    for action in wanted:
        button = {"type": "button", "action_id": f"escalation_{action}", "value": case.ref,
                  "text": plain(action.capitalize(), BUTTON_TEXT_LIMIT)}
        if action in styles:
            button["style"] = styles[action]
        elements.append(button)
    return {"type": "actions", "block_id": "handoff", "elements": elements} if elements else \
        {"type": "context", "block_id": "handoff", "elements": [plain("No actions left.")]}


def with_status(blocks: list[dict], case: Escalation) -> list[dict]:
    """A page's blocks with its status line and buttons brought up to date."""
    replaced = {"status": status_line(case), "handoff": buttons(case)}
    return [replaced.get(block.get("block_id"), block) for block in blocks]


def next_step(case: Escalation, step: Step, rota: Rota) -> str:
    minutes = int(rota.ack_timeout.total_seconds() // 60)
    return (f":rotating_light: {case.ref} was not acknowledged in {minutes} min: paging <@{step.slack_user}> "
            f"({escape(step.role)}, {escape(step.phone)}).")


def transcript(case: Escalation) -> list[dict]:
    lines = [f"{line.get('from', '?')}: {line.get('text', '')}" for line in case.transcript] or ["(no transcript)"]
    return [plain_section(f"Transcript of {case.ref}:")] + plain_sections("\n".join(lines))[:45]


def reply_modal(ref: str, channel: str, thread_ts: str) -> dict:
    return {
        "type": "modal", "callback_id": "escalation_reply",
        "private_metadata": json.dumps({"ref": ref, "channel": channel, "thread_ts": thread_ts}),
        "title": plain(f"Reply on {ref}", 24), "submit": plain("Send", 24), "close": plain("Cancel", 24),
        "blocks": [{"type": "input", "block_id": "reply", "label": plain("Message to the customer"),
                    "element": {"type": "plain_text_input", "action_id": "text", "multiline": True,
                                "max_length": 2000}}],
    }


def rota_text(rota: Rota) -> str:
    lines = [f"{n}. {escape(step.role)}: {escape(step.name)} (<@{step.slack_user}>, {escape(step.phone)})"
             for n, step in enumerate(rota.steps, start=1)]
    minutes = int(rota.ack_timeout.total_seconds() // 60)
    return "*On call now*\n" + "\n".join(lines) + f"\nAn unacknowledged page moves to the next step after {minutes} min."
