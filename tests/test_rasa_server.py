"""The Rasa server's launcher (actions/rasa_server.py) hands `rasa run` the arguments it can parse."""

from __future__ import annotations

import argparse

import pytest
from rasa.cli.arguments.run import add_server_arguments

from actions.rasa_server import rasa_arguments


@pytest.mark.parametrize("token", ["plainToken123", "-starts-with-a-dash", "--looks-like-an-option"])
def test_any_random_api_token_reaches_rasa_whole(token: str):
    parser = argparse.ArgumentParser()
    add_server_arguments(parser)
    assert parser.parse_args(rasa_arguments(["--port", "5005"], token)).auth_token == token


def test_without_a_token_rasa_gets_none():
    assert rasa_arguments(["--port", "5005"], "") == ["--port", "5005"]
