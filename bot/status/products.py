"""What a phase's impact text says about each product: unavailable, delayed, working, or not mentioned."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from core.settings import PROJECT_ROOT

PRODUCTS_FILE = PROJECT_ROOT / "data" / "products.yml"
_DOWN = re.compile(r"\b(unavailable|unsuccessful|not be able|cannot|can't|no new|error|down|offline)\b", re.I)
_DELAYED = re.compile(r"\b(delay(?:ed)?|queue[ds]?|queuing|queueing)\b", re.I)
_UP = re.compile(r"\b(work(?:s)? normally|unaffected|as usual|available as normal|not affected)\b", re.I)


@dataclass(frozen=True)
class ProductImpact:
    product: str
    status: str  # "unavailable", "partly available", "delayed", "working" or "not mentioned"
    evidence: str  # the sentences of the impact text that say so


@lru_cache(maxsize=1)
def product_aliases(path: Path = PRODUCTS_FILE) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(name): [str(alias).lower() for alias in aliases] for name, aliases in data.items()}


def find_product(text: str) -> str | None:
    """The product a message is about ('can I use Web2SMS now?' -> 'Web2SMS'), longest alias first."""
    lowered = text.lower()
    matches = [
        (len(alias), name)
        for name, aliases in product_aliases().items()
        for alias in aliases
        if re.search(rf"\b{re.escape(alias)}\b", lowered)
    ]
    return max(matches)[1] if matches else None


def _mentions(sentence: str, product: str) -> bool:
    """Whether `sentence` is about `product`, once longer names of other products are taken out."""
    lowered = sentence.lower()
    aliases = sorted(
        ((alias, name) for name, names in product_aliases().items() for alias in names),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    for alias, name in aliases:
        pattern = rf"\b{re.escape(alias)}\b"
        if re.search(pattern, lowered):
            if name == product:
                return True
            lowered = re.sub(pattern, " ", lowered)
    return False


def impact_on(product: str, impact: str) -> ProductImpact:
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", impact) if s.strip()]
    relevant = [s for s in sentences if _mentions(s, product)]
    if not relevant:
        return ProductImpact(product, "not mentioned", "")
    down = any(_DOWN.search(s) for s in relevant)
    up = any(_UP.search(s) for s in relevant)
    if down and up:
        status = "partly available"
    elif down:
        status = "unavailable"
    elif any(_DELAYED.search(s) for s in relevant):
        status = "delayed"
    elif up:
        status = "working"
    else:
        status = "affected"
    return ProductImpact(product, status, " ".join(relevant))
