"""What every listener of the Slack app needs: settings, the Web API client, the staff list, the FAQ searcher."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk import WebClient

from core.settings import Settings
from faq_index.search import FaqSearcher, searcher_for
from helpdesk_slack.staff import StaffList


@dataclass
class AppContext:
    settings: Settings
    client: WebClient
    staff: StaffList
    names: dict[str, str] = field(default_factory=dict)  # Slack user ID -> display name
    _searcher: FaqSearcher | None = None

    @property
    def searcher(self) -> FaqSearcher:
        # Loaded on first use; search() and answer_entry() reload it themselves when the index was rebuilt.
        if self._searcher is None:
            self._searcher = searcher_for(self.settings.faq_db)
        return self._searcher
