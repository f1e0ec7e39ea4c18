"""Web chat sessions that cannot be taken over by knowing their id.

The session id is also the Rasa conversation id, which staff see (pages, transcripts, logs), so it is
not a secret. The browser that opened the session keeps a token, an HMAC of the id under a server-side
secret; a reconnect that cannot show the token gets a new, empty session instead of someone else's.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from core.db import private_file

SECRET_FILE = "session_secret"


def new_session_id() -> str:
    return secrets.token_hex(16)


def token_for(session_id: str, secret: bytes) -> str:
    return hmac.new(secret, session_id.encode("utf-8"), hashlib.sha256).hexdigest()


def is_valid(session_id: object, token: object, secret: bytes) -> bool:
    """True when `token` proves the holder opened `session_id`."""
    if not isinstance(session_id, str) or not isinstance(token, str) or not 0 < len(session_id) <= 64:
        return False
    return hmac.compare_digest(token_for(session_id, secret), token)


def load_secret(configured: str | None, var_dir: Path) -> bytes:
    """HELPDESK_SESSION_SECRET if set, else a random secret kept (0600) in var/ so sessions outlive restarts."""
    if configured:
        return configured.encode("utf-8")
    path = var_dir / SECRET_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        private_file(path)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
    return path.read_text(encoding="utf-8").strip().encode("utf-8")
