"""A message sent again with its id (the client got no answer) is answered again, never handled twice."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from actions.redelivery import MessageIdReused, NotReady, earlier_replies, handle_once, message_id
from bot.ops import rasa_client
from core.errors import BotUnavailable, InvalidMessage

QUESTION = "what is the rollback plan?"


def said(bot, sender: str) -> list[str]:
    return [event["text"] for event in bot.tracker(sender)["events"] if event["event"] == "user"]


# ---- without a server -------------------------------------------------------------------------------


def conversation() -> list:
    return [
        UserUttered("hello", message_id="first-message"),
        ActionExecuted("utter_greet"),
        BotUttered("Hi! I'm the helpdesk bot."),
        UserUttered(QUESTION, message_id="second-message"),
        ActionExecuted("action_answer_faq"),
        BotUttered("The rollback plan is…"),
        SlotSet("last_answer", "rollback"),
        BotUttered("Did that answer it?", {"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        ActionExecuted("action_listen"),
        UserUttered("thanks", message_id="third-message"),
        BotUttered("You're welcome."),
    ]


def test_a_copy_gets_the_replies_its_first_copy_got_and_no_later_ones():
    replies = earlier_replies(conversation(), UserMessage(QUESTION, message_id="second-message"))
    assert replies == [
        {"text": "The rollback plan is…"},
        {"text": "Did that answer it?", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
    ]


def test_a_message_whose_id_the_conversation_does_not_hold_is_new():
    assert earlier_replies(conversation(), UserMessage(QUESTION, message_id="fourth-message")) is None


def test_an_id_reused_for_other_text_is_refused_saying_so():
    with pytest.raises(MessageIdReused, match="new id"):
        earlier_replies(conversation(), UserMessage("is the API down?", message_id="second-message"))


@pytest.mark.parametrize("value", ["", "short", "x" * 65, "has space 1234", "<b>12345678</b>", 12345678, ["id"]])
def test_a_malformed_message_id_is_refused(value):
    with pytest.raises(InvalidMessage, match="message_id"):
        message_id(value)


def test_a_uuid_is_a_message_id_and_none_means_no_id():
    assert message_id(str(uuid.uuid4())) and message_id(uuid.uuid4().hex)
    assert message_id(None) is None


def test_a_message_before_the_model_is_loaded_is_refused_saying_so_and_not_dropped_silently():
    class StartingAgent:  # Rasa's Agent before its model is loaded
        def is_ready(self) -> bool:
            return False

    with pytest.raises(NotReady, match="starting up"):
        asyncio.run(handle_once(StartingAgent(), UserMessage("hello", message_id="early-0001"), sent_by_client=True))


# ---- through the running Rasa server ----------------------------------------------------------------


def test_a_question_sent_again_with_its_id_gets_the_same_answer_and_is_in_the_conversation_once(bot):
    first = rasa_client.send_message(bot.settings, QUESTION, sender="again-faq", message_id="faq-0001")
    again = rasa_client.send_message(bot.settings, QUESTION, sender="again-faq", message_id="faq-0001")
    assert first and again == first
    assert said(bot, "again-faq") == [QUESTION]


def test_a_form_answer_sent_again_does_not_fill_the_next_question(bot):
    sender = "again-form"
    bot.ask("urgent: our messages are not being delivered", sender=sender)
    bot.ask("/affirm", sender=sender)
    asked = bot.slots(sender)["requested_slot"]
    first = rasa_client.send_message(bot.settings, "Ana Smith", sender=sender, message_id="form-0001")
    again = rasa_client.send_message(bot.settings, "Ana Smith", sender=sender, message_id="form-0001")
    assert again == first
    slots = bot.slots(sender)
    assert slots[asked] == "Ana Smith"
    assert "Ana Smith" not in [value for name, value in slots.items() if name != asked]  # not the next answer
    assert said(bot, sender).count("Ana Smith") == 1


def test_two_copies_at_once_are_handled_once_and_both_answered(bot):
    def send(_: int) -> list[dict]:
        return rasa_client.send_message(bot.settings, QUESTION, sender="again-race", message_id="race-0001")

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.map(send, range(2))
    assert first and first == second
    assert said(bot, "again-race") == [QUESTION]


def test_the_same_text_with_a_new_id_is_a_new_message(bot):
    rasa_client.send_message(bot.settings, QUESTION, sender="again-new", message_id="new-00001")
    rasa_client.send_message(bot.settings, QUESTION, sender="again-new", message_id="new-00002")
    rasa_client.send_message(bot.settings, QUESTION, sender="again-new")
    assert said(bot, "again-new") == [QUESTION] * 3


def test_an_id_reused_for_another_message_gets_409_and_changes_nothing(bot):
    rasa_client.send_message(bot.settings, QUESTION, sender="again-reuse", message_id="reuse-001")
    with pytest.raises(BotUnavailable, match="409"):
        rasa_client.send_message(bot.settings, "is the API down?", sender="again-reuse", message_id="reuse-001")
    assert said(bot, "again-reuse") == [QUESTION]


@pytest.mark.parametrize("text", [QUESTION, "cancel"])  # an answer's bubbles; "cancel" also sends the case line
def test_a_web_chat_message_sent_again_gets_its_replies_marked_as_a_replay_and_is_handled_once(bot, text):
    async def scenario() -> tuple[str, list[dict], list[dict]]:
        client = socketio.AsyncClient(reconnection=False)
        replies: asyncio.Queue = asyncio.Queue()
        confirmed: asyncio.Future = asyncio.get_running_loop().create_future()
        client.on("bot_uttered", replies.put_nowait)
        client.on("session_confirm", confirmed.set_result)
        await client.connect(bot.settings.rasa_url, transports=["polling"])
        await client.emit("session_request", {})
        session = await asyncio.wait_for(confirmed, 30)

        async def send() -> list[dict]:
            # call() returns with the server's acknowledgement, which comes after the replies
            assert await client.call("user_uttered", {"message": text, "message_id": "web-00001"}, timeout=60)
            return [replies.get_nowait() for _ in range(replies.qsize())]

        first, again = await send(), await send()
        await client.disconnect()
        return session["session_id"], first, again

    session_id, first, again = asyncio.run(scenario())
    assert first and not any(reply.get("replay") for reply in first)
    assert [{**reply, "replay": True} for reply in first] == again
    assert said(bot, session_id) == [text]
