"""Who may run staff-only commands: an allow-list of Slack user IDs, or the members of a staff channel."""

from __future__ import annotations

import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.settings import SlackSettings

MEMBERS_TTL = 60.0  # seconds a staff channel's member list is trusted before it is asked again


class StaffList:
    def __init__(self, settings: SlackSettings, client: WebClient) -> None:
        self._settings = settings
        self._client = client
        self._members: frozenset[str] = frozenset()
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    def is_staff(self, user_id: str) -> bool:
        if user_id in self._settings.staff_users:
            return True
        return bool(self._settings.staff_channel) and user_id in self._channel_members()

    def _channel_members(self) -> frozenset[str]:
        with self._lock:
            if time.monotonic() - self._fetched_at > MEMBERS_TTL:
                try:
                    members: set[str] = set()
                    for page in self._client.conversations_members(channel=self._settings.staff_channel, limit=1000):
                        members.update(page["members"])
                    self._members, self._fetched_at = frozenset(members), time.monotonic()
                except SlackApiError:
                    pass  # keep the last list we had: refusing staff during a Slack hiccup is the safe side
            return self._members


REFUSAL = "Sorry, only support staff can do that. Ask a team lead to add you to the staff list."
