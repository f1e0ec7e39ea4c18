"""The support team's phone and email, defined once in domain.yml (its slots support_phone and support_email,
which the bot's responses say), read here for the messages said outside Rasa (the Slack app)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from core.errors import ConfigError
from core.settings import PROJECT_ROOT


@lru_cache(maxsize=4)
def support_contact(domain_file: Path = PROJECT_ROOT / "domain.yml") -> tuple[str, str]:
    """(phone, email) as the domain's slots give them."""
    try:
        slots = yaml.safe_load(domain_file.read_text(encoding="utf-8"))["slots"]
        return str(slots["support_phone"]["initial_value"]), str(slots["support_email"]["initial_value"])
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{domain_file} does not define the support contact ({exc}); give it the slots support_phone and "
            "support_email with an initial_value each."
        ) from None
