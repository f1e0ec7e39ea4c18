"""Serves the demo page, the widget (one script tag on any site), its socket.io client and /api/status."""

from __future__ import annotations

import json
import logging
import sys
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from bot.ops.serve import run_server
from bot.status import phase_status, status_replies
from bot.wording import support_contact
from core.errors import HelpdeskError
from core.settings import Settings

logger = logging.getLogger(__name__)
WEB_DIR = Path(__file__).resolve().parent
STATIC = WEB_DIR / "static"
SOCKET_IO = WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
FILES = {
    "/widget.js": STATIC / "widget.js",
    "/widget.css": STATIC / "widget.css",
    "/demo.js": STATIC / "demo.js",
    "/demo.css": STATIC / "demo.css",
    "/vendor/socket.io.min.js": SOCKET_IO,
}


def status(settings: Settings) -> dict:
    """The banner's level and text, and each migration's phases, at the helpdesk's clock."""
    status = phase_status.snapshot(settings)
    migrations, now, states = status.migrations, status.now, status.states
    level, text = status_replies.banner(states, migrations, now)
    by_migration = [
        {
            "title": migration.title,
            "phases": [
                {
                    "label": s.phase.label,
                    "window": status_replies.window_text(s),
                    "state": s.state,
                    "impact": s.phase.impact,
                    "note": s.note,
                }
                for s in states
                if s.phase.migration == migration.key
            ],
        }
        for migration in reversed(migrations)  # the most recent first
    ]
    return {"level": level, "text": text, "as_of": now.isoformat(), "migrations": by_migration}


def demo_page(settings: Settings) -> str:
    # The socket URL and the support contact go into attributes; they come from settings and domain.yml, and are
    # escaped all the same.
    phone, email = support_contact()
    return (
        (STATIC / "index.html")
        .read_text(encoding="utf-8")
        .replace("{{SOCKET_URL}}", escape(settings.chat_url, quote=True))
        .replace("{{SUPPORT}}", escape(f"ring {phone} or email {email}", quote=True))
    )


def make_server(settings: Settings, host: str | None = None, port: int | None = None) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, body: str | bytes, content_type: str, cache: str = "no-cache") -> None:
            data = body.encode("utf-8") if isinstance(body, str) else body
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", cache)
            self.send_header("X-Content-Type-Options", "nosniff")
            if content_type.startswith("text/html"):
                self.send_header(
                    "Content-Security-Policy",
                    f"default-src 'self'; connect-src 'self' {settings.chat_url} "
                    f"{settings.chat_url.replace('http', 'ws', 1)}; img-src 'self' data:",
                )
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            path = urlparse(self.path).path
            try:
                if path in ("/", "/index.html"):
                    self._send(200, demo_page(settings), TYPES[".html"])
                elif path == "/api/status":
                    self._send(200, json.dumps(status(settings)), "application/json")
                elif path == "/health":
                    self._send(200, "ok", "text/plain; charset=utf-8")
                elif path in FILES and FILES[path].is_file():
                    self._send(200, FILES[path].read_bytes(), TYPES[FILES[path].suffix])
                else:
                    self._send(404, "not found", "text/plain; charset=utf-8")
            except HelpdeskError as exc:
                logger.error("web: %s", exc)
                self._send(503, json.dumps({"error": str(exc)}), "application/json")

        def log_message(self, format: str, *args) -> None:
            logger.debug("web: " + format, *args)

    server = ThreadingHTTPServer((host or settings.bind_host, settings.web_port if port is None else port), Handler)
    server.daemon_threads = True
    return server


def serve(settings: Settings) -> None:
    if not SOCKET_IO.is_file():
        raise HelpdeskError(
            "the web chat's socket.io client is not installed; run `make setup` (it runs npm ci in web/)."
        )
    server = make_server(settings)
    logger.info("web chat: demo page at http://%s:%d/", settings.bind_host, settings.web_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(run_server(serve))
