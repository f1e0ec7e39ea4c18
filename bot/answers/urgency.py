"""Intent decisions that do not depend on the classifier alone: strong words and explicit requests for a
person decide; and the classifier's guesses are checked against the words (a long message or a question
is not small talk, a question about preparing is not an incident, a form or a person needs its words)."""

from __future__ import annotations

import re

# Something is wrong now: these make a message urgent whatever else it says.
_INCIDENT = re.compile(
    r"\b(?:urgent(?:ly)?(?!\s+(?:phone|number|contact|line|e-?mail|support|(?:appointment\s+|clinical\s+|medical\s+|"
    r"health\s+|fraud\s+|security\s+|payment\s+)?(?:messages?|texts?|sms|alerts?|notifications?|reminders?|comms|"
    r"communications?)\b))|asap|losing money|lost revenue|sev(?:erity)?\s*1|p1)\b"
    r"|(?:\bnot|n't|\bnever|\bstopped)\s+(?:being\s+|getting\s+)?(?:deliver\w*|arriv\w*|sen[dt]\w*|working|through|"
    r"going (?:out|through)|reach(?:ing|ed)?\s+(?:our\s+|the\s+|any\s+)?(?:customers|people|phones|handsets|users|"
    r"recipients|anyone|staff|us))"
    r"|(?:\bis|\bare|'s|'re)\s+(?:all\s+|still\s+)?down\b"
    r"|\b(?:have|has|'ve|'s) been (?:failing|down|broken|erroring|bouncing|timing out|throwing)\b"
    r"|\bkeeps? failing\b",
    re.I,
)
# Alarming words, which a customer planning for the migration uses too ("we run an emergency service, how
# do we avoid an outage?", "what times are the outages?"): urgent only when the message is not about
# avoiding, preparing for or the timing of planned trouble.
_ALARM = re.compile(r"\b(?:emergency|critical|outages?|escalat\w*)\b", re.I)
# A clause about a state supposed, not reported ("what happens to replies while it's down?").
_SUPPOSED = re.compile(
    r"\b(?:while|whilst|when|if|once(?!\s+again)|until)\s+(?:it|things|everything|the \w+)\s*(?:'s|'re|is|are)\s+"
    r"(?:all\s+)?down\b"
    r"|\b(?:during|throughout|in)\s+(?:the|each|every|any)\s+(?:\w+\s+)?(?:windows?|maintenance|migrations?)\b",
    re.I,
)
# In a question, a state supposed of anything named ("what happens to replies when web2sms is down?"); in a
# report the same words are trouble ("we are losing customers while omni is down, please help").
_SUPPOSED_IN_QUESTION = re.compile(
    r"\b(?:while|whilst|when|if|until)\s+(?:the\s+)?[\w-]+\s*(?:'s|'re|is|are)\s+(?:all\s+)?down\b", re.I
)
_QUESTION = re.compile(
    r"\?\W*$|^\W*(?:how|what|when|where|why|who|which|is|are|can|could|will|would|do|does|should)\b", re.I
)
_PLANNING = re.compile(
    r"\b(?:avoid\w*|prevent\w*|prepar\w*|plan(?:s|ned|ning)? for|in case|what if|minimi[sz]e\w*|"
    r"(?:will|would) there be|planned|scheduled|(?:what|which) (?:times?|dates?|days?)|"
    r"if (?:something|anything|it|things?) (?:goes|go|break|breaks|fail|fails)|(?:should|can|could|how (?:do|can|could|would|should)) (?:we|i)|"
    r"should (?:our|my|the) \w+|get(?:ting)? ready|options?|alternatives?|backup|fall ?back|"
    r"is there (?:any|some|a|an) (?:way|option|alternative|backup)|how long|how much longer"
    r")\b|^\W*when\b",
    re.I,
)
# Trouble the customer has now: with it, planning words do not calm the alarm ("critical outage, how long
# until it is fixed?", "we have an outage, what are our options?").
_TROUBLE_NOW = re.compile(
    r"\b(?:right now|currently|at the moment|atm|rn|since \w+|failing|failed|stopped|not working|(?:is|are) down|"
    r"losing|lost|fix(?:ed)?|restor\w*)\b|'(?:s|re) down\b"
    r"|\bwe(?: have|'ve got| are having|'re having| got) (?:an? )?(?:outage|emergency)\b",
    re.I,
)
# Asking whether there is trouble ("any outage going on right now?", "is there an incident?") is a question for the
# live status, not a report of one.
_ASKS_WHETHER = re.compile(
    r"^\W*(?:(?:hi|hey|hello|quick q)\W+)?(?:any|is there (?:an?|any)|are there(?: any)?)\s+(?:\w+\s+)?"
    r"(?:outages?|issues?|problems?|incidents?|downtime)\b[^.!?]*[.!?]*\s*$",  # that question and nothing more
    re.I,
)
# Asking whether something can be done ("is it possible to be left out?") is not a report of trouble, unless what
# is asked for is escalating ("escalate please, is that possible?").
_POSSIBLE = re.compile(r"\b(?:is it|would it be|is that) possible\b", re.I)
_ESCALATE = re.compile(r"\bescalat\w*", re.I)
# Words of something going wrong, reported or asked about ("API calls are erroring, is that the migration?").
_TROUBLE = re.compile(
    r"\b(?:error\w*|fail\w*|down|broken|stuck|not working|timing out|time ?outs?|delay\w*|bounc\w*|reject\w*|"
    r"lagging|slow|missing|gone quiet|(?<!no )(?:outages?|issues?|problems?)|"
    r"not (?:being |getting )?(?:deliver|arriv|sen[dt]|going|through)\w*)\b|n't (?:work|load|arriv|send|deliver|get)",
    re.I,
)
_HUMAN = re.compile(
    r"\b(?:human|real person|agent|operator|someone real|speak to (?:a|your) (?:person|team)|"
    r"(?:call|ring|phone) me back|"
    r"(?:put (?:me|us) through|connect (?:me|us)|speak|talk)\s+(?:to|with)\s+(?:the |your |an? |whoever'?s |someone )?"
    r"(?:on[- ]?call|engineer|technician)|"
    r"get (?:an? |the |your )?(?:engineer|technician|someone|somebody) to (?:call|ring|phone|contact|look)|"
    r"(?:i|we)\s+(?:need|want|have|would like|'d like)\s+to\s+(?:talk|speak|chat)\s+(?:to|with)\s+"
    r"(?:someone|somebody|a person|an? (?:actual|live|real) \w+|support)"
    r")\b|\bnot (?:a|the|this|your) bot\W*$",  # "... now, not a bot"
    re.I,
)
FAQ_MISSES_BEFORE_OFFER = 2  # "I don't know" this many times in a row, and a person is offered


def detect(text: str) -> str | None:
    """'urgent_problem', 'ask_human' or None for a message."""
    text = without_supposed_states(text)
    calm = (
        (_PLANNING.search(text) or (_POSSIBLE.search(text) and not _ESCALATE.search(text)))
        and not _TROUBLE_NOW.search(text)
    ) or _ASKS_WHETHER.search(text)
    if _INCIDENT.search(text) or (_ALARM.search(text) and not calm):
        return "urgent_problem"
    if _HUMAN.search(text):
        return "ask_human"
    return None


def without_supposed_states(text: str) -> str:
    """`text` without the clauses that suppose a state rather than report it."""
    text = _SUPPOSED.sub(" ", text)
    return _SUPPOSED_IN_QUESTION.sub(" ", text) if _QUESTION.search(text) else text


def reports_incident(text: str) -> bool:
    """The message says something is wrong now in words that make it urgent whatever else it says."""
    return bool(_INCIDENT.search(without_supposed_states(text)))


def mentions_trouble(text: str) -> bool:
    """The message speaks of something going wrong (errors, failures, delays), reported or asked about."""
    return bool(_TROUBLE.search(text))


# Intents that start something (the offer to page an engineer, the form for a customer's on-call contact)
# need words of their own in the message; without them the classifier's choice is a guess, and a wrong
# guess starts a flow the customer never asked for, so the message is answered as a question instead.
_NEEDS_WORDS = {
    "ask_human": re.compile(
        r"\b(human|person|people|someone|somebody|anyone|agent|operator|engineer|your team|support (?:staff|team)|"
        r"manager|talk|speak|chat|call|ring|phone|contact|reach)\b",
        re.I,
    ),
    "urgent_problem": re.compile(
        r"\b(?:down|broken|break\w*|fail\w*|error\w*|not|no|nothing|none|can'?t|cannot|won'?t|stopped|stuck|"
        r"issue\w*|problem\w*|outage|help|urgent\w*|emergency|critical|asap|immediately|now|bounc\w*|"
        r"reject\w*|delay\w*|missing|lost|losing|wrong|crash\w*|dead|offline|unavailable|timing out|"
        r"time ?outs?)\b|n't\b",
        re.I,
    ),
    "give_oncall_contact": re.compile(
        r"\b(on[- ]?call|engineer|contact|details|person|duty|after[- ]hours|out of hours|emergency|escalation|"
        r"number|phone|e-?mail|call)\b",
        re.I,
    ),
}


def has_words_for(intent: str, text: str) -> bool:
    """Whether `text` has the words an intent that starts a flow needs (True for any other intent)."""
    needed = _NEEDS_WORDS.get(intent)
    return needed is None or bool(needed.search(text))


SMALL_TALK = {"greet", "goodbye", "thanks", "bot_challenge", "affirm", "deny"}
# A question that opens with a question word is not a yes, a no, a thanks or a goodbye, whatever the
# classifier guessed; short ones ("why not") may be.
_ASKS = re.compile(r"^\W*(?:how|what|when|where|why|who|which)\b", re.I)
ANSWER_LIKE = {"affirm", "deny", "thanks", "goodbye"}
QUESTION_WORDS = 4
LONG_MESSAGE_WORDS = 40  # the classifier learnt from short messages; past this its judgement is not used


def override(text: str, intent: str | None) -> str | None:
    """The intent to use instead of the classifier's, or None to keep it.

    A long message that opens with a greeting is a question with manners, a question taken for a yes, no,
    thanks or goodbye is still a question, so is one about preparing for trouble, and a request for a
    person or a contact form without their words is a guess: all go to the FAQ answer (as `nlu_fallback`,
    which action_answer_faq handles, focusing on a long message's question sentences)."""
    strong = detect(text)
    if strong:
        return strong
    if intent == "urgent_problem" and _PLANNING.search(text):
        return "nlu_fallback"  # no incident words, and it asks how to prepare: a question, not an incident
    if intent in SMALL_TALK and len(text.split()) > LONG_MESSAGE_WORDS:
        return "nlu_fallback"
    if intent in ANSWER_LIKE and _ASKS.search(text) and len(text.split()) >= QUESTION_WORDS:
        return "nlu_fallback"
    if not has_words_for(intent or "", text):
        return "nlu_fallback"
    return None
