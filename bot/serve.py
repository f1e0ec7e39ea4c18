"""Starts the helpdesk's server processes: one at a time (`helpdesk serve X`) or all under honcho (`make run`)."""
from __future__ import annotations

import errno
import logging
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path

from bot.errors import ConfigError, PortInUse
from bot.settings import Settings
from bot.training import rasa_env, rasa_executable, require_model

COMPONENTS = ("rasa", "actions", "web", "slack")


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


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def serve(component: str, settings: Settings) -> None:
    """Run the server for `component` in the foreground (the Rasa ones replace this process)."""
    configure_logging()
    if component == "slack":
        if not settings.slack.app_token:
            check_port_free("127.0.0.1", settings.slack_port, "SLACK_PORT")
        from helpdesk_slack import main as slack_main  # the channel layers: imported only to run them
        slack_main.serve(settings)
        return
    if component == "web":
        check_port_free("127.0.0.1", settings.web_port, "WEB_PORT")
        from helpdesk_web import server as web_server
        web_server.serve(settings)
        return
    command, env = command_for(component, settings)
    os.chdir(settings.root)
    os.execve(command[0], command, env)


def components_to_start(settings: Settings) -> tuple[list[str], list[str]]:
    """The components `make run` starts, and one line for each that stays off and why."""
    started = ["rasa", "actions", "web", "worker"]  # the worker is `helpdesk worker`; the others `helpdesk serve X`
    off = []
    if settings.slack.enabled:
        started.append("slack")
    else:
        off.append(f"Slack is off ({settings.slack.off_reason}; see .env.example and slack/manifest.yml).")
    return started, off


def start_all(settings: Settings) -> int:
    """Run every component under one supervisor until Ctrl-C; returns the exit code."""
    from honcho.manager import Manager

    env = dict(os.environ)
    if not settings.rasa_token:
        # The worker injects engineers' replies into chats through Rasa's API, so it must be on; the token
        # is this run's own and the API listens on RASA_HOST only.
        env["RASA_API_TOKEN"] = secrets.token_urlsafe(24)
    started, off = components_to_start(settings)
    for line in off:
        print(f"helpdesk: {line}")
    helpdesk = shlex.quote(str(Path(sys.executable).with_name("helpdesk")))
    manager = Manager()
    for component in started:
        command = f"{helpdesk} worker" if component == "worker" else f"{helpdesk} serve {component}"
        manager.add_process(component, command, env=env, cwd=str(settings.root))
    manager.loop()
    return manager.returncode or 0
