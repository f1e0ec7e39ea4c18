"""The chat channels customers reach (credentials.yml names them): Rasa's REST and socket.io channels,
with every message screened by bot.chat.chat_input before Rasa sees it.

Over Rasa's own channels these add: 400 for a body that is not a JSON object with a string sender and
message; a cap on message length applied before NLU; no customer-sent intents but the bot's own button
payloads; a message sent again with its message_id answered, not handled twice (actions/redelivery.py); and
(socket.io) session ids that are random and bound to the browser that opened them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, AsyncIterator, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from redis.exceptions import RedisError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from actions import redelivery
from bot.chat import chat_input, session_tokens
from bot.escalation import escalations
from core.errors import HelpdeskError, InvalidMessage
from core.schema import state_database
from core.settings import Settings

logger = logging.getLogger(__name__)
MAX_SENDER = 128
WEB_PREFIX = "web-"  # web chat conversations; the REST channel may not write into them
MAX_SOCKET_PACKET = 64_000  # bytes: room for the longest message allowed, in UTF-8 and JSON
NO_SESSION = "This chat is not connected to a conversation yet. Please reload the page."
NOT_TEXT = "I can only read text messages."
NOT_HANDLED = "Sorry, a fault on our side stopped me handling that message. Please send it again in a minute."

OnMessage = Callable[[UserMessage], Awaitable[Any]]


def rest_message(body: bytes, limit: int) -> tuple[str, str, str | None]:
    """The sender, the screened text and the client's message id (if it sent one) of a REST webhook request;
    InvalidMessage says what is wrong."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError):
        raise InvalidMessage('the body must be JSON: {"sender": "<id>", "message": "<text>"}') from None
    if not isinstance(data, dict):
        raise InvalidMessage('the body must be a JSON object: {"sender": "<id>", "message": "<text>"}')
    sender = data.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER or not sender.isprintable():
        raise InvalidMessage(f'"sender" must be a conversation id: printable text of 1 to {MAX_SENDER} characters')
    if sender.startswith(WEB_PREFIX):
        raise InvalidMessage(f"sender ids starting with {WEB_PREFIX!r} belong to the web chat; choose another id")
    if "message" not in data:
        raise InvalidMessage('"message" is missing: send the customer\'s text')
    return sender, chat_input.screen(data["message"], limit), redelivery.message_id(data.get("message_id"))


class RestChannel(RestInput):
    """POST /webhooks/rest/webhook {"sender", "message", "message_id"?}: the bot's replies as a JSON list.

    A client that sends a message again because it got no answer sends the same message_id: the copy gets the
    first copy's replies and is not handled again (actions/redelivery.py)."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: OnMessage) -> Blueprint:
        limit = Settings.from_env().max_message_chars
        webhook = Blueprint("helpdesk_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, message_id = rest_message(request.body, limit)
            except InvalidMessage as exc:
                return response.json({"error": str(exc)}, status=400)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), message_id=message_id)
            try:
                earlier = await redelivery.handle_once(request.app.ctx.agent, message, message_id is not None)
                if earlier is not None:  # a copy: the first copy's answer, as a retry expects
                    await redelivery.send_all(collector, sender, earlier)
            except redelivery.MessageIdReused as exc:
                return response.json({"error": str(exc)}, status=409)
            except redelivery.NotReady as exc:
                return response.json({"error": str(exc)}, status=503)
            return response.json(collector.messages)

        return webhook


class ReplyOutput(SocketIOOutput):
    """The bot's replies to a message, sent by the server that holds the socket it came from, straight to the
    chat's sockets on this server: in order and before the message's acknowledgement, as with one server. (A
    second tab of the same chat held by another replica shows them after a reload.) Pushes from elsewhere (an
    engineer's words, through Rasa's API on any replica) use get_output_channel, which goes through Redis."""

    def __init__(self, sio: AsyncServer, bot_message_evt: str, replay: bool = False) -> None:
        super().__init__(sio, bot_message_evt)
        self.replay = replay  # it sends a copy's replies again (actions/redelivery.py): marked so, for the widget

    async def _send_message(self, socket_id: str, response: Any) -> None:
        if self.replay:
            response = {**response, "replay": True}
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, ignore_queue=True)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        json_message.setdefault("room", recipient_id)  # as Rasa's SocketIOOutput does
        if self.replay and isinstance(json_message.get("data"), dict):
            json_message = {**json_message, "data": {**json_message["data"], "replay": True}}
        await self.sio.emit(self.bot_message_evt, **json_message, ignore_queue=True)


class JsonRedisManager(AsyncRedisManager):
    """python-socketio's AsyncRedisManager, speaking JSON on its Redis channel: the library's own unpickles every
    message it reads there (python-socketio 5.9), so whoever could publish to the channel could run code in every
    Rasa server. What it reads is handed on already decoded, which the library takes as is."""

    async def _publish(self, data: Any) -> Any:
        try:
            return await self.redis.publish(self.channel, json.dumps(data))
        except RedisError:
            self._redis_connect()  # once more on a fresh connection, as the library does
            return await self.redis.publish(self.channel, json.dumps(data))

    async def _listen(self) -> AsyncIterator[dict]:
        async for raw in super()._listen():
            try:
                message = json.loads(raw)
            except (TypeError, ValueError):
                continue  # not ours: never unpickled
            if isinstance(message, dict):
                yield message


def _shared_rooms(settings: Settings) -> AsyncRedisManager | None:
    """With several Rasa servers (HELPDESK_REDIS_URL), what one of them sends to a chat's room goes through Redis
    to the server that holds the chat's socket: an engineer's reply injected through any replica reaches the
    customer. None: one server, rooms in its memory."""
    if not settings.redis_url:
        return None
    return JsonRedisManager(settings.redis_url, channel=f"{settings.redis_prefix}:socketio")


def case_state(settings: Settings, conversation_id: str) -> dict | None:
    """What the chat shows of the conversation's latest escalation now (escalations.customer_view)."""
    with state_database(settings.state_store) as db:
        return escalations.customer_view(escalations.latest_case(db, conversation_id))


class SocketIOChannel(SocketIOInput):
    """The web chat's channel: Rasa's socket.io events, with sessions only their opener can use.

    session_request {session_id, session_token} resumes a session when the token matches, else opens a
    new one; session_confirm answers {session_id, session_token}. A resumed session is then told where its
    escalation stands ({"case": ..., "current": true}), since updates sent while it was away reached nobody.
    user_uttered {message, message_id?} goes to the session this socket opened, whatever session id it carries,
    and is acknowledged after its replies; a copy of a message already handled gets its replies marked "replay".
    """

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: OnMessage) -> Blueprint:
        settings = Settings.from_env()
        secret = session_tokens.load_secret(settings.session_secret, settings.var_dir)
        # cors_allowed_origins=[]: Sanic's CORS settings (rasa run --cors) decide, as in Rasa's own channel.
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=[],
            max_http_buffer_size=MAX_SOCKET_PACKET,
            client_manager=_shared_rooms(settings),
        )
        webhook = SocketBlueprint(sio, self.socketio_path, "helpdesk_socketio", __name__)
        self.sio = sio  # Rasa's get_output_channel uses it to push engineers' messages into the chat

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def say(sid: str, text: str) -> None:
            await sio.emit(self.bot_message_evt, {"text": text}, room=sid, ignore_queue=True)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            resumed = session_tokens.is_valid(session_id, data.get("session_token"), secret)
            if not resumed:
                session_id = WEB_PREFIX + session_tokens.new_session_id()
            await sio.save_session(sid, {"session_id": session_id}, namespace=self.namespace)
            sio.enter_room(sid, session_id, namespace=self.namespace)
            confirmation = {"session_id": session_id, "session_token": session_tokens.token_for(session_id, secret)}
            await sio.emit("session_confirm", confirmation, room=sid, namespace=self.namespace, ignore_queue=True)
            if resumed:
                await tell_case_state(sid, session_id)

        async def tell_case_state(sid: str, session_id: str) -> None:
            try:
                view = await asyncio.to_thread(case_state, settings, session_id)
            except HelpdeskError as exc:  # the chat works without its case line; the next reload tries again
                logger.error("the case line of %s could not be read: %s", session_id, exc)
                return
            state = {"case": view, "current": True}
            await sio.emit(self.bot_message_evt, state, room=sid, namespace=self.namespace, ignore_queue=True)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: str, data: Any) -> bool:
            """The acknowledgement (True) comes after the replies: a message not acknowledged is sent again."""
            session_id = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            if not session_id:
                await say(sid, NO_SESSION)
                return True
            data = data if isinstance(data, dict) else {}
            try:
                text = chat_input.screen(data.get("message"), settings.max_message_chars)
                message_id = redelivery.message_id(data.get("message_id"))
            except InvalidMessage:
                await say(sid, NOT_TEXT)
                return True
            output = ReplyOutput(sio, self.bot_message_evt)
            message = UserMessage(text, output, session_id, input_channel=self.name(), message_id=message_id)
            agent = next(iter(webhook.apps)).ctx.agent  # the app's agent, as Rasa's own handler reads it
            try:
                earlier = await redelivery.handle_once(agent, message, message_id is not None)
                if earlier is not None:
                    await redelivery.send_all(ReplyOutput(sio, self.bot_message_evt, replay=True), session_id, earlier)
            except HelpdeskError as exc:  # no model yet, or an id reused: said, and nothing was handled
                logger.warning("web chat %s: %s", session_id, exc)
                await say(sid, str(exc))
            except Exception:  # the acknowledgement must come, or the chat would hold every later message back
                logger.exception("web chat %s: the message could not be handled", session_id)
                await say(sid, NOT_HANDLED)
            return True

        return webhook
