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


def make_server(app: App, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
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
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._reply(413, "request too large")
                return
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            headers = {name.lower(): [value] for name, value in self.headers.items()}
            try:
                request = BoltRequest(body=body, query=url.query, headers=headers)
            except ValueError:  # a body that is not Slack's JSON or form encoding
                self._reply(400, "malformed request")
                return
            response = app.dispatch(request)
            self._reply(response.status, response.body or "", response.headers)

        def log_message(self, format: str, *args) -> None:
            logger.debug("slack http: " + format, *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
