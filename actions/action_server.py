"""Starts the action server: `helpdesk serve actions` runs `python -m actions.action_server`.

Unlike `rasa run actions`, it serves the Rasa server only: every request but /health must carry
`Authorization: Bearer ACTION_SERVER_TOKEN` (endpoints.yml makes the Rasa server send it), so no one else
on the host can run an action, and file an escalation say, by posting to it. It listens on HELPDESK_BIND_HOST (127.0.0.1) and
reads at most MAX_BODY_BYTES of a request.

rasa_sdk imports every module of the `actions` package, this one too: nothing here runs on import.
"""

from __future__ import annotations

import hmac
import sys

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.ops.serve import require_action_token, run_server
from core.settings import Settings

OPEN_PATHS = frozenset({"/health"})  # `helpdesk doctor` and the tests ask it without the secret
# Each call carries the conversation's whole tracker since its session started plus the domain: a long
# conversation is a few hundred KB, far below this, while a stray client cannot make it read 100 MB.
MAX_BODY_BYTES = 8 * 1024 * 1024


def require_token(app: Sanic, token: str) -> None:
    expected = f"Bearer {token}".encode()

    @app.middleware("request")
    async def only_the_rasa_server(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS:
            return None
        given = request.headers.get("Authorization", "").encode()
        if hmac.compare_digest(given, expected):  # constant time: the answer's timing says nothing of the token
            return None
        return response.json({"error": "this server answers the helpdesk's Rasa server only"}, status=401)


def make_app(settings: Settings) -> Sanic:
    from rasa_sdk.endpoint import create_app

    require_action_token(settings)
    app = create_app("actions.catalogue", cors_origins="")  # no browser talks to the action server
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    require_token(app, str(settings.action_token))

    @app.exception(PayloadTooLarge)  # rasa_sdk's handler of every exception would make it a 500
    async def too_large(request: Request, exception: PayloadTooLarge) -> HTTPResponse:
        return response.json({"error": f"the request body is over {MAX_BODY_BYTES} bytes"}, status=413)

    return app


def serve(settings: Settings) -> None:
    make_app(settings).run(host=settings.bind_host, port=settings.action_port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    sys.exit(run_server(serve))
