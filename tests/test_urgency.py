import pytest

from bot.urgency import detect


@pytest.mark.parametrize("message", [
    "URGENT: please help", "our messages are not being delivered", "SMS aren't arriving", "the API is down",
    "we're losing money", "please escalate this", "emergency services can't send alerts", "P1 outage",
    "messages stopped sending an hour ago", "everything's down",
])
def test_strong_words_make_a_message_urgent(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize("message", ["can I talk to a human", "agent please", "I want a real person"])
def test_asking_for_a_person(message: str):
    assert detect(message) == "ask_human"


@pytest.mark.parametrize("message", [
    "what is the rollback plan?", "when is the next window", "will messages be delivered after the migration?",
    "is the dashboard down during phase 3?", "can I still log into the dashboard", "hello",
])
def test_ordinary_questions_are_not_urgent(message: str):
    assert detect(message) is None


def test_the_pipeline_component_overrides_whatever_the_classifier_said():
    from rasa.shared.nlu.training_data.message import Message

    from actions.nlu_components import UrgencyOverride

    urgent = Message(data={"text": "hi there, our texts stopped sending", "intent": {"name": "greet", "confidence": 0.97}})
    calm = Message(data={"text": "hi there", "intent": {"name": "greet", "confidence": 0.97}})
    UrgencyOverride().process([urgent, calm])
    assert urgent.get("intent") == {"name": "urgent_problem", "confidence": 1.0}
    assert calm.get("intent") == {"name": "greet", "confidence": 0.97}


def test_a_long_message_that_opens_with_a_greeting_is_not_small_talk():
    from bot.urgency import override

    long_question = "Hello there, I look after messaging for a retailer. " * 6 + "What is the rollback plan?"
    assert override(long_question, "greet") == "nlu_fallback"
    assert override("hello there", "greet") is None
    assert override(long_question, "faq") is None


def test_asking_for_a_person_must_name_one():
    from bot.urgency import override

    assert override("book me a table for two", "ask_human") == "nlu_fallback"
    for asked in ("can I talk to someone", "get me a support engineer", "let me speak to your team", "operator"):
        assert override(asked, "ask_human") in (None, "ask_human"), asked
