"""The words that decide a message's kind of reply, whatever the classifier guessed (bot/answers/routing.py).
Examples written for these tests; none is taken from the evaluation sets."""

from __future__ import annotations

import pytest

from bot.answers.routing import about_now, about_plan, near_domain_request, plain_spelling, route


@pytest.mark.parametrize(
    "text",
    [
        "are things working at the moment?",
        "is the portal offline right now",
        "currently in maintenance?",
        "has the third phase started?",
        "is the migration underway",
        "is omni back?",
        "any maintenance tonight?",
        "what's the status of the move",
        "when is the next window",
    ],
)
def test_time_words_and_present_states_are_about_now(text):
    assert about_now(text) and not about_plan(text)


@pytest.mark.parametrize(
    "text",
    [
        "will the portal be offline during phase three?",
        "is inbound SMS affected in the second window?",
        "how long does each window last",
        "what happens on thursday night",
        "when will phase 1 be done",
        "which week is the move",
    ],
)
def test_named_phases_days_and_what_will_be_are_about_the_plan(text):
    assert about_plan(text) and not about_now(text)


@pytest.mark.parametrize(
    "text",
    [
        "can you text my customers that we are closed",
        "please send a message to 027 123 4567",
        "how are your sms prices calculated",
        "what's the charge for a long text",
        "write a python snippet that calls your gateway",
        "could you create an account for my colleague",
    ],
)
def test_tasks_prices_and_code_outside_the_migrations_are_refused(text):
    assert near_domain_request(text)
    assert route(text, "faq") == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        "what does the backup omni instance cost during the migration",  # priced, but about the migration
        "send me the dates of the windows",  # a request for information, to the customer
        "will the end points change after the move to AWS",
    ],
)
def test_questions_about_the_migrations_are_not_refused(text):
    assert not near_domain_request(text)


def test_a_status_guess_about_the_plan_goes_to_the_faq_and_a_question_about_now_to_the_live_status():
    assert route("will the portal be offline during phase three?", "ask_product_status") == "nlu_fallback"
    assert route("is omni offline at the moment?", "faq") == "ask_product_status"
    assert route("are you in the middle of a maintenance window now?", "nlu_fallback") == "ask_status_now"
    assert route("has the third phase started?", "ask_phase_status") is None  # the classifier was right


def test_urgency_comes_before_everything():
    assert route("our texts are not being delivered, can you send them for me", "faq") == "urgent_problem"
    assert route("I want to speak to a real person about pricing", "faq") == "ask_human"


def test_small_talk_and_confident_faq_guesses_are_left_alone():
    assert route("thanks a lot", "thanks") is None
    assert route("why is modica moving its hosting", "faq") is None


@pytest.mark.parametrize(
    "text",
    [
        "will the dashboard still load during the last phase?",  # 'still', but a named phase: the plan
        "why are you doing this now",  # a reason, not a state
        "do we need to change our firewall now",  # an obligation, not a state
        "where is your status page",  # the page, not the status
    ],
)
def test_leaning_time_words_and_questions_of_reason_are_not_about_now(text):
    assert not about_now(text)


def test_a_faq_guess_goes_to_the_live_status_only_on_strong_evidence_of_now():
    assert route("I still cannot find the password email for omni, what should I do", "faq") is None
    assert route("for an RTR customer, do we need to update our integration right now?", "faq") is None
    assert route("will scheduled texts still be sent if they fall inside a window", "faq") is None
    assert route("is omni reachable right now", "faq") == "ask_product_status"


@pytest.mark.parametrize(
    "text",
    [
        "is everything down rn",
        "are my messages going through at the moment?",
        "can customers reply to our texts right now",
        "is sending slow currently",
    ],
)
def test_a_question_about_the_service_working_now_gets_the_live_status(text):
    assert route(text, "faq") in {"ask_status_now", "ask_product_status"}


@pytest.mark.parametrize(
    "text",
    [
        "what time is it now",
        "who is your ceo at the moment",
        "what is the current limit on message length",
        "can i change the sender name of my texts now?",
    ],
)
def test_a_word_of_now_alone_does_not_make_a_question_about_the_service(text):
    assert route(text, "out_of_scope") is None and route(text, "faq") is None


def test_how_much_longer_asks_about_the_window_running_now():
    assert about_now("how much longer will the maintenance take?")


def test_a_message_with_a_phone_number_an_email_address_and_whose_they_are_hands_over_contact_details():
    text = "during the move our duty person is Ana Lee, +64 21 555 0101, ana.lee@example.org"
    assert route(text, "faq") == "give_oncall_contact"


@pytest.mark.parametrize(
    "text, classifier_said, expected",
    [
        ("i wrote to support@example.org on 2024-05-06 about the move", "faq", None),  # a date is not a phone number
        ("our texts to +64 21 555 0101 fail, email me at ana@example.org", "urgent_problem", None),  # trouble first
        ("see ana@example.org or 021 555 0101 for the invoice copy", "faq", "out_of_scope"),  # no one's contact
    ],
)
def test_an_email_address_and_a_number_alone_do_not_start_the_contact_form(text, classifier_said, expected):
    assert route(text, classifier_said) == expected


@pytest.mark.parametrize(
    "text", ["is Vodafone down at the moment?", "is Netflix up now", "are Auckland Transport trains working today"]
)
def test_the_live_status_answers_for_this_platform_only(text):
    assert route(text, "ask_status_now") == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    [
        "is the portal down now?",
        "are you guys up right now",
        "is omni working at the moment",
        "is delivery slow now",
        "is modica down?",
        "is SMPP down right now?",
        "is there anything down right now?",
        "are your servers down now",
        "is the login page down right now?",
        "is someone working on it right now?",
        "is my favourite streaming site down right now?",  # the customer's own: the status says what we know
    ],
)
def test_a_state_question_that_may_be_about_this_platform_keeps_the_live_status(text):
    assert route(text, "ask_status_now") in {None, "ask_product_status"}


@pytest.mark.parametrize(
    "text, classifier_said, expected",
    [
        ("which stage are we up to?", "faq", "ask_status_now"),
        ("how's the maintenance going", "nlu_fallback", "ask_status_now"),
        ("when is today's outage over", "faq", "ask_window_end"),
        ("is this window nearly finished", "faq", "ask_status_now"),
        ("the migration finished?", "faq", "ask_status_now"),
        ("Phase two begun?", "faq", "ask_status_now"),
    ],
)
def test_the_window_running_now_and_how_far_the_work_has_got_are_about_now(text, classifier_said, expected):
    assert route(text, classifier_said) == expected


@pytest.mark.parametrize("text", ["what's next?", "ok so whats up next", "What comes next"])
def test_whats_next_on_its_own_asks_for_the_next_window(text):
    assert route(text, "nlu_fallback") == "ask_next_window"


def test_whats_next_in_a_longer_question_is_left_to_the_classifier():
    assert route("what's next after I fill in the on-call form?", "faq") is None


@pytest.mark.parametrize(
    "text",
    ["Tom Rewi; 027 444 1212; tom@rewi.example.nz", "Hemi Walker  hemi.w@example.com  +64 9 555 0101  Acme Ltd"],
)
def test_a_message_of_nothing_but_a_name_a_phone_number_and_an_email_address_hands_over_contact_details(text):
    assert route(text, "faq") == "give_oncall_contact"


def test_details_with_other_words_need_words_saying_whose_they_are():
    assert route("I wrote to ana@example.org and rang 021 555 0101 but heard nothing back", "faq") is None


@pytest.mark.parametrize(
    "text", ["could you raise our daily sending limit", "please upgrade us to the bigger plan", "cancel my account"]
)
def test_changes_to_an_account_asked_of_the_bot_are_refused(text):
    assert near_domain_request(text)


@pytest.mark.parametrize(
    "text",
    [
        "do replies still get stored while the platform is down?",
        "if it's down for longer than planned, what then?",
        "how would we escalate if the support desk is unreachable during the work?",
    ],
)
def test_a_supposed_outage_or_a_question_about_escalating_is_not_an_incident(text):
    assert route(text, "faq") not in {"urgent_problem", "ask_human"}


@pytest.mark.parametrize(
    "text", ["it's down!! nothing is going out", "please escalate this now", "the api is down and we need help"]
)
def test_an_outage_reported_or_an_escalation_asked_for_is_urgent(text):
    assert route(text, "faq") == "urgent_problem"


@pytest.mark.parametrize("classifier_said", ["nlu_fallback", "ask_next_window", "faq"])
def test_whats_next_on_its_own_asks_for_the_next_window_whatever_the_classifier_guessed(classifier_said):
    assert (route("what's next??", classifier_said) or classifier_said) == "ask_next_window"  # None: the guess stands


@pytest.mark.parametrize("text", ["what's happening rn?", "whats going on at the moment", "what is going on right now"])
def test_whats_going_on_with_a_word_of_now_asks_for_the_live_status(text):
    assert route(text, "nlu_fallback") == "ask_status_now"


def test_whats_going_on_without_a_word_of_now_is_left_to_the_classifier():
    assert route("what's going on with the reminder email you mentioned", "faq") is None


def test_a_guess_of_no_faq_question_yields_to_leaning_words_of_now_about_the_migrations():
    assert route("any outage still planned for tonight", "out_of_scope") == "ask_status_now"
    assert route("any outage still planned for tonight", "faq") is None  # an FAQ guess needs strong evidence


@pytest.mark.parametrize(
    "text", ["our sends have been failing for half an hour", "delivery keeps failing since lunch, need help"]
)
def test_a_failure_going_on_for_a_while_is_urgent(text):
    assert route(text, "faq") == "urgent_problem"


@pytest.mark.parametrize(
    "text",
    [
        "when does the current window end?",
        "how much longer is this outage?",
        "so when will it be back up now?",
        "wat time does tonite's window end",
    ],
)
@pytest.mark.parametrize("classifier_said", ["ask_status_now", "ask_product_status", "ask_window_end"])
def test_when_the_running_window_ends_is_asked_of_the_live_status_whatever_status_the_classifier_guessed(
    text, classifier_said
):
    assert (route(text, classifier_said) or classifier_said) == "ask_window_end"  # None: the guess stands


@pytest.mark.parametrize("text", ["when does phase 3 end?", "how long is each window?"])
def test_when_a_planned_window_ends_is_answered_from_the_plan(text):
    assert route(text, "ask_status_now") == "nlu_fallback"


def test_a_question_of_the_state_now_that_is_not_about_the_end_keeps_its_status_answer():
    assert route("is the API down right now?", "ask_product_status") is None


def test_an_faq_guess_for_when_the_current_window_ends_yields_to_the_live_window_end():
    assert route("when does the current window end?", "faq") == "ask_window_end"


@pytest.mark.parametrize(
    "text, plain",
    [
        ("wats next", "what's next"),
        ("r u guys doing maintenence tonite", "are you guys doing maintenance tonight"),
        ("whats the rollback plan pls", "what's the rollback plan please"),
        ("Run The Red", "Run The Red"),  # only whole words are written out
    ],
)
def test_chat_spellings_are_written_out_for_the_rules(text, plain):
    assert plain_spelling(text) == plain


@pytest.mark.parametrize(
    "text, expected",
    [
        ("wats next", "ask_next_window"),
        ("r u guys doing maintenence tonite", "ask_status_now"),
        ("has phase 2 kicked off yet?", "ask_status_now"),
        ("did phase one wrap up ok?", "ask_status_now"),
        ("when's web2sms coming back", "ask_window_end"),
        ("omni is really slow, could it be the maintenance?", "ask_product_status"),
        ("replies are late, is that your maintenance?", "ask_status_now"),
    ],
)
def test_questions_of_now_in_customers_words_get_the_live_status(text, expected):
    assert route(text, "nlu_fallback") == expected


@pytest.mark.parametrize(
    "text", ["when will phase 3 be back up?", "is this the migration week?", "will the API be back on Friday?"]
)
def test_a_named_phase_day_or_week_keeps_a_question_on_the_plan(text):
    assert route(text, "ask_status_now") == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    [
        "Is that the final migration?",
        "Is it a long window?",
        "Will the old endpoint be back after the migration?",
        "Is it safe to go ahead with a campaign during the migration?",
        "Are we able to kick off a campaign before the migration?",
    ],
)
def test_questions_about_the_plan_with_words_of_progress_or_return_stay_faq_questions(text):
    assert route(text, "faq") is None


@pytest.mark.parametrize(
    "text", ["still in maintenance?", "still down?? been waiting ages", "is the work still going on"]
)
def test_a_state_that_goes_on_is_about_now(text):
    assert route(text, "faq") == "ask_status_now"


def test_a_state_that_goes_on_in_a_named_phase_is_about_the_plan():
    assert route("will web2sms still be on during phase 2?", "faq") is None


@pytest.mark.parametrize(
    "text",
    [
        "Our API calls started erroring a few minutes ago. Is this the migration?",
        "texts are stuck, is that your maintenance?",
    ],
)
def test_trouble_with_the_question_whether_it_is_the_maintenance_gets_the_live_status(text):
    assert route(text, "urgent_problem") == "ask_status_now"


@pytest.mark.parametrize("text", ["is Twilio having an outage today?", "is spark having issues?"])
def test_another_providers_outage_is_refused(text):
    assert route(text, "urgent_problem") == "out_of_scope"


def test_our_own_outage_asked_with_a_name_is_still_urgent():
    assert route("is omni having an outage? our texts are not being delivered", "urgent_problem") is None


@pytest.mark.parametrize(
    "text",
    [
        "I used the old dashboard, how do I log into Omni now?",
        "is there a backup we can send through while omni is down for the aws work?",
    ],
)
def test_how_to_questions_and_supposed_outages_are_not_about_the_state_now(text):
    assert route(text, "ask_product_status") == "nlu_fallback"


def test_still_on_an_old_system_is_not_a_state_of_now():
    assert route("we're still on the old gateway. is there any dev work we need to do for this?", "faq") is None


@pytest.mark.parametrize(
    "text", ["what's the support phone number during the migration?", "who do I call if something breaks?"]
)
def test_asking_for_a_number_is_a_question_not_details_given(text):
    assert route(text, "give_oncall_contact") == "nlu_fallback"


@pytest.mark.parametrize(
    "text", ["can I give you our on-call engineer's details?", "our on-call is Sam, 021 555 0101, sam@example.co.nz"]
)
def test_offering_or_giving_details_keeps_the_contact_form(text):
    assert route(text, "give_oncall_contact") is None


@pytest.mark.parametrize(
    "text",
    [
        "EMERGENCY our messages are not being delivered, could this be the migration?",
        "URGENT: all SMS failing for 30 mins, production is down, is it the maintenance?",
    ],
)
def test_an_incident_in_its_own_words_stays_urgent_even_when_it_asks_whether_it_is_the_work(text):
    assert route(text, "urgent_problem") is None


@pytest.mark.parametrize(
    "text",
    [
        "is anyone else having issues?",
        "is Vodafone down? our messages to vodafone numbers keep bouncing",
        "is Spark having issues? texts to spark numbers are delayed by an hour",
    ],
)
def test_another_providers_name_with_trouble_of_our_own_is_not_refused(text):
    assert route(text, "urgent_problem") is None


@pytest.mark.parametrize(
    "text",
    [
        "are you still going to send a reminder email?",
        "is the maintenance still going ahead this weekend?",
        "is omni still going to support SMPP?",
        "is the old gateway still running?",
    ],
)
def test_still_going_ahead_or_still_supported_is_not_a_state_of_now(text):
    assert route(text, "faq") is None


@pytest.mark.parametrize(
    "text, classifier_said",
    [
        ("is it down right now? do we have an ETA?", "ask_status_now"),
        ("is web2sms working right now?", "ask_product_status"),
    ],
)
def test_a_second_question_after_a_question_of_now_keeps_the_live_status(text, classifier_said):
    assert route(text, classifier_said) is None


@pytest.mark.parametrize(
    "text",
    ["where do I send our on-call engineer's details?", "which number do you have for our on-call? it needs updating"],
)
def test_asking_about_our_own_on_call_details_keeps_the_contact_form(text):
    assert route(text, "give_oncall_contact") is None


def test_a_phones_curly_apostrophe_reads_as_a_plain_one():
    assert route("omni’s still down", "faq") == route("omni's still down", "faq") == "urgent_problem"
