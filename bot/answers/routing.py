"""Which kind of reply a message gets, decided from its words as well as the classifiers' guess.

The classifiers learnt from examples, and a boundary drawn by examples moves when they change; the rules
below do not. They settle the boundaries where users are hurt most:
- the plan versus now: "is the API down during phase 2?" asks about the plan (an FAQ answer from the
  schedule), "is the API down right now?" about the present (the live status);
- requests near the domain that the helpdesk cannot serve ("send an SMS for me", "what does an SMS
  cost?", "write me code for your API") are refused, not answered with the nearest FAQ entry;
- urgency and requests for a person (bot/answers/urgency.py) come first.
"""

from __future__ import annotations

import re

from bot.answers.intent_vectors import by_intent
from bot.answers.urgency import LONG_MESSAGE_WORDS, has_words_for, mentions_trouble, reports_incident
from bot.answers.urgency import override as urgency_override
from bot.status.products import find_product

STATUS_INTENTS = frozenset(
    {"ask_status_now", "ask_product_status", "ask_phase_status", "ask_window_end", "ask_next_window"}
)
QUESTION_INTENTS = frozenset({"faq", "nlu_fallback", "out_of_scope"})
WORDS_WEIGHT = 0.4  # the words classifier's share of an intent's score; the sentence-vector classifier has the rest
UNSURE = 0.4  # under this combined score no intent is trusted: the FAQ search decides (nlu_fallback)

# Words that tie a question to the present moment, whatever else it says.
_NOW = re.compile(
    r"\b(?:right now|now|at the moment|atm|rn|currently|current|at present|presently|as we speak|"
    r"this (?:evening|morning|minute)|at this (?:time|moment)|next (?:window|maintenance|outage|phase|one)|"
    r"(?:this|tonight'?s|today'?s) (?:window|outage|maintenance|work)|how much longer)\b",
    re.I,
)
# How far the work has got, in the customer's words ("which phase are we in?", "how's the migration going?").
_HOW_FAR = re.compile(
    r"\b(?:which|what) (?:phase|stage|step|window) (?:are we|we'?re|we are|is it|are you|you'?re) (?:in|on|at|up to)\b"
    r"|\bhow(?:'s|s| is) (?:the )?(?:migration|maintenance|work|move) going\b",
    re.I,
)
# "What's going on?": with a word of now, the state of things now.
_GOING_ON = re.compile(r"\bwhat(?:'s|s| is| are)?\s+(?:going on|happening|up with (?:you|the platform|modica))\b", re.I)
# Words that lean to the present, but not against a named phase or day ("will X still work during phase 4?").
_NOW_LEANING = re.compile(
    r"\b(?:yet|still|today|tonight|so far|anymore|any more|status(?! page)|happening|going on|in progress)\b", re.I
)
# Questions about reasons or obligations ("why now?", "do I need to change anything now?") are not about
# the state of the platform, whatever their time words.
_NOT_STATE = re.compile(
    r"^\W*(?:how (?:do|can|should|would)|do (?:i|we)|does (?:my|our)|should)\b|[,;:.!?]\s+how (?:do|can) (?:i|we)\b|"
    r"\bwhy\b|"
    r"\b(?:do|does) (?:i|we|you) (?:need|have) to\b|\bshould (?:i|we)\b|\bwhat (?:should|do) (?:i|we)\b",
    re.I,
)
# How far the work has got ("has phase 2 finished?", "is the migration underway?"): always about now.
_PROGRESS = re.compile(
    r"^\W*(?:is|are|has|have|did)\b.*\b(?:over|done|finished|complete(?:d)?|started|begun|underway|running|"
    r"happening|live|kicked off|wrapped up|commenced)\b"
    r"|^\W*(?:did|has|have)\b.*\b(?:kick(?:ed)? off|wrap(?:ped)? up)\b"
    r"|^\W*(?:phase\s*\w+|the (?:migration|maintenance|window|work|move)|it)\s+(?:started|begun|finished|over|done|"
    r"underway|complete(?:d)?|kicked off|wrapped up)\W*$",
    re.I,
)
# Whether what the customer sees is the maintenance ("our API is erroring, is that your maintenance?"): the live
# status says whether a window runs now and what it affects.
_IS_IT_THE_WORK = re.compile(
    r"\b(?:is|was|could)\s+(?:this|that|it)\s+(?:be\s+)?(?:because of\s+)?(?:the|your|ur)\s+"
    r"(?:maintenance|migration|window|outage|work|upgrade|move)\s*(?:[?!.,]|$)",
    re.I,
)
# A state that goes on ("still in maintenance?", "is omni still down?"): about now, unless a phase or day is named.
_STILL = re.compile(
    r"\bstill\s+(?:in maintenance|down|offline|happening|underway|in progress|going on|ongoing)\b", re.I
)
# Something coming back presupposes it is down now ("when's web2sms coming back?"), unless a phase or day is named
# or it comes back after the work ("will the old endpoint be back after the migration?").
_BACK = re.compile(r"\b(?:coming|be|get|getting|going to be)\s+back\b|\bback\s+(?:up|online|on)\b", re.I)
_PLANNED_TIME = re.compile(
    r"\bphase\s*(?:\d|one|two|three|four)\b|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:aug|sep)\w*"
    r"|\b(?:after|before|during|once|until)\s+(?:the\s+|each\s+|a\s+)?(?:\w+\s+)?"
    r"(?:migration|window|phase|maintenance|move|outage)s?\b",
    re.I,
)
# Chat spellings the rules below are written without ("wats next", "r u doing maintenence tonite").
_SPELLINGS = {
    "wat": "what",
    "wats": "what's",
    "whats": "what's",
    "wots": "what's",
    "u": "you",
    "r": "are",
    "ur": "your",
    "tonite": "tonight",
    "2nite": "tonight",
    "2day": "today",
    "pls": "please",
    "plz": "please",
    "maintenence": "maintenance",
    "maintainance": "maintenance",
    "maintanence": "maintenance",
    "migraton": "migration",
    "migation": "migration",
}
_WORD = re.compile(r"\w+")  # "tonite's" is "tonite" and "'s"
# "What's next?" and nothing more: in a helpdesk about maintenance windows, the next window.
_NEXT_ALONE = re.compile(r"^\W*(?:(?:so|ok|okay|and)\W+)*what(?:'|’)?s? (?:is |comes )?(?:up )?next\W*$", re.I)
# When the running window ends ("when will it be back?", "how much longer is the outage?"): of the live-status
# answers, the window's end, not its whole state.
_ENDS = re.compile(
    r"\bhow much longer\b|^\W*(?:(?:so|ok|okay|and|hi|hey)\W+)*(?:when|what time|how long)\b.*"
    r"\b(?:end|ends|finish|finishes|finished|over|done|close|closes|back|complete|completed|available again)\b",
    re.I,
)
# Whether something works ("is omni up?"): about now, unless the question names a phase or day.
_AVAILABLE = re.compile(
    r"^\W*(?:is|are)\b(?!\s+there\b).*\b(?:up|down|working|available|offline|online|back|affected|in maintenance)\b",
    re.I,
)
# Words that tie a question to the plan: a named phase or window, a day, "each window", "will ... be".
_PLAN = re.compile(
    r"\b(?:during|in|inside|within|for|on|throughout|before|after)\s+(?:the\s+|a\s+|each\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:phase|window|stage|step|maintenance|migration|outage|move|cut ?over|switch ?over)s?\b"
    r"|\bphase\s*(?:\d|one|two|three|four|i{1,3}v?)\b"
    r"|\b(?:each|every|all|the four|the three|both)\s+(?:of the\s+)?(?:windows?|phases?|nights?)\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|\bweek\b|\bnight\b"
    r"|\b(?:will|would|going to)\b.*\bbe\b|\bhow long\b|\bwhen (?:is|are|does|do|will)\b",
    re.I,
)
# Words of the migrations' own world: a message with them is about the helpdesk's subject.
_SUBJECT = re.compile(
    r"\b(?:migrat\w*|maintenance|window|phase|outage|downtime|aws|amazon|omni\w*|run ?the ?red|rtr|"
    r"rollback|roll back|cut ?over|data ?cent(?:re|er)|hosting|platform|reminder|status page|"
    r"whitelist\w*|ip address\w*|end ?points?|queued?|reject\w*)\b",
    re.I,
)
# The messages the platform carries: words of the service itself, whatever migration a question names.
_MESSAGING = re.compile(
    r"\b(?:messag\w*|texts?|sms|sending|deliver\w*|receipts?|repl(?:y|ies)|handsets?|campaigns?|shortcodes?)\b", re.I
)
# The service's own state without naming it ("is it down", "can I send texts", "are replies held up"): with a
# word of now, a question about the platform at this moment. A messaging word alone is not a state ("what is the
# current limit on message length?"), nor is a state word with another subject ("is the stock market up today?").
_SERVICE_STATE = re.compile(
    r"\b(?:it|everything|anything|something|things|you|u)\s+(?:(?:is|are)\s+)?(?:all\s+)?(?:back\s+)?"
    r"(?:down|up|working|broken|offline|online|unavailable|slow)\b"
    rf"|{_MESSAGING.pattern}.*\b(?:down|working|broken|offline|unavailable|slow|delay\w*|held up|stuck|fail\w*|arriv\w*|"
    r"go(?:ing)? (?:out|through)|get(?:ting)? through)\b"
    r"|\bcan (?:i|we|u|you|people|customers)\s+(?:still\s+)?(?:send|text|sms|use|log ?in|reply)\b"
    r"|\bworked on\b",
    re.I,
)
# "is <subject> down?": whose state a question asks. The live status answers for this platform only, so a question
# naming something else ("is Microsoft Teams down?", "is Spark's network up?") is refused; anything that might be
# ours (its products, the migrations' words, the messages, the customer's own things, "it") keeps the status.
_STATE_OF = re.compile(
    r"^\W*(?:is|are)\s+(?P<subject>.+?)\s+(?:(?:all\s+)?(?:back\s+)?"
    r"(?:up|down|working|offline|online|available|unavailable|broken|slow)|"
    r"(?P<having>having (?:an? |any )?(?:outages?|issues?|problems?|trouble)))\b",
    re.I,
)
_OURS = re.compile(
    r"^(?:it|this|that|everything|anything|something|things|you|u|you guys|modica\b.*|(?:our|my)\s+.+|"
    r"(?:any|every|some)(?:one|body)(?: else)?|others|other (?:customers|people|users)|"
    r"(?:the|your)\s+(?:\w+\s+)?(?:platform|services?|systems?|servers?|site|website|portal|dashboard|gateway|app|"
    r"network|end ?points?))$",
    re.I,
)
_NAME = re.compile(r"\b[A-Z][a-z]")  # a proper name ("Microsoft", "Spark's"); not an acronym ("SMPP", "API")
# A customer's contact details given, not asked for: an email address and a phone number in one message.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()-]{6,}\d(?!\w)")
_NAME_WORDS = 5  # a person's and a company's name, beside the details
_ASKS_FOR = re.compile(r"^\W*(?:what|whats|what's|where|who|whom|which)\b", re.I)
_OWN = re.compile(r"\b(?:our|my)\b", re.I)  # "where do I send our on-call's details?": theirs, for the form
_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b")
# Requests the helpdesk cannot serve: doing a task for the customer, prices and billing, writing code.
_TASK = re.compile(
    r"^\W*(?:(?:please|pls|hey|hi|ok)\W+)?(?:(?:can|could|would|will) you\s+(?:please\s+)?)?"
    r"(?:(?:send|text|sms|email)(?!\s+(?:me|us)\b)|write|code|build|create|book|order|buy|reset|unlock|"
    r"top ?up|translate|increase|raise|bump|upgrade|lower|extend|cancel|change|delete|remove)\b"
    r"|\bfor me\b.*\b(?:send|text|sms|write|code)\b|\b(?:send|text|sms|write|code)\b.*\bfor me\b",
    re.I,
)
_PRICE = re.compile(
    r"\b(?:cost\w*|price\w*|pricing|per (?:message|sms|text)|charge[sd]?|invoice\w*|"
    r"bill(?:ing|ed)?|discount\w*|quote)\b",
    re.I,
)
_CODE = re.compile(r"\b(?:code|script|snippet|python|javascript|java|php|curl|sdk|library|function)\b", re.I)


def plain_spelling(text: str) -> str:
    """`text` with chat spellings written out, for the rules (the classifiers read the message as it is)."""
    text = text.replace("\u2019", "'")  # a phone's apostrophe ("omni’s still down")
    return _WORD.sub(lambda word: _SPELLINGS.get(word.group(0).lower(), word.group(0)), text)


def clearly_about_now(text: str) -> bool:
    """About the present on strong evidence alone: enough to overrule the classifier's choice of an FAQ."""
    if _NOT_STATE.search(text):
        return False
    return bool(
        _NOW.search(text)
        or _HOW_FAR.search(text)
        or _PROGRESS.search(text)
        or _IS_IT_THE_WORK.search(text)
        or ((_BACK.search(text) or _STILL.search(text)) and not _PLANNED_TIME.search(text))
        or (_AVAILABLE.search(text) and not _PLAN.search(text))
    )


def about_now(text: str) -> bool:
    """About the present moment, on strong evidence or on leaning words with no plan named."""
    if clearly_about_now(text):
        return True
    return not _NOT_STATE.search(text) and bool(_NOW_LEANING.search(text)) and not _PLAN.search(text)


def about_plan(text: str) -> bool:
    """The message asks about the plan: a named phase, window or day, or what will be."""
    return bool(_PLAN.search(text)) and not about_now(text)


def near_domain_request(text: str) -> bool:
    """A request the helpdesk cannot serve (a task, a price, code) that is not about the migrations."""
    if _SUBJECT.search(text):
        return False
    return bool(_TASK.search(text) or _PRICE.search(text) or _CODE.search(text))


def asks_state_of_something_else(text: str) -> bool:
    """'Is <something> down?' naming something that is not this platform ("is Microsoft Teams down?")."""
    asked = _STATE_OF.match(text)
    if not asked or text.isupper():
        return False
    subject = asked.group("subject")
    ours = _OURS.match(subject) or find_product(subject) or _SUBJECT.search(subject) or _MESSAGING.search(subject)
    # "is <name> down?" could be a product's nickname; "is <name> having an outage?" names a provider
    return not ours and bool(asked.group("having") or _NAME.search(subject))


def asks_about_someone_elses_trouble(text: str) -> bool:
    """'Is <another provider> having an outage?' and nothing more: no trouble of the customer's own after it."""
    return asks_state_of_something_else(text) and not mentions_trouble(text.partition("?")[2])


def gives_contact_details(text: str) -> bool:
    """The message hands over someone's phone number and email address (the on-call contact form's answers):
    it says whose they are, or it is nothing but them and a name."""
    undated = _DATE.sub(" ", text)
    if not (_EMAIL.search(undated) and _PHONE.search(undated)):
        return False
    rest = _PHONE.sub(" ", _EMAIL.sub(" ", undated)).split()
    only_a_name = len(rest) <= _NAME_WORDS and all(re.fullmatch(r"[^\W\d_][\w'’.-]*[,;:]?|[,;:|/-]", w) for w in rest)
    return only_a_name or has_words_for("give_oncall_contact", text)


def asks_for_contact(text: str) -> bool:
    """A question for a number or an address ("what's the support phone number?"), with none given."""
    return bool(_ASKS_FOR.match(text) and not _OWN.search(text)) and not (_EMAIL.search(text) or _PHONE.search(text))


def combined_intent(words: dict[str, float], vectors: dict[str, float]) -> str | None:
    """The intent both classifiers' rankings agree on best (None without the sentence-vector ranking): the words
    classifier (bot/answers/intent_words.py) and the sentence-vector one (bot/answers/intent_vectors.py)."""
    if not vectors:
        return None
    words = {name: p for name, p in words.items() if name != "nlu_fallback"}
    words_weight = WORDS_WEIGHT if words else 0.0
    vectors = by_intent(vectors)
    scores = {
        name: words_weight * words.get(name, 0.0) + (1 - words_weight) * vectors.get(name, 0.0)
        for name in set(words) | set(vectors)
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] >= UNSURE else "nlu_fallback"


def route(
    text: str, intent: str | None, words: dict[str, float] | None = None, vectors: dict[str, float] | None = None
) -> str | None:
    """The intent to use instead of the classifier's, or None to keep it: the classifiers' rankings
    combined (`words`, `vectors`: confidence per intent), then checked against the message's words."""
    plain = plain_spelling(text)
    decided = _decide(plain, intent, words, vectors)
    if decided in {"ask_status_now", "ask_product_status"} and _ENDS.search(plain):
        decided = "ask_window_end"  # of the live state, what was asked is when it ends
    return decided if decided != intent else None


def _decide(
    text: str, intent: str | None, words: dict[str, float] | None, vectors: dict[str, float] | None
) -> str | None:
    """The reply's intent. For a long message only the sentence-vector ranking (of its question sentences,
    bot/answers/faq.py asked_part) is heard: the words classifier learnt from short messages."""
    if len(text.split()) > LONG_MESSAGE_WORDS:
        words = None
    chosen = combined_intent(words or {}, vectors or {}) or intent
    checked = urgency_override(text, chosen)
    urgent = (checked or chosen) == "urgent_problem"
    if urgent and not reports_incident(text) and asks_about_someone_elses_trouble(text):
        return "out_of_scope"  # "is Spark having an outage?"
    # override() returns the words' own urgency first, so "urgent" with `checked` None is the classifiers' guess alone
    if urgent and checked is None and _IS_IT_THE_WORK.search(text):
        return "ask_status_now"  # "API calls are failing, is that the migration?": the live status, and an offer
    if checked in {"urgent_problem", "ask_human"}:
        return checked
    if near_domain_request(text):
        return "out_of_scope"
    decided = checked or chosen
    if decided in QUESTION_INTENTS and gives_contact_details(text):
        return "give_oncall_contact"
    if decided == "give_oncall_contact" and asks_for_contact(text):
        return "nlu_fallback"  # "what's the support phone number?": a question for the FAQ, not details given
    if decided in STATUS_INTENTS and asks_state_of_something_else(text):
        return "out_of_scope"
    if decided in QUESTION_INTENTS | STATUS_INTENTS and _NEXT_ALONE.match(text):
        return "ask_next_window"
    if decided in STATUS_INTENTS and not about_now(text):
        return "nlu_fallback"  # the plan, or no time at all: answered from the FAQ's schedule and impact text
    # An FAQ guess yields to strong evidence of now only; a guess of "no FAQ question" to leaning words too.
    if decided in QUESTION_INTENTS and (clearly_about_now(text) or (decided != "faq" and about_now(text))):
        if find_product(text):
            return "ask_product_status"
        if any(rule.search(text) for rule in (_SUBJECT, _SERVICE_STATE, _HOW_FAR, _GOING_ON, _STILL)):
            return "ask_status_now"
    return decided
