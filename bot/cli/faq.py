"""helpdesk faq: the FAQ knowledge base (build, list, search, add, eval)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.common import with_settings
from bot.table import format_table
from core.settings import PROJECT_ROOT, Settings
from faq_index import evaluate, index, search

DEV_SET = PROJECT_ROOT / "tests" / "data" / "faq_dev.yml"


@click.group()
def faq() -> None:
    """The FAQ knowledge base: build, list, search, add, eval.

    \b
    Example:
        helpdesk faq add path/to/new.md && helpdesk train
    """


def print_build_report(report: index.BuildReport) -> None:
    rows = [
        (d.file, d.title, d.status, d.entries, "parsed" if d.reparsed else "unchanged", d.reason)
        for d in report.documents
    ]
    click.echo(format_table(("document", "title", "status", "entries", "this build", "why"), rows))
    click.echo(
        f"{report.entries} entries indexed from {sum(d.status == 'indexed' for d in report.documents)} documents."
    )


@faq.command()
@with_settings
def build(settings: Settings) -> None:
    """Parse the FAQ documents and rebuild the index."""
    print_build_report(index.build_index(settings.faq_dir, settings.faq_db))


@faq.command(name="add")
@click.argument("path", type=click.Path(path_type=Path))
@with_settings
def add_document(settings: Settings, path: Path) -> None:
    """Copy a new document into the FAQ folder and rebuild.

    \b
    Example:
        helpdesk faq add ~/Downloads/voice-migration.html
    """
    print_build_report(index.add_document(path, settings.faq_dir, settings.faq_db))


@faq.command(name="list")
@with_settings
def list_entries(settings: Settings) -> None:
    """List the indexed entries."""
    rows = [(e["id"], e["file"], e["kind"], e["question"]) for e in index.list_entries(settings.faq_db)]
    click.echo(format_table(("id", "document", "kind", "question"), rows))


@faq.command(name="search")
@click.argument("query")
@click.option("-k", type=click.IntRange(1, 50), default=5, show_default=True, help="How many matches.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@with_settings
def search_faq(settings: Settings, query: str, k: int, as_json: bool) -> None:
    """Search the FAQ index.

    \b
    Example:
        helpdesk faq search "rolback plan" -k 3
    """
    result = search.search(settings.faq_db, query, k=k)
    if as_json:
        click.echo(json.dumps(search.result_to_json(result), indent=2))
        return
    for note in result.notes:
        click.echo(f"({note})")
    if not result.good:
        click.echo("no good match")
    for rank, hit in enumerate(result.hits if result.good else (), start=1):
        click.echo(f"{rank}. [{hit.score:.2f}] {hit.question}  ({hit.title}; {hit.file})")
        click.echo(f"   {'; '.join(hit.reasons)}")


@faq.command(name="eval")
@click.option(
    "--set",
    "--dev-set",
    "question_set",
    type=click.Path(path_type=Path),
    default=DEV_SET,
    metavar="FILE",
    help="Labelled questions, either format (default: tests/data/faq_dev.yml).",
)
@with_settings
def evaluate_search(settings: Settings, question_set: Path) -> None:
    """Top-1/top-3 accuracy of the search on a labelled question set."""
    report = evaluate.evaluate(search.searcher_for(settings.faq_db), evaluate.load_questions(question_set))
    click.echo("\n".join(report.lines()))


COMMANDS = [faq]
