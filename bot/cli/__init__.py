"""The `helpdesk` command line, in click groups by domain (faq, status, escalations, oncall, answers, ops).

Each command is a thin wrapper over one Python function that tests call directly; its options sit beside
it. Errors are caught here, at the edge: a HelpdeskError is one line on stderr and exit status 1.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

import click

from bot.cli import answers, escalation, faq, ops, status
from core.errors import HelpdeskError
from core.quiet import quiet_third_party_warnings


@click.group(context_settings={"help_option_names": ["-h", "--help"], "terminal_width": 110, "max_content_width": 110})
def cli() -> None:
    """Modica migration helpdesk bot.

    \b
    Example:
        helpdesk start                 # what `make run` does
        helpdesk ask "is the API down right now?"
        helpdesk status set 2 extended --until 2020-09-09T02:00+12:00 --by alice
    """


for module in (answers, faq, status, escalation, ops):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns its exit status (0 ok, 1 a HelpdeskError, 2 a usage error or a bug)."""
    quiet_third_party_warnings()
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="helpdesk", standalone_mode=False)
    except HelpdeskError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return 1
    except click.exceptions.Abort:
        return 130
    except click.ClickException as exc:  # a usage error: click's message and the usage line
        exc.show()
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last edge: a bug still gets one line, not a traceback
        if os.environ.get("HELPDESK_DEBUG"):
            raise
        print(f"helpdesk: unexpected {type(exc).__name__}: {exc} (set HELPDESK_DEBUG=1 for details)", file=sys.stderr)
        return 2
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
