"""helpdesk ask, train, eval, review, teach: the answers, how well they do, and learning from conversations."""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from pathlib import Path

import click

from bot.answers import curated, evaluation, review, training
from bot.cli.common import COUNT, DAYS, shorten, with_settings
from bot.ops import rasa_client
from bot.table import format_table
from core.clock import Clock
from core.settings import Settings


@click.command()
@click.argument("question")
@click.option("--sender", default="cli", show_default=True, help="The conversation id to use.")
@with_settings
def ask(settings: Settings, question: str, sender: str) -> None:
    """Send one QUESTION to the running bot and print its answer.

    \b
    Example:
        helpdesk ask "when is phase 2?"
    """
    click.echo(rasa_client.render_reply(rasa_client.send_message(settings, question, sender=sender)))


@click.command()
@with_settings
def train(settings: Settings) -> None:
    """Rebuild the FAQ index and generated NLU data, then train the Rasa model if its inputs changed."""
    train_model(settings)


def train_model(settings: Settings) -> None:
    changed = training.generate_training_data(settings)
    click.echo(f"training data {training.GENERATED_NLU}: {'regenerated' if changed else 'up to date'}")
    model, trained = training.ensure_model(settings)
    click.echo(f"{'trained' if trained else 'up to date'}: {model}")


@click.command(name="eval")
@click.option(
    "--set",
    "--dev-set",
    "sets",
    multiple=True,
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="A question set; repeat for several (default: tests/data/eval_dev.yml; with --seeds, "
    "eval_dev.yml and eval_holdout.yml).",
)
@click.option(
    "--seeds",
    type=click.IntRange(1, len(evaluation.SEEDS)),
    metavar="N",
    help="Train N models with different training seeds and give each figure's min/mean/max.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_settings
def evaluate_bot(settings: Settings, sets: tuple[Path, ...], seeds: int | None, as_json: bool) -> None:
    """Score the real bot (servers of its own, trained if needed) on labelled question sets.

    \b
    Example:
        helpdesk eval --seeds 5 --json
    """
    if seeds:
        paths = list(sets) or [evaluation.DEV_SET, evaluation.HELD_OUT_SET]
        chosen = list(evaluation.SEEDS[:seeds])
        click.echo(
            f"helpdesk: training {len(chosen)} models (seeds {', '.join(map(str, chosen))}), a few minutes each",
            err=True,
        )
        report = evaluation.evaluate_seeds(settings, chosen, paths, progress=sys.stderr)
        click.echo(json.dumps(report.to_json(), indent=2) if as_json else "\n".join(report.lines()))
        return
    model, reports = evaluation.evaluate_sets(settings, list(sets) or [evaluation.DEV_SET])
    if as_json:
        click.echo(json.dumps({"model": model.name, "sets": [report.to_json() for report in reports]}, indent=2))
        return
    click.echo(f"The bot with {model.name} (REST channel, servers of its own; each question in a new conversation):")
    for report in reports:
        click.echo("\n".join(report.lines()))


@click.command(name="review")
@click.option(
    "--since", type=DAYS, default=7, show_default=True, metavar="DAYS", help="Questions of the last DAYS days."
)
@click.option("--limit", type=COUNT, metavar="N", help="Only the N newest groups.")
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
@with_settings
def review_questions(settings: Settings, since: int, limit: int | None, as_json: bool) -> None:
    """Customers' questions that went badly (refused, choices, narrow answers, another button picked, rated
    down), similar ones grouped, newest first.

    \b
    Example:
        helpdesk review --since 30 --limit 10
    """
    # The real time, not HELPDESK_NOW: Rasa stamps the events with the real time.
    items = review.review(settings, timedelta(days=since), Clock().now())[:limit]
    if as_json:
        click.echo(json.dumps([item.to_json() for item in items], indent=2))
        return
    rows = [
        (
            item.count,
            item.last_asked.strftime("%Y-%m-%d %H:%M"),
            shorten(item.text, 70),
            ", ".join(item.reasons),
            item.did,
            " / ".join(item.picked),
            item.conversation,
        )
        for item in items
    ]
    click.echo(format_table(("count", "last (UTC)", "question", "why", "the bot", "picked", "conversation"), rows))
    click.echo(
        f"{len(items)} groups of questions that went badly in the last {since} days; teach one with "
        '`helpdesk teach "question" TARGET`.'
    )


@click.command()
@click.argument("question")
@click.argument("target")
@click.option("--by", default=os.environ.get("USER", "unknown"), show_default="$USER", help="Who teaches it.")
@with_settings
def teach(settings: Settings, question: str, target: str, by: str) -> None:
    """Add a customer's QUESTION to data/nlu/curated.yml as an example of the reply it should get (then
    `helpdesk train`). TARGET is an FAQ entry id (`helpdesk faq list`), or one of: status, contact, escalate,
    out_of_scope.

    \b
    Example:
        helpdesk teach "is omni back yet" status --by alice
    """
    taught = curated.teach(settings, question, target, by, settings.clock.now())
    shown = taught.path.relative_to(settings.root) if taught.path.is_relative_to(settings.root) else taught.path
    click.echo(
        f"taught {taught.text!r} as {taught.intent}"
        + (f" ({taught.question})" if taught.question else "")
        + f" in {shown}; `helpdesk train` retrains with it."
    )


COMMANDS = [ask, train, evaluate_bot, review_questions, teach]
