"""How long Slack waits for the app's answer (its ack) when the bot is slow, and when it answers at once.

Run: .venv/bin/python bench/slack_ack.py
Target (issue 7): every ack well within Slack's 3 seconds, whatever the bot's speed. The Bolt app is
served over HTTP as in production; a local stand-in plays Slack's Web API, and a stand-in Rasa either
answers at once or holds every request until the run ends.
"""

from __future__ import annotations

import json
import logging
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from slack_standin import HeldRasa, SlackStandIn, post_signed  # noqa: E402

from core.settings import Settings  # noqa: E402
from helpdesk_slack.app import build_app  # noqa: E402
from helpdesk_slack.http_server import PATH, make_server  # noqa: E402

REQUESTS = 50
SECRET = "bench-secret"


def measure(slow: bool) -> list[float]:
    rasa, slack = HeldRasa(answer="an answer"), SlackStandIn()
    if not slow:
        rasa.release.set()
    with tempfile.TemporaryDirectory() as var:
        settings = Settings.from_env(
            {
                "HELPDESK_VAR_DIR": var,
                "RASA_PORT": str(rasa.port),
                "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
            }
        )
        app, _ = build_app(settings)
        server = make_server(app, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
        seconds = []
        for n in range(REQUESTS):
            event = {
                "type": "message",
                "channel_type": "im",
                "channel": "D0BENCH",
                "user": "U0BENCH",
                "text": f"question {n}",
                "ts": f"1700000000.{n:06d}",
            }
            body = json.dumps({"type": "event_callback", "team_id": "T0", "event_id": f"Ev{n}", "event": event})
            status, _, took = post_signed(url, body, SECRET, "application/json")
            assert status == 200, status
            seconds.append(took)
        server.shutdown()
    rasa.close()
    slack.close()
    return seconds


def main() -> None:
    # Bolt logs the lazy listeners' posts that outlive the run's stand-ins; they are not the measurement.
    logging.getLogger("helpdesk_slack").setLevel(logging.CRITICAL)
    for slow in (False, True):
        seconds = sorted(measure(slow))
        p95 = seconds[int(0.95 * len(seconds)) - 1]
        label = "bot never answers during the run" if slow else "bot answers at once"
        print(
            f"{label}: {REQUESTS} DM events, ack p50 {statistics.median(seconds) * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms, max {seconds[-1] * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
