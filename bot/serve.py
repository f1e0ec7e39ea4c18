"""Starts one server process of the helpdesk (what each Procfile line runs)."""
from __future__ import annotations

import errno
import os
import socket
from typing import NoReturn

from bot.errors import ConfigError, PortInUse
from bot.settings import Settings
from bot.training import rasa_env, rasa_executable, require_model

COMPONENTS = ("rasa", "actions")


def check_port_free(host: str, port: int, setting: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the servers do: connections left in TIME_WAIT do not make a port busy, a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use; stop whatever holds it or set {setting} to a free port."
                ) from None
            raise


def command_for(component: str, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start `component`."""
    env = rasa_env(settings)
    root = settings.root
    if component == "rasa":
        model = require_model(settings)
        check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
        command = [
            rasa_executable(), "run",
            "--model", str(model),
            "--interface", settings.rasa_host,
            "--port", str(settings.rasa_port),
            "--endpoints", str(root / "endpoints.yml"),
            "--credentials", str(root / "credentials.yml"),
            "--cors", f"http://localhost:{settings.web_port}", f"http://127.0.0.1:{settings.web_port}",
        ]
        if settings.rasa_token:
            command += ["--enable-api", "--auth-token", settings.rasa_token]
        return command, env
    if component == "actions":
        check_port_free("127.0.0.1", settings.action_port, "ACTION_PORT")
        env["SANIC_HOST"] = "127.0.0.1"  # rasa_sdk has no --interface flag; it reads this instead
        return [rasa_executable(), "run", "actions", "--actions", "actions", "--port", str(settings.action_port)], env
    raise ConfigError(f"unknown component {component!r}; choose one of: {', '.join(COMPONENTS)}.")


def serve(component: str, settings: Settings) -> NoReturn:
    """Replace this process with the server for `component`."""
    command, env = command_for(component, settings)
    os.chdir(settings.root)
    os.execve(command[0], command, env)
