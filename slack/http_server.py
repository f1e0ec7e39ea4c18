"""Serves the Bolt app over HTTP: Events API, interactivity and slash commands on one port.

A threading server, so a slow request never holds up another; Bolt verifies each request's signature
and timestamp before any listener runs.
"""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

from slack_bolt import App, BoltRequest

logger = logging.getLogger(__name__)
PATH = "/slack/events"
MAX_BODY = 1_000_000  # Slack's requests are small; anything bigger is refused unread
READ_TIMEOUT = 10.0  # seconds a client may go quiet mid-request before it gets 400 and its thread is freed


class BadLength(ValueError):
    """The request's Content-Length is missing, malformed, repeated or larger than the body sent."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def declared_length(values: list[str]) -> int:
    """The one well-formed Content-Length of a request; BadLength (411, 400 or 413) otherwise."""
    if not values:
        raise BadLength(411, "Content-Length required")
    if len(values) > 1 or not (values[0].isascii() and values[0].strip().isdigit()):
        raise BadLength(400, "malformed Content-Length")
    length = int(values[0])
    if length > MAX_BODY:
        raise BadLength(413, "request too large")
    return length


def make_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        timeout = READ_TIMEOUT

        def _reply(self, status: int, body: str | bytes, headers: dict | None = None) -> None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            for name, values in (headers or {"content-type": ["text/plain; charset=utf-8"]}).items():
                for value in values if isinstance(values, list) else [values]:
                    self.send_header(name, value)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if urlparse(self.path).path == "/health":
                self._reply(200, "ok")
            else:
                self._reply(404, "not found")

        def do_POST(self) -> None:
            url = urlparse(self.path)
            if url.path != PATH:
                self._reply(404, "not found")
                return
            try:
                body = self._read_body()
            except BadLength as exc:
                self.close_connection = True
                self._reply(exc.status, str(exc))
                return
            headers = {name.lower(): [value] for name, value in self.headers.items()}
            try:
                request = BoltRequest(body=body, query=url.query, headers=headers)
            except ValueError:  # a body that is not Slack's JSON or form encoding
                self._reply(400, "malformed request")
                return
            response = app.dispatch(request)
            self._reply(response.status, response.body or "", response.headers)

        def _read_body(self) -> str:
            length = declared_length(self.headers.get_all("content-length") or [])
            try:
                data = self.rfile.read(length)
            except TimeoutError:
                data = b""
            if len(data) != length:
                raise BadLength(400, "the body is shorter than its Content-Length")
            return data.decode("utf-8", errors="replace")

        def log_message(self, format: str, *args) -> None:
            logger.debug("slack http: " + format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
