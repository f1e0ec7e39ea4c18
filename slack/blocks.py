"""Block Kit messages and views of the Slack app. Anything a person typed goes in plain_text objects."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime

from bot.answers.review import ReviewItem
from bot.escalation.chain import next_page_due
from bot.escalation.escalations import Escalation
from bot.escalation.oncall import Rota, Step
from bot.status.status_replies import when
from faq_index.search import Hit
from helpdesk_slack.text import BUTTON_TEXT_LIMIT, clip, escape, mrkdwn, plain, plain_section, plain_sections

BUTTON_VALUE_LIMIT = 2000
OPTION_TEXT_LIMIT = 75  # Slack's limit for a menu option's text and description
SHOWN_QUESTION = 500  # characters of a customer's question shown in a review list (the whole one is taught)
TEACH_ACTION = "review_teach"


def bot_reply(messages: list[dict], sender: str, thread_ts: str) -> tuple[str, list[dict]]:
    """The Rasa bot's messages as (fallback text, blocks); its buttons send their payload back to Rasa."""
    texts = [m["text"] for m in messages if m.get("text")]
    blocks: list[dict] = [section for text in texts for section in plain_sections(text)]
    buttons = [b for m in messages for b in (m.get("buttons") or [])]
    if buttons:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": f"rasa_button_{n}",
                        "text": plain(b.get("title", "?"), BUTTON_TEXT_LIMIT),
                        "value": clip(
                            json.dumps({"payload": b.get("payload", ""), "sender": sender, "thread_ts": thread_ts}),
                            BUTTON_VALUE_LIMIT,
                        ),
                    }
                    for n, b in enumerate(buttons[:25])
                ],
            }
        )
    fallback = escape("\n\n".join(texts) or "(the bot sent no text)")
    return fallback, blocks or [plain_section("(the bot sent no text)")]


def faq_matches(query: str, hits: list[Hit], good: bool) -> list[dict]:
    """/faq results, for the asker only: each with its document, score and a button to post the answer."""
    blocks: list[dict] = [{"type": "section", "text": plain(f"FAQ matches for: {query}")}]
    if not good or not hits:
        blocks.append(plain_section("No good match in the FAQ. Try other words, or ask the bot in a direct message."))
        return blocks
    for rank, hit in enumerate(hits, start=1):
        blocks.append(
            {
                "type": "section",
                "text": plain(f"{rank}. {hit.question}\n{hit.title} ({hit.file}), score {hit.score:.2f}"),
                "accessory": {
                    "type": "button",
                    "action_id": "faq_post",
                    "value": hit.id,
                    "text": plain("Post answer to channel", BUTTON_TEXT_LIMIT),
                },
            }
        )
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
        {
            "type": "section",
            "text": mrkdwn(
                f"Paging <@{step.slack_user}> ({escape(step.role)}, {escape(step.phone)}). "
                f"Not acknowledged in {minutes} min, the next step is paged."
            ),
        },
        {"type": "section", "text": plain(f"Summary: {case.summary}")},
        {"type": "section", "fields": _contact_fields(case)},
        {
            "type": "context",
            "elements": [
                plain(f"Transcript in the thread. Conversation {case.conversation_id}, opened {when(case.created_at)}.")
            ],
        },
        status_line(case, rota),
        buttons(case),
    ]
    return f"{case.ref} urgent escalation: {escape(case.summary)}", blocks


def status_line(case: Escalation, rota: Rota) -> dict:
    """The page's status: its state and, while nobody has acknowledged, where the chain is and when it moves on
    (an instant, not a countdown: the message is not rewritten every minute)."""
    if case.status == "acknowledged":
        text = f"Acknowledged by {case.acknowledged_by}: they are talking with the customer (reply in this thread)."
    elif case.status == "resolved" and case.resolved_by == "customer":
        text = "Closed by the customer from the chat. Nobody else will be paged."
    elif case.status == "resolved":
        text = "Resolved. The customer is back with the bot."
    elif case.chain_ended_at:
        text = "Nobody acknowledged in any round of the rota: the support channel has been told."
    else:
        where = f"step {case.step + 1} of {len(rota.steps)}, round {case.round + 1} of {rota.repeat + 1}"
        due = next_page_due(case, rota)
        held = "; snoozed" if case.snoozed_until and due == case.snoozed_until else ""
        text = f"Waiting for an acknowledgement ({where}{f'; the next page {when(due)}' if due else ''}{held})."
    return {"type": "context", "block_id": "status", "elements": [plain(f"Status: {text}")]}


REASSIGN_ACTION = "escalation_reassign"  # + ":<ref>": a user picker carries no value of its own


def buttons(case: Escalation) -> dict:
    wanted = {"triggered": ("acknowledge", "snooze", "resolve"), "acknowledged": ("reply", "resolve"), "resolved": ()}[
        case.status
    ]
    labels = {"snooze": "Snooze 15 min"}
    styles = {"acknowledge": "primary", "resolve": "danger"}
    elements = []
    for action in wanted:
        button = {
            "type": "button",
            "action_id": f"escalation_{action}",
            "value": case.ref,
            "text": plain(labels.get(action, action.capitalize()), BUTTON_TEXT_LIMIT),
        }
        if action in styles:
            button["style"] = styles[action]
        elements.append(button)
    if case.status == "triggered":
        elements.append(
            {
                "type": "users_select",
                "action_id": f"{REASSIGN_ACTION}:{case.ref}",
                "placeholder": plain("Reassign to...", BUTTON_TEXT_LIMIT),
            }
        )
    return (
        {"type": "actions", "block_id": "handoff", "elements": elements}
        if elements
        else {"type": "context", "block_id": "handoff", "elements": [plain("No actions left.")]}
    )


def with_status(blocks: list[dict], case: Escalation, rota: Rota) -> list[dict]:
    """A page's blocks with its status line and buttons brought up to date."""
    replaced = {"status": status_line(case, rota), "handoff": buttons(case)}
    return [replaced.get(block.get("block_id"), block) for block in blocks]


def next_step(case: Escalation, step: Step, rota: Rota, round_: int = 0) -> str:
    minutes = int(rota.ack_timeout.total_seconds() // 60)
    again = f" Round {round_ + 1} of {rota.repeat + 1}: the rota is paged again from the start." if round_ else ""
    return (
        f":rotating_light: {case.ref} was not acknowledged in {minutes} min: paging <@{step.slack_user}> "
        f"({escape(step.role)}, {escape(step.phone)}).{again}"
    )


def closed_by_customer(case: Escalation, how: str) -> str:
    """The thread's note when the customer ended the chat with the engineer (`how` "left") or cancelled the case."""
    if how == "left":
        return f":wave: The customer ended the chat; {escape(case.ref)} is resolved."
    return (
        f":no_entry_sign: The customer cancelled {escape(case.ref)} from the chat before anyone acknowledged it. "
        "Nobody else will be paged."
    )


def chain_position(case: Escalation, rota: Rota, now: datetime) -> str:
    """Where a case's paging stands: step and round, who acknowledged, and what happens next and when."""
    if case.status == "acknowledged":
        text = f"acknowledged by {case.acknowledged_by}"
        since = case.reminded_at or case.acknowledged_at
        if rota.resolve_timeout and since:
            text += f"; reminded if still open in {_minutes_until(since + rota.resolve_timeout, now)} min"
        return text
    where = f"step {case.step + 1} of {len(rota.steps)}, round {case.round + 1} of {rota.repeat + 1}"
    if case.chain_ended_at:
        return f"{where}; nobody acknowledged in any round: the support channel was told"
    due = next_page_due(case, rota)
    if due is None:
        return where
    return f"{where}; next page in {_minutes_until(due, now)} min unless acknowledged"


def _minutes_until(then: datetime, now: datetime) -> int:
    return max(0, math.ceil((then - now).total_seconds() / 60))


def open_cases(cases: list[Escalation], rota: Rota, now: datetime) -> str:
    """/escalations: the open cases, newest first, each with where its paging stands."""
    if not cases:
        return "No open escalations."
    lines = [
        f"*{case.ref}* {escape(case.priority)} priority, opened {when(case.created_at)}: "
        f"{escape(str(case.contact.get('company') or case.contact.get('name') or 'a customer'))}, "
        f"{escape(clip(case.summary, 200))} ({escape(chain_position(case, rota, now))})"
        for case in reversed(cases)
    ]
    return "*Open escalations*\n" + "\n".join(lines)


def reassigned(case: Escalation, step: Step, by: str) -> str:
    return f":arrows_counterclockwise: {case.ref} was reassigned by {escape(by)}: paging <@{step.slack_user}>."


def chain_ended(case: Escalation, payload: dict) -> str:
    """To the support channel: the rota ran out and a person must take the case."""
    callback = escape(str(case.contact.get("callback") or "-"))
    company = escape(str(case.contact.get("company") or case.contact.get("name") or "a customer"))
    return (
        f":sos: {case.ref} ({escape(case.priority)} priority, {company}): nobody acknowledged the page in "
        f"{payload['rounds']} round(s) of the on-call rota. <@{payload['slack_user']}> ({escape(payload['role'])}, "
        f"{escape(payload['phone'])}), please take it or hand it to someone who can. Callback {callback}. "
        f"Summary: {escape(case.summary)}"
    )


def resolve_reminder(case: Escalation, payload: dict) -> str:
    return (
        f":hourglass: {case.ref} was acknowledged by {escape(payload['acknowledged_by'])} {payload['minutes']} min "
        "ago and is still open: resolve it when it is fixed, or ask for help here."
    )


def transcript(case: Escalation) -> list[dict]:
    lines = [f"{line.get('from', '?')}: {line.get('text', '')}" for line in case.transcript] or ["(no transcript)"]
    return [plain_section(f"Transcript of {case.ref}:")] + plain_sections("\n".join(lines))[:45]


def reply_modal(ref: str, channel: str, thread_ts: str) -> dict:
    return {
        "type": "modal",
        "callback_id": "escalation_reply",
        "private_metadata": json.dumps({"ref": ref, "channel": channel, "thread_ts": thread_ts}),
        "title": plain(f"Reply on {ref}", 24),
        "submit": plain("Send", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": "reply",
                "label": plain("Message to the customer"),
                "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": 2000},
            }
        ],
    }


def rota_text(rota: Rota) -> str:
    lines = [
        f"{n}. {escape(step.role)}: {escape(step.name)} (<@{step.slack_user}>, {escape(step.phone)})"
        for n, step in enumerate(rota.steps, start=1)
    ]
    return f"*On call now* ({escape(rota.name)} rota)\n" + "\n".join(lines) + "\n" + escape(rota.policy())


@dataclass(frozen=True)
class TeachOption:
    """One choice of a review item's Teach menu; `value` is the key of the offer behind it (slack/offers.py)."""

    label: str
    detail: str
    value: str
    faq: bool  # an FAQ entry; else one of the bot's other replies


def _times(count: int) -> str:
    return "once" if count == 1 else "twice" if count == 2 else f"{count} times"


def teach_menu(options: list[TeachOption]) -> dict:
    groups = []
    for label, faq in (("FAQ entries (best matches)", True), ("Other replies", False)):
        choices = [
            {
                "text": plain(option.label, OPTION_TEXT_LIMIT),
                "value": option.value,
                "description": plain(option.detail, OPTION_TEXT_LIMIT),
            }
            for option in options
            if option.faq is faq
        ]
        if choices:
            groups.append({"label": plain(label, OPTION_TEXT_LIMIT), "options": choices})
    return {
        "type": "static_select",
        "action_id": TEACH_ACTION,
        "placeholder": plain("Teach…", 150),
        "option_groups": groups,
        "confirm": {
            "title": plain("Teach this question?", 100),
            "text": plain(
                "It is added to data/nlu/curated.yml as an example of the reply you chose, "
                "with your name and the time; the next `helpdesk train` learns it.",
                300,
            ),
            "confirm": plain("Teach", 30),
            "deny": plain("Cancel", 30),
        },
    }


def review_item(n: int, item: ReviewItem, options: list[TeachOption]) -> list[dict]:
    """One group of questions that went badly: its newest text, what happened, and the Teach menu."""
    shown = clip(item.text, SHOWN_QUESTION)
    lines = [
        f"Asked {_times(item.count)}, last {when(item.last_asked)} (conversation {item.conversation}).",
        f"Why: {', '.join(item.reasons)}. The bot: {item.did}.",
    ]
    if item.picked:
        lines.append("Customers then pressed: " + ", ".join(item.picked) + ".")
    others = [text for text in item.texts if text != item.text][:2]
    if others:
        lines.append("Also asked as: " + " | ".join(clip(text, 100) for text in others))
    if shown != item.text:
        lines.append(f"Shown cut; the whole question ({len(item.text)} characters) is what is taught.")
    blocks = [
        {"type": "section", "text": plain(f"{n}. {shown}")},
        {"type": "context", "elements": [plain("\n".join(lines))]},
    ]
    if options:
        blocks.append({"type": "actions", "block_id": f"review_{n}_teach", "elements": [teach_menu(options)]})
    return blocks


def review_list(cards: list[tuple[ReviewItem, list[TeachOption]]], total: int, days: int) -> list[dict]:
    """/review: the newest groups, for the asker only (a message holds 50 blocks: 2, and 4 per group)."""
    newest = f"; the newest {len(cards)} below" if total > len(cards) else ""
    blocks: list[dict] = [
        {
            "type": "section",
            "text": plain(
                f"Questions to review: {total} groups of questions that went badly in the last {days} days{newest}."
            ),
        },
        {
            "type": "context",
            "elements": [
                plain(
                    "Teach one to the reply it should have had: it is added to "
                    "data/nlu/curated.yml with your name and the time, and the next "
                    "`helpdesk train` learns it."
                )
            ],
        },
    ]
    for n, (item, options) in enumerate(cards, start=1):
        blocks += [{"type": "divider"}, *review_item(n, item, options)]
    return blocks[:50]


def home_review(
    cards: list[tuple[ReviewItem, list[TeachOption]]],
    total: int,
    days: int,
    problem: str | None = None,
    note: str | None = None,
) -> list[dict]:
    """The Home tab's "Questions to review" section (staff only); `note`: what came of a Teach choice."""
    blocks: list[dict] = [{"type": "divider"}, {"type": "header", "text": plain("Questions to review", 150)}]
    if note:
        blocks.append({"type": "section", "text": plain(note)})
    if problem:
        return blocks + [{"type": "context", "elements": [plain(f"Cannot list them: {problem}")]}]
    newest = f" The newest {len(cards)} below; /review lists more." if total > len(cards) else ""
    blocks.append(
        {
            "type": "context",
            "elements": [
                plain(
                    f"{total} groups of customers' questions went badly in the last {days} days.{newest} Teach one to the reply "
                    "it should have had; the next `helpdesk train` learns it."
                )
            ],
        }
    )
    for n, (item, options) in enumerate(cards, start=1):
        blocks += review_item(n, item, options)
    return blocks


def with_review(view: dict, section: list[dict]) -> dict:
    """The Home view with the review section after the status (a view holds at most 100 blocks; one is kept free
    for a Teach choice's note)."""
    return {**view, "blocks": view["blocks"][: 99 - len(section)] + section}


def with_teach_note(view_blocks: list[dict], block_id: str, text: str, done: bool) -> list[dict]:
    """A view's blocks with what came of a Teach choice under its item: the menu replaced by the note once
    taught; beside the menu (replacing an earlier note) when nothing was recorded, so another choice can be made."""
    note_id = f"{block_id}_note"
    note = {"type": "context", "block_id": note_id, "elements": [plain(text)]}
    result: list[dict] = []
    for block in view_blocks:
        if block.get("block_id") == note_id:
            continue
        if block.get("block_id") == block_id:
            result += [note] if done else [block, note]
        else:
            result.append(block)
    if not any(block.get("block_id") == note_id for block in result):
        result.append(note)  # its item is no longer shown: the note still is
    return result[:100]
