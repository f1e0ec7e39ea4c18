"""The `helpdesk` command line: each sub-command is a thin wrapper over one Python function."""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from typing import Callable, Sequence

from bot import doctor, rasa_client, serve, training
from bot.errors import HelpdeskError
from bot.settings import Settings


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    messages = rasa_client.send_message(settings, args.question, sender=args.sender)
    print(rasa_client.render_reply(messages))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    checks = doctor.run_checks(settings)
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.message}")
    return 0 if all(check.ok for check in checks) else 1


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    model, trained = training.ensure_model(settings)
    print(f"{'trained' if trained else 'up to date'}: {model}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    serve.serve(args.component, settings)


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """Build what is derived, then run every server under honcho until Ctrl-C."""
    cmd_train(args, settings)
    serve.check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
    serve.check_port_free("127.0.0.1", settings.action_port, "ACTION_PORT")
    print(f"helpdesk: the bot answers at {settings.rasa_url}/webhooks/rest/webhook "
          f"(try `.venv/bin/helpdesk ask \"hello\"` once it says it is up); Ctrl-C stops everything.")
    honcho = shutil.which("honcho", path=os.path.dirname(sys.executable))
    os.chdir(settings.root)
    os.execv(honcho, [honcho, "start", "-f", str(settings.root / "Procfile")])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Modica migration helpdesk bot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="send one question to the running bot and print its answer")
    ask.add_argument("question")
    ask.add_argument("--sender", default="cli", help="conversation id to use (default: cli)")
    ask.set_defaults(func=cmd_ask)

    sub.add_parser("doctor", help="check the set-up and the running servers").set_defaults(func=cmd_doctor)
    sub.add_parser("train", help="train the Rasa model if its inputs changed").set_defaults(func=cmd_train)

    srv = sub.add_parser("serve", help="run one server in the foreground (used by the Procfile)")
    srv.add_argument("component", choices=serve.COMPONENTS)
    srv.set_defaults(func=cmd_serve)

    sub.add_parser("start", help="build everything derived and run all servers (make run)").set_defaults(func=cmd_start)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return func(args, Settings.from_env())
    except HelpdeskError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
