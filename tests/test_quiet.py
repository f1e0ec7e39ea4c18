"""Third-party deprecation warnings are filtered; the project's own are not (core/quiet.py)."""

from __future__ import annotations

import warnings

from core.quiet import quiet_third_party_warnings


def warn_from(module: str) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("always")
        quiet_third_party_warnings()
        warnings.warn_explicit("old API", DeprecationWarning, "x.py", 1, module=module)
    return caught


def test_a_third_party_deprecation_is_not_shown():
    assert warn_from("sqlalchemy.orm") == [] and warn_from("rasa.core.agent") == []


def test_the_projects_own_deprecations_still_show():
    assert len(warn_from("bot.answers.faq")) == 1 and len(warn_from("actions")) == 1
    assert len(warn_from("botocore.client")) == 0  # a package whose name only starts like ours is not ours
