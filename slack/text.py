"""Slack text objects that never render what a person typed as markup."""

from __future__ import annotations

PLAIN_TEXT_LIMIT = 3000  # Slack's limit for a section's text
BUTTON_TEXT_LIMIT = 75


def escape(text: str) -> str:
    """Text for a mrkdwn field or a message's fallback `text`: no links, mentions or commands."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = PLAIN_TEXT_LIMIT) -> dict:
    """A plain_text object: Slack shows it literally (no bold, links or mentions)."""
    return {"type": "plain_text", "text": clip(text.strip() or " ", limit), "emoji": False}


def plain_section(text: str) -> dict:
    return {"type": "section", "text": plain(text)}


def plain_sections(text: str) -> list[dict]:
    """Long text as several plain sections, cut at line ends where possible."""
    sections, rest = [], text.strip()
    while rest:
        cut = rest.rfind("\n", 0, PLAIN_TEXT_LIMIT) if len(rest) > PLAIN_TEXT_LIMIT else len(rest)
        cut = cut if cut > 0 else PLAIN_TEXT_LIMIT
        sections.append(plain_section(rest[:cut]))
        rest = rest[cut:].strip()
    return sections or [plain_section(" ")]


def mrkdwn(text: str) -> dict:
    """A mrkdwn object, for the app's own labels and mentions only (escape anything else)."""
    return {"type": "mrkdwn", "text": text}
