"""The bot's wording, defined once in domain.yml: its responses, and the support contact in its slots
support_phone and support_email. Rasa says the responses; this reads them for what is said outside Rasa
(the Slack app) and for the tests of replies the actions fill in."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from core.errors import ConfigError
from core.settings import PROJECT_ROOT

DOMAIN = PROJECT_ROOT / "domain.yml"
_VARIABLE = re.compile(r"\{([^\n{}]+?)\}")  # as Rasa finds a response's variables


@dataclass(frozen=True)
class Reply:
    """A response of domain.yml to say, and the values of its variables (what an action passes to Rasa)."""

    response: str
    values: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return say(self.response, **self.values)


@lru_cache(maxsize=4)
def _domain(domain_file: Path) -> dict:
    try:
        return yaml.safe_load(domain_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{domain_file} cannot be read ({exc}); the bot's wording lives there.") from None


def support_contact(domain_file: Path = DOMAIN) -> tuple[str, str]:
    """(phone, email) as the domain's slots give them."""
    try:
        slots = _domain(domain_file)["slots"]
        return str(slots["support_phone"]["initial_value"]), str(slots["support_email"]["initial_value"])
    except (KeyError, TypeError) as exc:
        raise ConfigError(
            f"{domain_file} does not define the support contact ({exc}); give it the slots support_phone and "
            "support_email with an initial_value each."
        ) from None


def say(response: str, domain_file: Path = DOMAIN, **values: str) -> str:
    """The response's (first) text with its variables filled as Rasa fills them: from `values`, then from the
    slots' initial values; a variable with neither stays as written."""
    try:
        template = _domain(domain_file)["responses"][response][0]["text"]
    except (KeyError, IndexError, TypeError):
        raise ConfigError(f"{domain_file} has no response {response!r} with a text; add it there.") from None
    phone, email = support_contact(domain_file)
    known = {"support_phone": phone, "support_email": email, **values}
    return _VARIABLE.sub(lambda match: str(known.get(match[1], match[0])), template)
