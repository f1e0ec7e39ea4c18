"""Quiet, useful output: third-party deprecation warnings are filtered in the processes the helpdesk starts,
while the project's own still show (they are ours to fix)."""

from __future__ import annotations

import warnings

OWN_PACKAGES = ("core", "faq_index", "bot", "actions", "helpdesk_slack", "helpdesk_web")
_NOT_OURS = r"^(?!(?:" + "|".join(OWN_PACKAGES) + r")(?:\.|$))"


def quiet_third_party_warnings() -> None:
    """Ignore deprecation and future warnings raised in modules outside the project's packages."""
    try:
        import sanic.app  # noqa: F401 - on import it puts a "once" filter for every DeprecationWarning first
    except ImportError:
        pass
    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=_NOT_OURS)
