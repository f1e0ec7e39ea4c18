"""Local HTTP servers standing in for what the Slack app talks to: Slack's Web API (the WebClient's base_url
points here, and slash commands' response_url) and a Rasa bot that holds every question until released."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str  # e.g. "chat.postMessage"
    args: dict


def _parse(body: bytes, content_type: str) -> dict:
    if "json" in content_type:
        return json.loads(body or b"{}")
    args = {key: values[0] for key, values in urllib.parse.parse_qs(body.decode()).items()}
    for key in ("blocks", "view", "attachments"):  # the WebClient sends these as JSON strings in a form
        if key in args:
            args[key] = json.loads(args[key])
    return args


def reply_json(handler: BaseHTTPRequestHandler, status: int, payload: object) -> None:
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


# Message timestamps unique across every stand-in of a test process, as Slack's are in a channel: tests that share
# one state database (the session's bot) must not find one case's page thread under another's.
_MESSAGE_TS = itertools.count(1)


class SlackStandIn:
    """Slack's Web API: records every call, and can fail for a while like a real outage."""

    def __init__(self, staff_channel_members: tuple[str, ...] = ()) -> None:
        self.calls: list[Call] = []
        self.failures = 0  # how many of the next chat.* calls answer HTTP 500
        self.members = list(staff_channel_members)
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                method = self.path.strip("/").split("/")[-1] if self.path.startswith("/api/") else self.path
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                reply_json(self, *standin._answer(method, _parse(body, self.headers.get("Content-Type", ""))))

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.api_url = self.url + "/api/"

    def _answer(self, method: str, args: dict) -> tuple[int, dict]:
        with self._changed:
            if method.startswith("chat.") and self.failures > 0:
                self.failures -= 1
                return 500, {"ok": False, "error": "internal_error"}
            self.calls.append(Call(method, args))
            self._changed.notify_all()
        if method == "auth.test":
            return 200, {
                "ok": True,
                "user_id": "UHELPDESK",
                "bot_id": "BHELPDESK",
                "team_id": "T0TEAM",
                "user": "helpdesk",
                "team": "Modica",
                "url": self.url,
            }
        if method == "chat.postMessage":
            return 200, {"ok": True, "channel": args.get("channel"), "ts": f"1700000000.{next(_MESSAGE_TS):06d}"}
        if method == "conversations.members":
            return 200, {"ok": True, "members": self.members, "response_metadata": {"next_cursor": ""}}
        if method == "users.info":
            return 200, {"ok": True, "user": {"id": args.get("user"), "name": "tama", "real_name": "Tama Engineer"}}
        return 200, {"ok": True}

    def called(self, method: str) -> list[dict]:
        return [call.args for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 60.0) -> list[dict]:
        """The arguments of `method`'s calls, once there are at least `count` of them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.called(method)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"Slack's {method} was called {len(self.called(method))} times, not {count}, in {timeout:.0f}s"
                    )
                self._changed.wait(left)
            return self.called(method)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HeldRasa:
    """Rasa's REST webhook, answering each question only once `release` is set: the slowest bot there is.
    `asked` is set when a question arrives."""

    def __init__(self, answer: str = "finally, an answer") -> None:
        self.release = threading.Event()
        self.asked = threading.Event()
        held = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                held.asked.set()
                held.release.wait(120)
                reply_json(self, 200, [{"recipient_id": "x", "text": answer}])

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def signature(secret: str, timestamp: str, body: str) -> str:
    """How Slack signs a request: v0=HMAC-SHA256 of 'v0:<timestamp>:<body>'."""
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return f"v0={digest}"


def post_signed(
    url: str, body: str, secret: str | None, content_type: str, timestamp: float | None = None, timeout: float = 30.0
) -> tuple[int, str, float]:
    """POST `body` signed as Slack signs it (secret None: no signature); returns status, body and seconds taken."""
    stamp = str(int(time.time() if timestamp is None else timestamp))
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp}
    if secret is not None:
        headers["X-Slack-Signature"] = signature(secret, stamp, body)
    request = urllib.request.Request(url, data=body.encode(), headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), time.monotonic() - started
