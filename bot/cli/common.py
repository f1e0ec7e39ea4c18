"""What the command groups share: the settings, the state database of one command, and argument types."""

from __future__ import annotations

import functools
from typing import Callable

import click

from core.db import Database
from core.schema import state_database
from core.settings import Settings


def with_settings(command: Callable) -> Callable:
    """Pass the helpdesk's settings (read from the environment) as the first argument."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        return command(Settings.from_env(), *args, **kwargs)

    return wrapper


def with_state(command: Callable) -> Callable:
    """Pass the settings and the state database, open for the length of the command."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        settings = Settings.from_env()
        with state_database(settings.state_store) as db:
            return command(settings, db, *args, **kwargs)

    return wrapper


def shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


DAYS = click.IntRange(1, 36500)
COUNT = click.IntRange(1)
StateDb = Database
