"""`helpdesk start --replicas N` (`make run-cluster`): the scale-out of README "Several servers" on one machine,
on loopback. Debian's Postgres (Rasa's conversations and the helpdesk's own state) and Redis (the conversation
locks, the chats' rooms), each with a data
directory under var/cluster/ and a password of its own; N Rasa servers, each with an action server of its own;
HAProxy in front of the Rasa servers on RASA_PORT, where `make run` has its one Rasa server; and the worker,
the web chat and the Slack app as `make run` runs them. Everything runs under one supervisord.

A worker runs per replica; they share the outbox in Postgres by claims (core/outbox.py).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from bot.ops import serve
from core.db import private_file
from core.errors import ConfigError
from core.settings import Settings

POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")
POSTGRES_USER = "postgres"  # Debian's; the server refuses to run as root
DATABASE = "helpdesk"  # the database and the role that owns it (Rasa's login)
ADMIN = "helpdesk_admin"  # the cluster's superuser, which only creates them
MOST_REPLICAS = 8
HAPROXY_CONFIG = "haproxy.cfg"


@dataclass(frozen=True)
class Replica:
    """One Rasa server and the action server only it calls."""

    number: int
    rasa_port: int
    action_port: int


def replicas(settings: Settings, count: int) -> list[Replica]:
    """The replicas' ports: the ones after RASA_PORT (the proxy's) and after ACTION_PORT."""
    if not 1 <= count <= MOST_REPLICAS:
        raise ConfigError(f"--replicas {count}: choose from 1 to {MOST_REPLICAS}.")
    return [Replica(n, settings.rasa_port + n, settings.action_port + n) for n in range(1, count + 1)]


def cluster_dir(settings: Settings) -> Path:
    return settings.var_dir / "cluster"


def _secret(path: Path) -> str:
    """The password kept in `path` (mode 0600), made on first use."""
    if not path.is_file():
        _write_private(path, secrets.token_urlsafe(24))
    return path.read_text().strip()


def database_url(settings: Settings) -> str:
    password = _secret(cluster_dir(settings) / "postgres.password")
    return f"postgresql://{DATABASE}:{password}@127.0.0.1:{settings.postgres_port}/{DATABASE}"


def redis_url(settings: Settings) -> str:
    return f"redis://:{_secret(cluster_dir(settings) / 'redis.password')}@127.0.0.1:{settings.redis_port}/0"


def _postgres_user() -> str | None:
    """Who runs Postgres: this user, or Debian's postgres user when this is root."""
    return POSTGRES_USER if os.geteuid() == 0 else None


def _reachable_by(user: str, folder: Path, ours: list[Path]) -> None:
    """Let `user` enter every folder on the way to `folder` (enter, not list): those in `ours` (or inside one) are
    made so, any other one must be already."""
    for parent in reversed(folder.parents):
        if parent.stat().st_mode & 0o001:
            continue
        if any(parent == mine or mine in parent.parents for mine in ours):
            parent.chmod(parent.stat().st_mode | 0o001)
        else:
            raise ConfigError(
                f"Postgres runs as the {user} user, which cannot enter {parent}; set HELPDESK_VAR_DIR to a folder "
                "it can reach (e.g. under /var/tmp)."
            )


def prepare_postgres(settings: Settings) -> Path:
    """The Postgres data directory under var/cluster, with the helpdesk's database, made on first use. The
    database's owner, whom Rasa logs in as, is an ordinary role: the superuser (ADMIN) only sets it up."""
    folder = cluster_dir(settings)
    data, ready = folder / "postgres", folder / "postgres.ready"
    if ready.is_file():
        return data
    if not (POSTGRES_BIN / "initdb").is_file():
        raise ConfigError("Postgres is not installed; run `make run-cluster`, which installs Debian's postgresql.")
    user = _postgres_user()
    shutil.rmtree(data, ignore_errors=True)  # what a set-up that failed half way left
    data.mkdir(parents=True, mode=0o700)
    as_user: list[str] = []
    if user:
        # the project, its var folder, and temporary folders (the tests' var folders) are this user's to open
        _reachable_by(user, data, [settings.root, settings.var_dir, Path(tempfile.gettempdir())])
        account = pwd.getpwnam(user)
        os.chown(data, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", user, "--"]
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix="initdb-", delete=False) as file:
        file.write(_secret(folder / "postgres-admin.password"))  # initdb reads it from a file, removed at once
    if user:
        os.chown(file.name, account.pw_uid, account.pw_gid)
    try:
        _run([*as_user, str(POSTGRES_BIN / "initdb"), "-D", str(data), "-U", ADMIN, "-E", "UTF8",
              "--auth=scram-sha-256", f"--pwfile={file.name}"])  # fmt: skip
    finally:
        Path(file.name).unlink(missing_ok=True)
    password = _secret(folder / "postgres.password")
    statements = f"CREATE ROLE {DATABASE} LOGIN PASSWORD '{password}'\nCREATE DATABASE {DATABASE} OWNER {DATABASE}\n"
    _run([*as_user, str(POSTGRES_BIN / "postgres"), "--single", "-D", str(data), "postgres"], stdin=statements)
    ready.touch()
    return data


def _run(command: list[str], stdin: str | None = None) -> None:
    result = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if result.returncode != 0:
        raise ConfigError(f"`{Path(command[0]).name}` failed setting up the cluster's Postgres: {result.stderr[-500:]}")


def redis_config(settings: Settings) -> Path:
    """redis.conf for the lock store (mode 0600: it holds the password): loopback, nothing saved to disk."""
    folder = cluster_dir(settings)
    path = folder / "redis.conf"
    lines = [
        "# Generated by `helpdesk start --replicas` (bot/ops/cluster.py) each time it starts; edits are lost.",
        "bind 127.0.0.1",
        f"port {settings.redis_port}",
        f"requirepass {_secret(folder / 'redis.password')}",
        f'dir "{folder}"',
        'save ""',  # locks live seconds: nothing to keep over a restart
        "appendonly no",
        "maxmemory 256mb",
        "maxclients 1000",
        "daemonize no",
    ]
    _write_private(path, "\n".join(lines) + "\n")
    return path


def _write_private(path: Path, text: str) -> None:
    """Write `path` readable by this user only before its first byte (it holds a password)."""
    private_file(path)
    path.write_text(text, encoding="utf-8")


def haproxy_config(settings: Settings, members: list[Replica]) -> str:
    """HAProxy for `helpdesk start --replicas` (see proxy_config)."""
    servers = [f"server rasa-{m.number} 127.0.0.1:{m.rasa_port} {HEALTH_CHECK}" for m in members]
    header = "# Generated by `helpdesk start --replicas` (bot/ops/cluster.py) each time it starts; edits are lost."
    return proxy_config(header, f"{settings.rasa_host}:{settings.rasa_port}", servers)


def compose_haproxy_config() -> str:
    """HAProxy for deploy/compose.yaml: the `rasa` service's replicas, found through Docker's DNS."""
    header = (
        "# Generated by `make deploy-config` (bot/ops/cluster.py: compose_haproxy_config); do not edit by hand.\n"
        "resolvers docker\n    nameserver dns 127.0.0.11:53\n    hold valid 5s"
    )
    servers = [f"server-template rasa- {MOST_REPLICAS} rasa:5005 {HEALTH_CHECK} resolvers docker init-addr none"]
    return proxy_config(header, "*:5005", servers)


HEALTH_CHECK = "check inter 1s fall 2 rise 2"


def proxy_config(header: str, bind: str, servers: list[str]) -> str:
    """HAProxy in front of the Rasa servers. Any replica takes any REST message (Redis keeps a conversation's
    messages in order) and any socket.io client that opens a websocket at once. A session begun by long polling
    (the web chat's) is several requests that must all reach the replica holding it, its upgrade to a websocket
    too, so those are routed by the client's address. A replica that fails its health check, or refuses a
    connection, is passed over; the replica that answered is named in the X-Helpdesk-Replica header."""
    lines = [
        header,
        "global",
        "    maxconn 2000",
        "    log stdout format raw local0 notice",  # to supervisord's output: errors and servers going up or down
        "defaults",
        "    mode http",
        "    log global",
        # httplog's fields, with the path but not the query string, where Rasa's API token travels
        '    log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %HM %HPO"',
        "    option dontlog-normal",
        "    option log-separate-errors",  # a failed request at level err, so the notice level shows it
        "    timeout connect 2s",
        "    timeout client 60s",
        "    timeout server 60s",  # socket.io's long polls last 25 s
        "    timeout tunnel 1h",  # websockets
        "    timeout http-request 10s",
        "    retries 2",
        "    option redispatch 1",  # a connection refused by a dead replica is retried on another one at once
        # Only a refused connection is retried: never a message a replica may have handled already. A fresh
        # connection per request, so a replica that died is refused, not met on a reused connection mid-request.
        "    retry-on conn-failure",
        "    http-reuse never",
        "    option httpchk GET /",
        "frontend rasa",
        f"    bind {bind}",
        "    option forwardfor",
        # A socket.io session begun by long polling (the widget's way) sends all its requests, and its upgrade to
        # a websocket, to the replica that opened it; a client that opens a websocket at once may go anywhere.
        "    acl socketio path_beg /socket.io/",
        "    acl session urlp(sid) -m found",
        "    acl websocket hdr(upgrade) -i websocket",
        "    use_backend polling if socketio session",
        "    use_backend polling if socketio !websocket",
        "    default_backend replicas",
        "    http-response set-header X-Helpdesk-Replica %s",
        "backend replicas",
        "    balance roundrobin",
        *(f"    {server}" for server in servers),
        "backend polling",
        "    balance source",
        "    hash-type consistent",
        *(f"    {server}" for server in servers),
    ]
    return "\n".join(lines) + "\n"


# Postgres, Redis and HAProxy start with an empty environment: supervisord's holds this run's secrets.
CLEAN_ENVIRONMENT = ["env", "-i", f"PATH={os.defpath}"]


def programs(settings: Settings, members: list[Replica]) -> list[serve.Program]:
    """Every process of the cluster, as supervisord runs them."""
    folder = cluster_dir(settings)
    postgres = serve.Program(
        "postgres",
        [*CLEAN_ENVIRONMENT, str(POSTGRES_BIN / "postgres"), "-D", str(folder / "postgres"), "-c", "listen_addresses=127.0.0.1",
         "-c", f"port={settings.postgres_port}", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
        user=_postgres_user(),
        stopsignal="INT",  # Postgres' fast shutdown; TERM would wait for every client to leave
        directory=folder / "postgres",  # its user may not be able to enter the project folder
    )  # fmt: skip
    redis = serve.Program(
        "redis", [*CLEAN_ENVIRONMENT, shutil.which("redis-server") or "redis-server", str(folder / "redis.conf")]
    )
    proxy = serve.Program(
        "proxy",
        [*CLEAN_ENVIRONMENT, shutil.which("haproxy") or "haproxy", "-W", "-db", "-f", str(folder / HAPROXY_CONFIG)],
    )
    found = [postgres, redis, proxy]
    for m in members:
        ports = {"RASA_PORT": str(m.rasa_port), "ACTION_PORT": str(m.action_port)}
        found += [
            serve.helpdesk_program("rasa", f"rasa-{m.number}", **ports),
            serve.helpdesk_program("actions", f"actions-{m.number}", **ports),
            serve.helpdesk_program("worker", f"worker-{m.number}"),  # they share the outbox (core/outbox.py: claim)
        ]
    started, _ = serve.components_to_start(settings)
    found += [serve.helpdesk_program(c) for c in started if c not in ("rasa", "actions", "worker")]
    return found


def start(settings: Settings, count: int) -> NoReturn:
    """Become supervisord running the cluster until Ctrl-C."""
    members = replicas(settings, count)
    for tool in ("redis-server", "haproxy"):
        if not shutil.which(tool):
            raise ConfigError(f"{tool} is not installed; run `make run-cluster`, which installs it from Debian.")
    serve.check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
    for port, setting in (
        (settings.postgres_port, "HELPDESK_POSTGRES_PORT"),
        (settings.redis_port, "HELPDESK_REDIS_PORT"),
    ):
        serve.check_port_free("127.0.0.1", port, setting)
    for m in members:
        serve.check_port_free(
            settings.rasa_host, m.rasa_port, f"RASA_PORT (replica {m.number} uses RASA_PORT+{m.number})"
        )
        serve.check_port_free(
            "127.0.0.1", m.action_port, f"ACTION_PORT (replica {m.number} uses ACTION_PORT+{m.number})"
        )
    prepare_postgres(settings)
    redis_config(settings)
    _write_private(cluster_dir(settings) / HAPROXY_CONFIG, haproxy_config(settings, members))
    environment = {"HELPDESK_DATABASE_URL": database_url(settings), "HELPDESK_REDIS_URL": redis_url(settings)}
    serve.supervise(settings, programs(settings, members), environment)


if __name__ == "__main__":  # `make deploy-config`: python -m bot.ops.cluster deploy/haproxy.cfg
    import sys

    Path(sys.argv[1]).write_text(compose_haproxy_config(), encoding="utf-8")
