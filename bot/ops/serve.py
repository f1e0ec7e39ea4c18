"""Starts the helpdesk's server processes: one at a time (`helpdesk serve X`) or all under supervisord (`make run`)."""

from __future__ import annotations

import errno
import logging
import os
import secrets
import shlex
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, NoReturn

from bot.answers.training import rasa_env, require_model
from core.errors import ConfigError, HelpdeskError, PortInUse
from core.quiet import quiet_third_party_warnings
from core.settings import Settings

COMPONENTS = ("rasa", "actions", "web", "slack")
SUPERVISOR_CONFIG = "supervisord.conf"
SUPERVISOR_SOCKET = "supervisor.sock"
SOCKET_PATH_MAX = 107  # bytes in a unix socket's address (sun_path), less its final NUL


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


def require_action_token(settings: Settings) -> None:
    if not settings.action_token:
        raise ConfigError(
            "ACTION_SERVER_TOKEN is not set; set it to the same random value for the Rasa server "
            "and the action server, or start everything with `make run`, which makes one."
        )


# The servers' numpy (MiniLM, the classifiers) on one thread each: a message's matrices are small, so a second
# thread costs more than it saves, and the Rasa server and the action server share the cores. A message's
# parse took 23 ms with OpenBLAS's default two threads and 17 ms with one (2 cores, busy); `rasa train` keeps both.
ONE_MATH_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def command_for(component: str, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start `component`. No secret goes on a command line, where
    `ps` shows it to every user of the host: our launchers read them from the environment."""
    env = rasa_env(settings)
    root = settings.root
    if component == "rasa":
        model = require_model(settings)
        check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
        require_action_token(settings)
        command = [
            sys.executable,
            "-m",
            "actions.rasa_server",
            "run",
            "--model",
            str(model),
            "--interface",
            settings.rasa_host,
            "--port",
            str(settings.rasa_port),
            "--endpoints",
            str(root / "endpoints.yml"),
            "--credentials",
            str(root / "credentials.yml"),
            "--cors",
            *settings.web_origins,
        ]
        if settings.rasa_token:
            command.append("--enable-api")  # with the token, which actions/rasa_server.py adds in-process
        return command, {**env, **ONE_MATH_THREAD}
    if component == "actions":
        check_port_free(settings.bind_host, settings.action_port, "ACTION_PORT")
        require_action_token(settings)
        return [sys.executable, "-m", "actions.action_server"], {**env, **ONE_MATH_THREAD}
    if component == "slack":
        if not settings.slack.app_token:
            check_port_free(settings.bind_host, settings.slack_port, "SLACK_PORT")
        return [sys.executable, "-m", "helpdesk_slack.main"], env
    if component == "web":
        check_port_free(settings.bind_host, settings.web_port, "WEB_PORT")
        return [sys.executable, "-m", "helpdesk_web.server"], env
    raise ConfigError(f"unknown component {component!r}; choose one of: {', '.join(COMPONENTS)}.")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def run_server(serve_with: Callable[[Settings], None]) -> int:
    """The `main` of a server process the helpdesk starts: quiet warnings, logging, the settings, and a
    clear message instead of a traceback when it cannot start."""
    quiet_third_party_warnings()
    configure_logging()
    try:
        serve_with(Settings.from_env())
    except HelpdeskError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return 1
    return 0


def serve(component: str, settings: Settings) -> None:
    """Run the server for `component` in the foreground, in place of this process (each has a module of its
    own: this layer starts the channels without importing them)."""
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


def run_environment(settings: Settings, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of every process `make run` starts: this run's own secrets where none are set."""
    env = dict(environ)
    if not settings.rasa_token:
        # The worker injects engineers' replies into chats through Rasa's API, so it must be on; the token
        # is this run's own and the API listens on RASA_HOST only.
        env["RASA_API_TOKEN"] = secrets.token_urlsafe(24)
    if not settings.action_token:
        env["ACTION_SERVER_TOKEN"] = secrets.token_urlsafe(24)
    return env


def _value(text: str | Path) -> str:
    return str(text).replace("%", "%%")  # supervisord expands %(name)s in its values


@dataclass(frozen=True)
class Program:
    """One process supervisord runs. `environment` goes into its configuration file: ports and paths, no secret."""

    name: str
    command: list[str]
    environment: dict[str, str] = field(default_factory=dict)
    user: str | None = None  # run as this user (supervisord must be root): Postgres refuses to run as root
    stopsignal: str = "TERM"
    directory: Path | None = None  # where it starts (default: the project folder)


def helpdesk_program(component: str, name: str | None = None, **environment: str) -> Program:
    """`helpdesk worker` or `helpdesk serve <component>` as a supervisord program."""
    helpdesk = str(Path(sys.executable).with_name("helpdesk"))
    command = [helpdesk, "worker"] if component == "worker" else [helpdesk, "serve", component]
    return Program(name or component, command, environment)


def supervisor_config(settings: Settings, programs: list[Program]) -> str:
    """supervisord's configuration for `programs`: each restarted whenever it stops, with a growing pause
    after each start that fails (1 s, 2 s, 3 s, ...; given up after 30 in a row), its output on supervisord's
    own, so `make run` shows why a process died. It holds no secret: they reach the processes through
    supervisord's environment."""
    var = settings.var_dir
    lines = [
        "; Generated by `helpdesk start` (bot/ops/serve.py: supervisor_config) each time it starts; edits are lost.",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={_value(var / 'supervisord.log')}",
        "logfile_maxbytes=1MB",
        "logfile_backups=2",
        f"pidfile={_value(var / 'supervisord.pid')}",
        "umask=077",
        "",
        "[unix_http_server]",  # for supervisorctl; the owner only, and no inet server at all
        f"file={_value(var / SUPERVISOR_SOCKET)}",
        "chmod=0700",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_value(var / SUPERVISOR_SOCKET)}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    for program in programs:
        lines += ["", f"[program:{program.name}]", f"command={_value(shlex.join(program.command))}"]
        if program.environment:
            pairs = ",".join(f'{key}="{_value(value)}"' for key, value in program.environment.items())
            lines.append(f"environment={pairs}")
        if program.user:
            lines.append(f"user={program.user}")
        lines += [
            f"directory={_value(program.directory or settings.root)}",
            "umask=077",
            "autostart=true",
            "autorestart=true",
            "startsecs=10",  # a process that dies sooner failed to start: the next try waits longer
            "startretries=30",
            f"stopsignal={program.stopsignal}",
            "stopwaitsecs=20",
            "stopasgroup=true",
            "killasgroup=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "stderr_logfile=/dev/stderr",
            "stderr_logfile_maxbytes=0",
        ]
    return "\n".join(lines) + "\n"


def start_all(settings: Settings) -> NoReturn:
    """Become supervisord running every component until Ctrl-C (which stops them all)."""
    started, off = components_to_start(settings)
    for line in off:
        print(f"helpdesk: {line}")
    supervise(settings, [helpdesk_program(component) for component in started], {})


def supervise(settings: Settings, programs: list[Program], environment: Mapping[str, str]) -> NoReturn:
    """Become supervisord running `programs`, with this run's secrets and `environment` in theirs."""
    socket_path = settings.var_dir / SUPERVISOR_SOCKET
    if len(os.fsencode(socket_path)) > SOCKET_PATH_MAX:
        raise ConfigError(
            f"HELPDESK_VAR_DIR={settings.var_dir} is too long a path for supervisord's socket "
            f"({SOCKET_PATH_MAX} bytes at most); choose a shorter folder."
        )
    os.umask(0o077)  # supervisord sets its umask only when it daemonizes; its socket, log and children inherit this
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    config = settings.var_dir / SUPERVISOR_CONFIG
    config.write_text(supervisor_config(settings, programs), encoding="utf-8")
    config.chmod(0o600)
    print(
        f"helpdesk: supervisord restarts any process that stops; `{Path(sys.executable).with_name('supervisorctl')} "
        f"-c {config} status` lists them."
    )
    sys.stdout.flush()
    supervisord = str(Path(sys.executable).with_name("supervisord"))
    os.chdir(settings.root)
    env = {**run_environment(settings, os.environ), **environment}
    os.execve(supervisord, [supervisord, "--configuration", str(config)], env)
