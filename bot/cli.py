"""The `helpdesk` command line: each sub-command is a thin wrapper over one Python function."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import timedelta
from pathlib import Path
from typing import Callable, Sequence

from bot import (
    curated,
    customer_contacts,
    doctor,
    escalations,
    evaluation,
    notices,
    oncall,
    phase_status,
    rasa_client,
    retention,
    review,
    schedule,
    serve,
    training,
    worker,
)
from bot.settings import PROJECT_ROOT, Settings
from bot.status_replies import STATUS_HEADERS, status_rows, when
from bot.table import format_table
from core.clock import Clock, parse_instant
from core.errors import HelpdeskError
from core.quiet import quiet_third_party_warnings
from core.schema import state_database
from faq_index import evaluate, index, search

DEV_SET = PROJECT_ROOT / "tests" / "data" / "faq_dev.yml"


def print_build_report(report: index.BuildReport) -> None:
    rows = [
        (d.file, d.title, d.status, d.entries, "parsed" if d.reparsed else "unchanged", d.reason)
        for d in report.documents
    ]
    print(format_table(("document", "title", "status", "entries", "this build", "why"), rows))
    print(f"{report.entries} entries indexed from {sum(d.status == 'indexed' for d in report.documents)} documents.")


def cmd_faq_build(args: argparse.Namespace, settings: Settings) -> int:
    print_build_report(index.build_index(settings.faq_dir, settings.faq_db))
    return 0


def cmd_faq_add(args: argparse.Namespace, settings: Settings) -> int:
    print_build_report(index.add_document(Path(args.path), settings.faq_dir, settings.faq_db))
    return 0


def cmd_faq_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = [(e["id"], e["file"], e["kind"], e["question"]) for e in index.list_entries(settings.faq_db)]
    print(format_table(("id", "document", "kind", "question"), rows))
    return 0


def cmd_faq_search(args: argparse.Namespace, settings: Settings) -> int:
    result = search.search(settings.faq_db, args.query, k=args.k)
    if args.json:
        print(json.dumps(search.result_to_json(result), indent=2))
        return 0
    for note in result.notes:
        print(f"({note})")
    if not result.good:
        print("no good match")
    for rank, hit in enumerate(result.hits if result.good else (), start=1):
        print(f"{rank}. [{hit.score:.2f}] {hit.question}  ({hit.title}; {hit.file})")
        print(f"   {'; '.join(hit.reasons)}")
    return 0


def cmd_faq_eval(args: argparse.Namespace, settings: Settings) -> int:
    searcher = search.searcher_for(settings.faq_db)
    report = evaluate.evaluate(searcher, evaluate.load_questions(Path(args.dev_set)))
    print("\n".join(report.lines()))
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    messages = rasa_client.send_message(settings, args.question, sender=args.sender)
    print(rasa_client.render_reply(messages))
    return 0


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    checks = doctor.run_checks(settings)
    for check in checks:
        print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.message}")
    return 0 if all(check.ok for check in checks) else 1


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.seeds:
        paths = [Path(p) for p in args.sets or (evaluation.DEV_SET, evaluation.HELD_OUT_SET)]
        seeds = list(evaluation.SEEDS[: args.seeds])
        print(
            f"helpdesk: training {len(seeds)} models (seeds {', '.join(map(str, seeds))}), a few minutes each",
            file=sys.stderr,
        )
        report = evaluation.evaluate_seeds(settings, seeds, paths, progress=sys.stderr)
        print(json.dumps(report.to_json(), indent=2) if args.json else "\n".join(report.lines()))
        return 0
    paths = [Path(p) for p in args.sets or (evaluation.DEV_SET,)]
    model, reports = evaluation.evaluate_sets(settings, paths)
    if args.json:
        print(json.dumps({"model": model.name, "sets": [report.to_json() for report in reports]}, indent=2))
        return 0
    print(f"The bot with {model.name} (REST channel, servers of its own; each question in a new conversation):")
    for report in reports:
        print("\n".join(report.lines()))
    return 0


def seed_count(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= len(evaluation.SEEDS):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seeds from 1 to {len(evaluation.SEEDS)}")
    return int(text)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    status = phase_status.snapshot(settings)
    print(f"As of {when(status.now)}")
    print(format_table(STATUS_HEADERS, status_rows(status.states)))
    return 0


def cmd_status_set(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        phase = schedule.find_phase(schedule.load_migrations(settings.faq_db), args.phase)
        until = parse_instant(args.until, setting="--until") if args.until else None
        start = parse_instant(args.start, setting="--start") if args.start else None
        now = settings.clock.now()
        phase_status.report(db, phase, args.state, now, by=args.by, note=args.note, until=until, start=start)
        print(f"recorded: {phase.label} ({phase.migration}) {args.state}" + (f" until {when(until)}" if until else ""))
        return 0


def cmd_status_history(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        rows = [
            (e["at"], e["phase"], e["state"], e["start"] or "", e["until"] or "", e["by"], e["note"])
            for e in phase_status.history(db)
        ]
        print(format_table(("at (UTC)", "phase", "state", "start", "until", "by", "note"), rows))
        return 0


def cmd_status_notices(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        now = settings.clock.now()
        migrations = schedule.load_migrations(settings.faq_db)
        found = (
            notices.notices_due(db, migrations, now) if args.due else notices.schedule_of_notices(db, migrations, now)
        )
        print(format_table(("due", "key", "notice"), [(when(n.due), n.key, n.text) for n in found]))
        return 0


def cmd_escalations(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        rows = [
            (
                e.ref,
                e.status,
                e.priority,
                e.contact.get("contact_name", ""),
                e.contact.get("company", ""),
                when(e.created_at),
                e.summary[:60],
            )
            for e in escalations.listing(db, open_only=args.open)
        ]
        print(format_table(("ref", "status", "priority", "name", "company", "created", "summary"), rows))
        return 0


def cmd_escalation_show(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        case = escalations.get(db, args.ref)
        print(f"{case.ref}  {case.status}  priority {case.priority}  conversation {case.conversation_id}")
        for key, value in case.contact.items():
            print(f"  {key}: {value}")
        print(f"  summary: {case.summary}")
        print("history:")
        for event in escalations.history(db, case.ref):
            print(
                f"  {event['at']}  {event['what']}"
                + (f" by {event['by']}" if event["by"] else "")
                + (f": {event['detail']}" if event["detail"] else "")
            )
        print("transcript:")
        for line in case.transcript:
            print(f"  {line['from']}: {line['text']}")
        return 0


def cmd_escalation_change(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        change = escalations.acknowledge if args.escalation_command == "ack" else escalations.resolve
        case = change(db, args.ref, args.by, settings.clock.now())
        print(f"{case.ref} is {case.status}")
        return 0


def cmd_oncall(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        rota = oncall.current_rota(db)
        rows = [(n, step.role, step.name, step.slack_user, step.phone) for n, step in enumerate(rota.steps, start=1)]
        print(format_table(("step", "role", "name", "slack user", "phone"), rows))
        print(
            f"An unacknowledged page moves to the next step after {int(rota.ack_timeout.total_seconds() // 60)} minutes."
        )
        return 0


def cmd_oncall_set(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        rota = oncall.change_step(db, args.step, args.name, args.slack_user, args.phone, args.by, settings.clock.now())
        step = rota.steps[args.step - 1]
        print(f"step {args.step} ({step.role}) is now {step.name} ({step.slack_user}, {step.phone})")
        return 0


def cmd_contacts(args: argparse.Namespace, settings: Settings) -> int:
    with state_database(settings.state_db) as db:
        rows = [(c.company, c.name, c.phone, c.email, when(c.saved_at)) for c in customer_contacts.listing(db)]
        print(format_table(("company", "on-call engineer", "phone", "email", "saved"), rows))
        return 0


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not args.once:
        serve.configure_logging()
        worker.run(settings)
        return 0
    report = worker.run_round(settings, settings.clock.now())
    for ref in report.paged_next_step:
        print(f"{ref}: not acknowledged in time, paged the next step")
    for ref in report.told_page_failed:
        print(f"{ref}: the first page has not gone out; the customer is told to ring")
    for key in report.notices_queued:
        print(f"notice queued: {key}")
    for key in report.delivered:
        print(f"delivered: {key}")
    for key, error in report.failed:
        print(f"not delivered (will retry): {key}: {error}")
    return 0


def cmd_tracker_prune(args: argparse.Namespace, settings: Settings) -> int:
    days = args.days or settings.tracker_retention_days
    # The real time, not HELPDESK_NOW: Rasa stamps the events with the real time.
    report = retention.prune_tracker(settings.tracker_db, timedelta(days=days), Clock().now())
    print(
        f"deleted {report.conversations} conversations ({report.events} events) from {settings.tracker_db}: "
        f"no activity for {days} days, since {when(report.cutoff)}"
    )
    return 0


def days_argument(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= 36500:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days from 1 to 36500")
    return int(text)


def cmd_review(args: argparse.Namespace, settings: Settings) -> int:
    # The real time, not HELPDESK_NOW: Rasa stamps the events with the real time.
    items = review.review(settings, timedelta(days=args.since), Clock().now())[: args.limit]
    if args.json:
        print(json.dumps([item.to_json() for item in items], indent=2))
        return 0
    rows = [
        (
            item.count,
            item.last_asked.strftime("%Y-%m-%d %H:%M"),
            _shorten(item.text, 70),
            ", ".join(item.reasons),
            item.did,
            " / ".join(item.picked),
            item.conversation,
        )
        for item in items
    ]
    print(format_table(("count", "last (UTC)", "question", "why", "the bot", "picked", "conversation"), rows))
    print(
        f"{len(items)} groups of questions that went badly in the last {args.since} days; teach one with "
        '`helpdesk teach "question" TARGET`.'
    )
    return 0


def _shorten(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def cmd_teach(args: argparse.Namespace, settings: Settings) -> int:
    taught = curated.teach(settings, args.question, args.target, args.by, settings.clock.now())
    shown = taught.path.relative_to(settings.root) if taught.path.is_relative_to(settings.root) else taught.path
    print(
        f"taught {taught.text!r} as {taught.intent}"
        + (f" ({taught.question})" if taught.question else "")
        + f" in {shown}; `helpdesk train` retrains with it."
    )
    return 0


def count_argument(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1")
    return int(text)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    changed = training.generate_training_data(settings)
    print(f"training data {training.GENERATED_NLU}: {'regenerated' if changed else 'up to date'}")
    model, trained = training.ensure_model(settings)
    print(f"{'trained' if trained else 'up to date'}: {model}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    serve.serve(args.component, settings)
    return 0


def cmd_start(args: argparse.Namespace, settings: Settings) -> int:
    """Build what is derived, then run every server until Ctrl-C."""
    cmd_train(args, settings)
    serve.check_port_free(settings.rasa_host, settings.rasa_port, "RASA_PORT")
    serve.check_port_free("127.0.0.1", settings.action_port, "ACTION_PORT")
    serve.check_port_free("127.0.0.1", settings.web_port, "WEB_PORT")
    print(
        f"helpdesk: the website chat is at http://127.0.0.1:{settings.web_port}/ and the bot answers at "
        f'{settings.rasa_url}/webhooks/rest/webhook (or `.venv/bin/helpdesk ask "hello"`); Ctrl-C stops everything.'
    )
    return serve.start_all(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="helpdesk", description="Modica migration helpdesk bot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="send one question to the running bot and print its answer")
    ask.add_argument("question")
    ask.add_argument("--sender", default="cli", help="conversation id to use (default: cli)")
    ask.set_defaults(func=cmd_ask)

    sub.add_parser("doctor", help="check the set-up and the running servers").set_defaults(func=cmd_doctor)
    status = sub.add_parser("status", help="the migrations' phases, windows and state now (set, history)")
    status.set_defaults(func=cmd_status)
    status_sub = status.add_subparsers(dest="status_command", metavar="STATUS_COMMAND")
    status_set = status_sub.add_parser("set", help="report a phase's state (kept in the history)")
    status_set.add_argument("phase", help="phase number (most recent migration), MIGRATION:N, or part of its name")
    status_set.add_argument("state", help="one of: " + ", ".join(phase_status.STATES))
    status_set.add_argument("--until", help="new end (extended, delayed): ISO 8601 with Z or an offset")
    status_set.add_argument("--start", help="new start (delayed): ISO 8601 with Z or an offset")
    status_set.add_argument("--note", default="", help="what customers and staff should know")
    status_set.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who reports it")
    status_set.set_defaults(func=cmd_status_set)
    status_sub.add_parser("history", help="every report, oldest first").set_defaults(func=cmd_status_history)
    status_notices = status_sub.add_parser("notices", help="the maintenance notices for the Slack updates channel")
    status_notices.add_argument("--due", action="store_true", help="only those due now and not queued yet")
    status_notices.set_defaults(func=cmd_status_notices)

    esc = sub.add_parser("escalations", help="urgent cases handed to the on-call engineer (show, ack, resolve)")
    esc.add_argument("--open", action="store_true", help="only those not resolved")
    esc.set_defaults(func=cmd_escalations)
    esc_sub = esc.add_subparsers(dest="escalation_command", metavar="ESCALATION_COMMAND")
    esc_show = esc_sub.add_parser("show", help="one escalation: contact, history and transcript")
    esc_show.add_argument("ref", help="e.g. ESC-0042")
    esc_show.set_defaults(func=cmd_escalation_show)
    for name, verb in (("ack", "acknowledge"), ("resolve", "resolve")):
        change = esc_sub.add_parser(name, help=f"{verb} an escalation")
        change.add_argument("ref", help="e.g. ESC-0042")
        change.add_argument("--by", required=True, help="who does it")
        change.set_defaults(func=cmd_escalation_change)
    on_call = sub.add_parser("oncall", help="the on-call rota: who is paged, in order (set: change a step)")
    on_call.set_defaults(func=cmd_oncall)
    oncall_sub = on_call.add_subparsers(dest="oncall_command", metavar="ONCALL_COMMAND")
    oncall_set = oncall_sub.add_parser("set", help="put someone else on a step of the rota")
    oncall_set.add_argument("step", type=int, help="1 = primary, 2 = secondary, ...")
    oncall_set.add_argument("name")
    oncall_set.add_argument("--slack-user", default="", help="their Slack user ID (default: keep the step's)")
    oncall_set.add_argument("--phone", default="", help="their phone (default: keep the step's)")
    oncall_set.add_argument("--by", required=True, help="who makes the change")
    oncall_set.set_defaults(func=cmd_oncall_set)
    sub.add_parser("contacts", help="customers' own on-call engineers, as they gave them to the bot").set_defaults(
        func=cmd_contacts
    )
    work = sub.add_parser(
        "worker", help="page the next step when a page is unanswered, queue notices, deliver to chats"
    )
    work.add_argument("--once", action="store_true", help="one round now (HELPDESK_NOW applies), then exit")
    work.set_defaults(func=cmd_worker)
    tracker = sub.add_parser("tracker", help="Rasa's conversation store (prune: delete silent conversations)")
    tracker_sub = tracker.add_subparsers(dest="tracker_command", required=True, metavar="TRACKER_COMMAND")
    prune = tracker_sub.add_parser("prune", help="delete the conversations with no message for DAYS days, now")
    prune.add_argument("--days", type=days_argument, help="default: HELPDESK_TRACKER_RETENTION_DAYS (90)")
    prune.set_defaults(func=cmd_tracker_prune)

    bot_eval = sub.add_parser(
        "eval", help="score the real bot (servers of its own, trained if needed) on labelled question sets"
    )
    bot_eval.add_argument(
        "--set",
        "--dev-set",
        dest="sets",
        action="append",
        metavar="FILE",
        help="a question set; repeat for several (default: tests/data/eval_dev.yml; "
        "with --seeds, eval_dev.yml and eval_holdout.yml)",
    )
    bot_eval.add_argument(
        "--seeds",
        type=seed_count,
        metavar="N",
        help="train N models with different training seeds and give each figure's min/mean/max",
    )
    bot_eval.add_argument("--json", action="store_true", help="print the results as JSON")
    bot_eval.set_defaults(func=cmd_eval)
    sub.add_parser(
        "train", help="rebuild the FAQ index and generated NLU data, then train the Rasa model if its inputs changed"
    ).set_defaults(func=cmd_train)
    bot_review = sub.add_parser(
        "review",
        help="customers' questions that went badly (refused, choices, narrow answers, "
        "another button picked), similar ones grouped, newest first",
    )
    bot_review.add_argument(
        "--since",
        type=days_argument,
        default=7,
        metavar="DAYS",
        help="questions asked in the last DAYS days (default 7)",
    )
    bot_review.add_argument("--limit", type=count_argument, metavar="N", help="only the N newest groups")
    bot_review.add_argument("--json", action="store_true", help="print the groups as JSON")
    bot_review.set_defaults(func=cmd_review)
    bot_teach = sub.add_parser(
        "teach",
        help="add a customer's question to data/nlu/curated.yml as an example of the "
        "reply it should get (then `helpdesk train`)",
    )
    bot_teach.add_argument("question", help="the customer's words")
    bot_teach.add_argument(
        "target", help="an FAQ entry id (`helpdesk faq list`), or one of: " + ", ".join(curated.TARGETS)
    )
    bot_teach.add_argument("--by", default=os.environ.get("USER", "unknown"), help="who teaches it (default: $USER)")
    bot_teach.set_defaults(func=cmd_teach)

    srv = sub.add_parser("serve", help="run one server in the foreground (make run starts each under one supervisor)")
    srv.add_argument("component", choices=serve.COMPONENTS)
    srv.set_defaults(func=cmd_serve)

    faq = sub.add_parser("faq", help="the FAQ knowledge base: build, list, search, add, eval")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="FAQ_COMMAND")
    faq_sub.add_parser("build", help="parse the FAQ documents and rebuild the index").set_defaults(func=cmd_faq_build)
    faq_sub.add_parser("list", help="list the indexed entries").set_defaults(func=cmd_faq_list)
    faq_search = faq_sub.add_parser("search", help="search the FAQ index")
    faq_search.add_argument("query")
    faq_search.add_argument("-k", type=int, default=5, help="how many matches (default 5)")
    faq_search.add_argument("--json", action="store_true", help="print the result as JSON")
    faq_search.set_defaults(func=cmd_faq_search)
    faq_add = faq_sub.add_parser("add", help="copy a new document into the FAQ folder and rebuild")
    faq_add.add_argument("path")
    faq_add.set_defaults(func=cmd_faq_add)
    faq_eval = faq_sub.add_parser("eval", help="top-1/top-3 accuracy of the search on a labelled question set")
    faq_eval.add_argument(
        "--dev-set",
        "--set",
        dest="dev_set",
        default=str(DEV_SET),
        metavar="FILE",
        help="labelled questions, either format (default: tests/data/faq_dev.yml)",
    )
    faq_eval.set_defaults(func=cmd_faq_eval)

    sub.add_parser("start", help="build everything derived and run all servers (make run)").set_defaults(func=cmd_start)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    quiet_third_party_warnings()
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace, Settings], int] = args.func
    try:
        return func(args, Settings.from_env())
    except HelpdeskError as exc:
        print(f"helpdesk: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last edge: a bug still gets one line, not a traceback
        if os.environ.get("HELPDESK_DEBUG"):
            raise
        print(f"helpdesk: unexpected {type(exc).__name__}: {exc} (set HELPDESK_DEBUG=1 for details)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
