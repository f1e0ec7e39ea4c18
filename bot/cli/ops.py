"""helpdesk start, serve, worker, doctor, tracker: running the helpdesk and keeping it healthy."""

from __future__ import annotations

from datetime import timedelta

import click

from bot.cli.answers import train_model
from bot.cli.common import DAYS, with_settings
from bot.ops import cluster, doctor, retention, serve, worker
from bot.status.status_replies import when
from core.clock import Clock
from core.settings import Settings, describe


@click.command()
@click.option(
    "--replicas",
    type=click.IntRange(1, cluster.MOST_REPLICAS),
    help="Run N Rasa servers and action servers behind HAProxy, on Postgres and Redis of their own (make run-cluster).",
)
@with_settings
def start(settings: Settings, replicas: int | None) -> int:
    """Build everything derived and run all servers until Ctrl-C (make run).

    \b
    Example:
        helpdesk start --replicas 2
    """
    train_model(settings)
    if replicas:
        click.echo(
            f"helpdesk: {replicas} Rasa servers behind HAProxy at {settings.rasa_url}, Postgres on port "
            f"{settings.postgres_port} and Redis on port {settings.redis_port} (data in {cluster.cluster_dir(settings)})."
        )
        return cluster.start(settings, replicas)
    serve.check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
    serve.check_port_free("127.0.0.1", settings.action_port, "ACTION_PORT")
    serve.check_port_free("127.0.0.1", settings.web_port, "WEB_PORT")
    click.echo(
        f"helpdesk: the website chat is at http://127.0.0.1:{settings.web_port}/ and the bot answers at "
        f'{settings.rasa_url}/webhooks/rest/webhook (or `.venv/bin/helpdesk ask "hello"`); Ctrl-C stops everything.'
    )
    return serve.start_all(settings)


@click.command(name="serve")
@click.argument("component", type=click.Choice(serve.COMPONENTS))
@with_settings
def serve_one(settings: Settings, component: str) -> None:
    """Run one server in the foreground (make run starts each under one supervisor).

    \b
    Example:
        helpdesk serve web
    """
    serve.serve(component, settings)


@click.command(name="worker")
@click.option("--once", is_flag=True, help="One round now (HELPDESK_NOW applies), then exit.")
@with_settings
def run_worker(settings: Settings, once: bool) -> None:
    """Page the next step when a page is unanswered, queue notices, deliver to chats."""
    if not once:
        serve.configure_logging()
        worker.run(settings)
        return
    report = worker.run_round(settings, settings.clock.now())
    for line in report.chain_lines():
        click.echo(line)
    for ref in report.told_page_failed:
        click.echo(f"{ref}: the first page has not gone out; the customer is told to ring")
    for key in report.notices_queued:
        click.echo(f"notice queued: {key}")
    for key in report.delivered:
        click.echo(f"delivered: {key}")
    for key, error in report.failed:
        click.echo(f"not delivered (will retry): {key}: {error}")


@click.command(name="doctor")
@with_settings
def check(settings: Settings) -> int:
    """Check the set-up and the running servers (exit status 1 when any check fails)."""
    checks = doctor.run_checks(settings)
    for one in checks:
        click.echo(f"{'ok  ' if one.ok else 'FAIL'}  {one.name}: {one.message}")
    return 0 if all(one.ok for one in checks) else 1


@click.group()
def tracker() -> None:
    """Rasa's conversation store (prune: delete silent conversations)."""


@tracker.command()
@click.option("--days", type=DAYS, help="Default: HELPDESK_TRACKER_RETENTION_DAYS (90).")
@with_settings
def prune(settings: Settings, days: int | None) -> None:
    """Delete the conversations with no message for DAYS days, now."""
    days = days or settings.tracker_retention_days
    # The real time, not HELPDESK_NOW: Rasa stamps the events with the real time.
    report = retention.prune_tracker(settings.conversations, timedelta(days=days), Clock().now())
    click.echo(
        f"deleted {report.conversations} conversations ({report.events} events) from {describe(settings.conversations)}: "
        f"no activity for {days} days, since {when(report.cutoff)}"
    )


COMMANDS = [start, serve_one, run_worker, check, tracker]
