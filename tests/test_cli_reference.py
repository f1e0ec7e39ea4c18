"""The README's command lines and `helpdesk --help` agree: every command the README shows exists, with the
options it uses, and every command is in the README."""

from __future__ import annotations

import re
import shlex

import click

from bot.cli import cli
from core.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SHOWN = [line.split("#")[0].strip() for line in re.findall(r"^\.venv/bin/helpdesk .*$", README, re.M)]


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command a command line names, and the words left for it (its options and arguments)."""
    command: click.Command = cli
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        command, words = command.commands[words[0]], words[1:]
    if isinstance(command, click.Group) and getattr(command, "default_cmd_name", None):
        command = command.commands[command.default_cmd_name]  # e.g. `helpdesk escalations --open`
    return command, words


def test_the_readme_shows_command_lines():
    assert len(SHOWN) >= 20


def test_every_command_line_in_the_readme_names_a_command_and_its_real_options():
    wrong = []
    for line in SHOWN:
        words = shlex.split(re.sub(r"\[([^\]]*)\]", r"\1", line))[1:]  # [--json]: an optional part, shown
        command, rest = resolve(words)
        if isinstance(command, click.Group):
            wrong.append(f"{line}: names a group, not a command")
            continue
        known = {name for param in command.params for name in param.opts}
        wrong += [
            f"{line}: {word} is not an option of it" for word in rest if word.startswith("-") and word not in known
        ]
    assert wrong == []


def test_every_command_is_in_the_readme():
    names = set()
    for name, command in cli.commands.items():
        if not isinstance(command, click.Group):
            names.add(name)
            continue
        default = getattr(command, "default_cmd_name", None)  # `helpdesk status` shows `status show`
        names |= {name if sub == default else f"{name} {sub}" for sub in command.commands}
    missing = sorted(name for name in names if not re.search(rf"helpdesk {name}\b", README))
    assert missing == []
