"""Words that identify an entry: salient terms of its question, answer and document title."""

from __future__ import annotations

import re

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being below between both but by
    can cannot could did do does doing don done down during each either else ever every few for from further get
    got had has have having he her here hers him his how i if in into is it its itself just let like me might
    more most much must my myself no nor not now of off on once only or other our ours out over own please same
    shall she should so some such than that the their them then there these they this those through to too under
    until up us very was we were what when where which while who whom why will with within would yes yet you
    your yours ll re ve d s t m""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def stem(token: str) -> str:
    """A light English stemmer, enough to meet 'migrating'/'migration'/'migrates' halfway."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("ion", ""), ("e", "")):
        if token.endswith(suffix) and len(token) - len(suffix) >= 3 and not token.endswith("ss"):
            return token[: len(token) - len(suffix)] + keep
    return token


def content_tokens(text: str) -> list[str]:
    """Tokens of `text` that carry meaning (stopwords removed), in order."""
    return [token for token in tokens(text) if token not in STOPWORDS]


_SALIENT = re.compile(
    r"\b(?:[A-Z][a-z]*\d\w*|\w*\d[A-Za-z]\w*|[A-Z]{2,}s?|[A-Za-z]*[a-z][A-Z]\w*|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b"
)


_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thurs fri sat sun january "
    "february march april may june july august september october november december".split()
)


def _trim_phrase(term: str) -> str:
    """Drop calendar words and a leading function word ('The Omni' -> 'Omni', 'Sent Thursday' -> 'Sent')."""
    words = [w for w in term.split() if w.lower() not in _CALENDAR]
    while words and words[0].lower() in STOPWORDS | {"another", "within", "sent", "alert"}:
        words.pop(0)
    return " ".join(words)


def salient_terms(text: str) -> list[str]:
    """Product names, acronyms and proper-noun phrases: 'Omni2', 'Web2SMS', 'DLRs', 'RedX', 'Campaign Manager'."""
    found: list[str] = []
    for match in _SALIENT.finditer(text):
        term = match.group(0)
        if " " in term:
            term = _trim_phrase(term)
            if " " not in term and not re.search(r"\d|[A-Z]{2}", term):
                continue  # one ordinary capitalised word left: a sentence start, not a name
        if term and term.lower() not in {t.lower() for t in found} and not term.isdigit():
            found.append(term)
    return found


def keywords_for(question: str, answer: str, title: str, limit: int = 24) -> list[str]:
    terms = content_tokens(question) + [t for t in salient_terms(answer)] + content_tokens(title)
    unique: list[str] = []
    seen: set[str] = set()
    for term in terms:
        if term.lower() not in seen:
            seen.add(term.lower())
            unique.append(term)
    return unique[:limit]


def sentences(text: str) -> list[str]:
    """The answer's sentences and list items, in order."""
    parts = re.split(r"(?<=[.!?;:])\s+|\n+", text)
    return [part.strip(" -") for part in parts if len(part.split()) >= 3]
