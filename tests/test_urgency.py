import pytest

from bot.answers.urgency import detect, override


@pytest.mark.parametrize(
    "message",
    [
        "URGENT: please help",
        "our messages are not being delivered",
        "SMS aren't arriving",
        "the API is down",
        "we're losing money",
        "please escalate this",
        "emergency services can't send alerts",
        "P1 outage",
        "messages stopped sending an hour ago",
        "everything's down",
    ],
)
def test_strong_words_make_a_message_urgent(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize(
    "message",
    [
        "we have a critical outage",
        "EMERGENCY",
        "outage in Auckland",
        "urgent: how do we avoid losing more messages?",
        "our messages are not delivered, what if it lasts all day",
    ],
)
def test_alarm_words_are_urgent_unless_the_message_is_about_preparing(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize(
    "message", ["is there an outage right now?", "any outage going on right now?", "are there any issues tonight?"]
)
def test_asking_whether_there_is_an_outage_is_a_question_not_a_report(message: str):
    assert detect(message) is None


@pytest.mark.parametrize(
    "message",
    [
        "omni is still down for us, help",
        "the api is down",
        "our messages are not being delivered while the maintenance runs",
    ],
)
def test_an_outage_that_goes_on_is_reported(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize(
    "message",
    [
        "is there a backup platform we can send through while omni is down for the aws work",
        "what happens to replies when web2sms is down?",
        "we can't afford an outage that morning, is it possible to be left out?",
    ],
)
def test_a_supposed_outage_or_asking_what_is_possible_is_not_an_incident(message: str):
    assert detect(message) is None


@pytest.mark.parametrize(
    "message",
    [
        "can I talk to a human",
        "agent please",
        "I want a real person",
        "i need to talk to someone from modica support now, not a bot",
        "is this a bot? i want to speak to someone right now",
    ],
)
def test_asking_for_a_person(message: str):
    assert detect(message) == "ask_human"


@pytest.mark.parametrize(
    "message",
    [
        "what is the rollback plan?",
        "when is the next window",
        "will messages be delivered after the migration?",
        "is the dashboard down during phase 3?",
        "can I still log into the dashboard",
        "hello",
        "we run an emergency service, how do we avoid an outage?",
        "will there be an outage during phase 2?",
        "what if a critical phase fails",
        "what times are the outages in september",
        "when is the planned outage",
        "how should we prepare our emergency alerts for the migration",
    ],
)
def test_ordinary_questions_are_not_urgent(message: str):
    assert detect(message) is None


def test_the_pipeline_component_overrides_whatever_the_classifier_said():
    from rasa.shared.nlu.training_data.message import Message

    from actions.nlu_components import Router

    urgent = Message(
        data={"text": "hi there, our texts stopped sending", "intent": {"name": "greet", "confidence": 0.97}}
    )
    calm = Message(data={"text": "hi there", "intent": {"name": "greet", "confidence": 0.97}})
    Router().process([urgent, calm])
    assert urgent.get("intent") == {"name": "urgent_problem", "confidence": 1.0}
    assert calm.get("intent") == {"name": "greet", "confidence": 0.97}


def test_a_long_message_that_opens_with_a_greeting_is_not_small_talk():
    from bot.answers.urgency import override

    long_question = "Hello there, I look after messaging for a retailer. " * 6 + "What is the rollback plan?"
    assert override(long_question, "greet") == "nlu_fallback"
    assert override("hello there", "greet") is None
    assert override(long_question, "faq") is None


def test_asking_for_a_person_must_name_one():
    from bot.answers.urgency import override

    assert override("book me a table for two", "ask_human") == "nlu_fallback"
    assert override("how should my team get ready", "ask_human") == "nlu_fallback"  # the customer's own team
    for asked in (
        "can I talk to someone",
        "get me a support engineer",
        "let me speak to your team",
        "operator",
        "put me through to support staff",
    ):
        assert override(asked, "ask_human") in (None, "ask_human"), asked


def test_a_question_is_not_taken_for_a_yes_no_thanks_or_goodbye():
    from bot.answers.urgency import override

    assert override("how should my team get ready", "affirm") == "nlu_fallback"
    assert override("what happens to my messages then", "thanks") == "nlu_fallback"
    for answer, intent in (("why not", "deny"), ("yes please do", "affirm"), ("thanks, bye", "goodbye")):
        assert override(answer, intent) is None, answer


def test_the_classifiers_urgency_guess_on_a_planning_question_is_answered_as_a_question():
    from bot.answers.urgency import override

    assert override("how do we prevent downtime for our alerts", "urgent_problem") == "nlu_fallback"
    assert override("our customers can't get their codes", "urgent_problem") in (None, "urgent_problem")


def test_a_flow_starting_intent_needs_its_words():
    from bot.answers.urgency import override

    assert override("do our endpoints or domains change after the move", "give_oncall_contact") == "nlu_fallback"
    for text in (
        "here are our on-call engineer's details",
        "update our after-hours contact",
        "save our out of hours support number",
    ):
        assert override(text, "give_oncall_contact") is None, text


def test_an_urgent_guess_without_any_word_of_trouble_is_answered_as_a_question():
    assert override("how many texts did our team send in march", "urgent_problem") == "nlu_fallback"
    assert override("who runs your service desk", "urgent_problem") == "nlu_fallback"
    assert override("our gateway keeps timing out on every request", "urgent_problem") is None


@pytest.mark.parametrize(
    "text",
    [
        "what's your urgent contact line in case of trouble?",
        "we send critical alerts, how can we keep them flowing through the windows?",
        "if anything fails during the move, who do we call?",
    ],
)
def test_alarming_words_in_a_question_about_preparing_are_not_an_incident(text: str):
    assert detect(text) is None


@pytest.mark.parametrize("text", ["urgent: our texts stopped an hour ago", "emergency, omni is dead"])
def test_alarming_words_about_trouble_now_are_an_incident(text: str):
    assert detect(text) == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "we are a critical care provider; is there any way to keep messaging during the nights?",
        "our emergency line relies on you. what are the alternatives while you move?",
        "how much longer will the outage last?",
        "what should our ops team do to get ready, we run critical alerts",
    ],
)
def test_alarm_words_in_a_question_about_options_or_duration_are_not_an_incident(text: str):
    assert detect(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "critical outage, how long until it is fixed?",
        "we have an outage and are losing customers, what are our options",
        "emergency: outage right now, how long will it last?",
        "emergency - our alerts are going to the wrong numbers instead of our on-call staff",
    ],
)
def test_alarm_words_with_trouble_now_stay_urgent_whatever_else_the_message_asks(text: str):
    assert detect(text) == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "do replies sent to our shortcode during the window get lost?",
        "what happens to texts in the maintenance window?",
        "we send urgent appointment reminders, how do we keep them going?",
        "our urgent texts go to nurses, is there a way around the downtime?",
    ],
)
def test_the_planned_outage_and_urgent_kinds_of_message_are_not_an_incident(text: str):
    assert detect(text) is None


@pytest.mark.parametrize(
    "text", ["urgent - our messages are not being delivered", "the outage is still going, it's urgent", "URGENT help"]
)
def test_urgent_said_of_the_situation_stays_an_incident(text: str):
    assert detect(text) == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "could you put me through to whoever's on call?",
        "can you get an engineer to call me back?",
        "I'd like to talk to the on-call engineer please",
        "please ring me back",
    ],
)
def test_asking_for_the_on_call_engineer_or_a_call_back_is_asking_for_a_person(text: str):
    assert detect(text) == "ask_human"


@pytest.mark.parametrize(
    "text",
    [
        "Our on-call engineer for the migration week is Priya Natarajan, 021 555 0198",
        "who is the on-call engineer for our account?",
        "do you call us back if we email?",
    ],
)
def test_naming_or_asking_about_the_on_call_engineer_is_not_asking_for_one(text: str):
    assert detect(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "our fraud alert texts aren't reaching customers",
        "replies are not going through since 9pm",
        "Omni has been throwing server errors at us for 40 minutes",
    ],
)
def test_messages_not_reaching_people_or_errors_going_on_are_an_incident(text: str):
    assert detect(text) == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "We're losing messages in this outage, please help",
        "Our customers can't get texts during this outage",
        "URGENT our messages are stuck",
    ],
)
def test_an_outage_going_on_or_urgent_said_of_the_situation_stays_an_incident(text: str):
    assert detect(text) == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "So scheduled texts won't go out during the window?",
        "We haven't reached phase 3 yet, have we?",
        "Thanks, you've been giving us great updates",
        "Our endpoint has been returning 200s fine since the move, is that expected?",
    ],
)
def test_ordinary_questions_and_thanks_with_words_near_trouble_are_not_an_incident(text: str):
    assert detect(text) is None


@pytest.mark.parametrize(
    "message", ["is there an outage? nothing is going through", "any outage?? none of our messages are being delivered"]
)
def test_asking_whether_there_is_an_outage_then_reporting_one_is_urgent(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize(
    "message", ["once again omni is down!!", "we are losing customers while omni is down, please help"]
)
def test_a_report_with_while_or_once_is_still_a_report(message: str):
    assert detect(message) == "urgent_problem"


@pytest.mark.parametrize(
    "message",
    [
        "the dashboard keeps asking me to prove I'm not a robot",
        "I'll speak with somebody in our IT team now and get back to you",
        "should our team speak to someone at Modica now or wait until phase 2?",
        "it is not a bot sending the messages, it's our CRM",
    ],
)
def test_words_about_people_and_bots_that_ask_for_no_one_are_not_a_request_for_a_person(message: str):
    assert detect(message) is None


def test_asking_whether_help_is_possible_keeps_the_urgent_guess():
    assert override("our SMS sending is broken, is it possible to get someone on it?", "urgent_problem") is None


def test_asking_whether_escalating_is_possible_is_asking_to_escalate():
    assert detect("escalate please, is that possible?") == "urgent_problem"
