"""`helpdesk eval`: labelled question sets through the real bot, each question in a conversation of its own,
scored by what the bot did (read from the conversation's tracker) against the replies the question accepts.

A reply is right when it is one the question accepts (faq_index/evaluate.py describes the sets):
- an FAQ entry: action_answer_faq answered with that entry's whole answer text;
- "status": action_live_status answered, and its reply contains every `says` fragment (case-insensitive);
- "escalation": the bot offered the on-call engineer (utter_offer_engineer) or started the escalation form;
- "contact": the customer-contact form started;
- "none": a refusal with no FAQ content and no buttons (out of scope, "I don't know", Rasa's fallback).
Questions asked `at` an instant are asked with the action server's clock there (HELPDESK_NOW), one restart of
the action server per instant. `evaluate_seeds` trains the same project with other training seeds.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Iterable

from bot.answers.faq import entry_of_payload
from bot.answers.training import current_model, ensure_model, generate_training_data
from bot.ops.local_bot import LocalBot, private_env
from core.settings import PROJECT_ROOT, Settings
from faq_index.evaluate import (
    CONTACT,
    ESCALATION,
    NONE,
    STATUS,
    EvalReport,
    Labelled,
    evaluate,
    label_of,
    load_questions,
)
from faq_index.search import searcher_for
from faq_index.training_data import response_text

DEV_SET = PROJECT_ROOT / "tests" / "data" / "eval_dev.yml"
HELD_OUT_SET = PROJECT_ROOT / "tests" / "data" / "eval_holdout.yml"
SEEDS = (42, 1, 2, 3, 7, 11, 13, 17, 19, 23)  # 42 is config.yml's own

# What the bot did, from the actions after the question (domain.yml, data/rules.yml).
ENTRY, CHOICES, FAILED, OTHER = "entry", "choices", "failed", "other"
CONTENT_KINDS = frozenset({ENTRY, STATUS, ESCALATION, CONTACT})  # a reply that tells the customer something
CONTACT_ACTIONS = frozenset({"customer_contact_form", "action_save_customer_contact"})
ESCALATION_ACTIONS = frozenset({"utter_offer_engineer", "escalation_form", "action_create_escalation"})
REFUSAL_ACTIONS = frozenset({"action_out_of_scope", "utter_out_of_scope", "action_default_fallback", "utter_default"})
FAILURE_RESPONSES = frozenset(
    {"utter_action_failed", "utter_something_went_wrong", "utter_faq_unavailable", "utter_status_unavailable"}
)
IGNORED_ACTIONS = frozenset({"action_listen", "action_session_start"})


@dataclass(frozen=True)
class Entries:
    """The FAQ entries as the bot says them: label and reply text per entry id."""

    labels: dict[str, str]
    replies: dict[str, str]

    @classmethod
    def of_index(cls, faq_db: Path) -> "Entries":
        by_id = searcher_for(faq_db).by_id
        return cls(
            {i: label_of(e.file, e.question) for i, e in by_id.items()},
            {i: response_text(e.answer, e.title) for i, e in by_id.items()},
        )


@dataclass(frozen=True)
class Outcome:
    """What the bot did with one message."""

    kind: str  # ENTRY, CHOICES, STATUS, ESCALATION, CONTACT, NONE (refused), FAILED or OTHER
    actions: tuple[str, ...]  # the actions run after the message, in order
    text: str  # everything the bot said
    entry: str | None = None  # the label of the entry answered
    offered: tuple[str, ...] = ()  # the labels of the entries its buttons offer

    def describe(self) -> str:
        if self.kind == ENTRY:
            return str(self.entry)
        if self.kind == CHOICES:
            return "choices: " + " / ".join(self.offered)
        if self.kind == STATUS:
            return f"status: {_shorten(self.text)}"
        if self.kind == NONE:
            return "none (" + ", ".join(self.actions) + ")"
        return f"{self.kind} (" + ", ".join(self.actions) + ")"


def _fold(text: str) -> str:
    return " ".join(text.split())


def _shorten(text: str, most: int = 140) -> str:
    text = _fold(text)
    return text if len(text) <= most else text[: most - 1] + "…"


def answered_entry(replies: list[dict], answers: dict[str, str]) -> str | None:
    """The FAQ entry the bot answered with: the one whose whole answer text is in a reply (the longest, when
    one entry's text holds another's)."""
    # Rasa's channels split a reply at blank lines, so compare with white space folded.
    text = _fold(" ".join(reply.get("text") or "" for reply in replies))
    found = [(len(answer), entry_id) for entry_id, answer in answers.items() if _fold(answer) in text]
    return max(found)[1] if found else None


def offered_entries(replies: list[dict]) -> set[str]:
    """The FAQ entries the bot's buttons offer."""
    payloads = (button.get("payload") or "" for reply in replies for button in reply.get("buttons") or [])
    return {entry for entry in map(entry_of_payload, payloads) if entry}


def events_after_question(tracker: dict) -> list[dict]:
    """The events after the conversation's last user message."""
    events = tracker.get("events") or []
    last = max((n for n, event in enumerate(events) if event.get("event") == "user"), default=-1)
    return events[last + 1 :]


def what_the_bot_did(tracker: dict, entries: Entries) -> Outcome:
    """Classify the bot's answer to a conversation's last message from its tracker (actions and bot messages)."""
    events = events_after_question(tracker)
    actions = tuple(e["name"] for e in events if e.get("event") == "action" and e.get("name") not in IGNORED_ACTIONS)
    loops = {e.get("name") for e in events if e.get("event") == "active_loop"}
    said = [e for e in events if e.get("event") == "bot"]
    replies = [{"text": e.get("text") or "", "buttons": (e.get("data") or {}).get("buttons") or []} for e in said]
    responses = {(e.get("metadata") or {}).get("utter_action") for e in said}
    text = "\n".join(reply["text"] for reply in replies)
    offered = tuple(sorted(entries.labels.get(i, i) for i in offered_entries(replies)))

    def outcome(kind: str, entry: str | None = None) -> Outcome:
        return Outcome(kind, actions, text, entry, offered)

    if responses & FAILURE_RESPONSES:
        return outcome(FAILED)
    if CONTACT_ACTIONS & set(actions) or "customer_contact_form" in loops:
        return outcome(CONTACT)
    if ESCALATION_ACTIONS & set(actions) or "escalation_form" in loops:
        return outcome(ESCALATION)
    if "action_live_status" in actions:
        return outcome(STATUS)
    if "action_answer_faq" in actions:
        entry_id = answered_entry(replies, entries.replies)
        if entry_id:
            return outcome(ENTRY, entries.labels[entry_id])
        return outcome(CHOICES if offered else NONE)
    if REFUSAL_ACTIONS & (set(actions) | responses):
        return outcome(NONE)
    return outcome(OTHER)


@dataclass(frozen=True)
class Scored:
    question: Labelled
    outcome: Outcome
    right: bool
    offered: bool  # not right, but an accepted entry is among the buttons
    missing: tuple[str, ...] = ()  # `says` fragments a status reply lacked

    @property
    def confidently_wrong(self) -> bool:
        """Answered with content that is not accepted: a wrong entry, a wrong live status, a form or the offer
        of the engineer when not accepted."""
        return not self.right and self.outcome.kind in CONTENT_KINDS

    def got(self) -> str:
        missing = f" (lacks {', '.join(repr(m) for m in self.missing)})" if self.missing else ""
        return self.outcome.describe() + missing


def score(question: Labelled, outcome: Outcome) -> Scored:
    missing: tuple[str, ...] = ()
    if outcome.kind == ENTRY:
        right = outcome.entry in question.accept
    elif outcome.kind == STATUS:
        folded = _fold(outcome.text).casefold()
        missing = tuple(fragment for fragment in question.says if _fold(fragment).casefold() not in folded)
        right = STATUS in question.accept and not missing
    else:
        right = outcome.kind in (ESCALATION, CONTACT, NONE) and outcome.kind in question.accept
    offered = not right and any(label in question.entries for label in outcome.offered)
    return Scored(question, outcome, right, offered, missing if STATUS in question.accept else ())


@dataclass
class SetReport:
    """One question set's results through the bot, with the search alone on the same questions beside them."""

    name: str
    results: list[Scored]
    search: EvalReport | None = None
    unknown_labels: tuple[str, ...] = ()  # accepted entries that name no entry in the index

    @property
    def questions(self) -> int:
        return len(self.results)

    def figures(self) -> dict[str, tuple[int, int]]:
        """(count, out of) per figure."""
        refusable = [s for s in self.results if NONE in s.question.accept]
        status = [s for s in self.results if STATUS in s.question.accept]
        n = self.questions
        return {
            "right": (sum(s.right for s in self.results), n),
            "right_or_offered": (sum(s.right or s.offered for s in self.results), n),
            "confidently_wrong": (sum(s.confidently_wrong for s in self.results), n),
            "out_of_scope_refused": (sum(s.outcome.kind == NONE for s in refusable), len(refusable)),
            "status_right": (sum(s.right for s in status), len(status)),
        }

    def by_category(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for s in self.results:
            counts[s.question.category][0] += s.right
            counts[s.question.category][1] += 1
        return {category: (right, total) for category, (right, total) in sorted(counts.items())}

    def status_results(self) -> list[Scored]:
        return [s for s in self.results if STATUS in s.question.accept]

    def misses(self) -> list[Scored]:
        return [s for s in self.results if not s.right]

    def lines(self) -> list[str]:
        f = self.figures()
        out = [
            f"{self.name} ({self.questions} questions):",
            f"  right: {_pct(*f['right'])}",
            f"  right or offered (the right entry among the buttons): {_pct(*f['right_or_offered'])}",
            f"  confidently wrong (a wrong entry, a wrong live status, a form or the engineer not asked for): "
            f"{_pct(*f['confidently_wrong'])}",
            f"  out-of-scope refused: {_pct(*f['out_of_scope_refused'])}",
            f"  live status right at its instant: {_pct(*f['status_right'])}",
            "  right by what the question accepts: "
            + ", ".join(f"{category} {right}/{total}" for category, (right, total) in self.by_category().items()),
        ]
        if self.unknown_labels:
            out.append(
                "  accepted entries that name no entry in the index (never right): " + "; ".join(self.unknown_labels)
            )
        if self.status_results():
            out.append("  status questions (instant, right?, question -> got):")
            out += [
                f"    {s.question.at or 'now'}  {'right' if s.right else 'WRONG'}  {s.question.text!r} -> {s.got()}"
                for s in self.status_results()
            ]
        if self.misses():
            out.append("  misses (question -> accepted | got):")
            out += [f"    {s.question.text!r} -> {' | '.join(s.question.accept)} | {s.got()}" for s in self.misses()]
        if self.search is not None:
            out.append("  the FAQ search alone on the same questions:")
            out += [f"    {line}" for line in self.search.lines()[:5]]
        return out

    def to_json(self) -> dict:
        return {
            "set": self.name,
            "questions": self.questions,
            "figures": {name: {"count": count, "of": total} for name, (count, total) in self.figures().items()},
            "by_category": {name: {"right": right, "of": total} for name, (right, total) in self.by_category().items()},
            "unknown_labels": list(self.unknown_labels),
            "status": [
                {
                    "text": s.question.text,
                    "at": s.question.at,
                    "right": s.right,
                    "missing": list(s.missing),
                    "got": s.got(),
                }
                for s in self.status_results()
            ],
            "misses": [
                {
                    "text": s.question.text,
                    "accept": list(s.question.accept),
                    "at": s.question.at,
                    "got": s.got(),
                    "kind": s.outcome.kind,
                    "confidently_wrong": s.confidently_wrong,
                    "offered": s.offered,
                }
                for s in self.misses()
            ],
            "search": None
            if self.search is None
            else {
                "in_scope": self.search.in_scope,
                "top1": self.search.top1,
                "top3": self.search.top3,
                "out_of_scope": self.search.out_of_scope,
                "refused": self.search.refused,
            },
        }


def _pct(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}% ({count}/{total})" if total else "n/a (0/0)"


def ask_all(bot: LocalBot, questions: list[Labelled], entries: Entries, run: str | None = None) -> list[Outcome]:
    """Each question in a conversation of its own; those with an instant with the action server's clock set
    there (one restart per instant), the others first, with the clock the bot was started with."""
    run = run or uuid.uuid4().hex[:10]
    by_instant: dict[str | None, list[int]] = defaultdict(list)
    for number, question in enumerate(questions):
        by_instant[question.at].append(number)
    undated_clock = bot.clock or None
    outcomes: dict[int, Outcome] = {}
    for instant in sorted(by_instant, key=lambda at: (at is not None, at or "")):
        bot.set_clock(instant or undated_clock)
        for number in by_instant[instant]:
            sender = f"helpdesk-eval-{run}-{number}"
            bot.ask(questions[number].text, sender=sender)
            outcomes[number] = what_the_bot_did(bot.tracker(sender), entries)
    bot.set_clock(undated_clock)
    return [outcomes[number] for number in range(len(questions))]


def evaluate_questions(bot: LocalBot, sets: dict[str, list[Labelled]]) -> list[SetReport]:
    """Every set through the running bot (all dated questions of all sets grouped by instant together)."""
    entries = Entries.of_index(bot.settings.faq_db)
    everything = [question for questions in sets.values() for question in questions]
    outcomes = iter(ask_all(bot, everything, entries))
    searcher = searcher_for(bot.settings.faq_db)
    known = set(entries.labels.values())
    reports = []
    for name, questions in sets.items():
        results = [score(question, next(outcomes)) for question in questions]
        unknown = tuple(sorted({label for q in questions for label in q.entries if label not in known}))
        reports.append(SetReport(name, results, evaluate(searcher, questions), unknown))
    return reports


def _load(paths: Iterable[Path]) -> dict[str, list[Labelled]]:
    return {_shown(path): load_questions(path) for path in paths}


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _train(settings: Settings, log: IO) -> Path:
    generate_training_data(settings)
    model, _ = ensure_model(settings, log=log)
    return model


def evaluate_sets(settings: Settings, paths: list[Path], log: IO = sys.stderr) -> tuple[Path, list[SetReport]]:
    """Train the model for the current training data if it is missing (as `helpdesk train` does), start the
    servers with it in a temporary folder on free ports, and score each set. Returns (model, reports)."""
    sets = _load(paths)
    model = _train(settings, log)
    with tempfile.TemporaryDirectory(prefix="helpdesk-eval-") as tmp:
        env = private_env(
            Path(tmp) / "var",
            HELPDESK_HOME=str(settings.root),
            HELPDESK_MODEL_DIR=str(settings.model_dir),
            HELPDESK_FAQ_DIR=str(settings.faq_dir),
        )
        with LocalBot(env, Path(tmp) / "logs") as bot:
            return model, evaluate_questions(bot, sets)


# Training seeds --------------------------------------------------------------------------------------------

TRAINING_INPUTS = ["config.yml", "domain.yml", "endpoints.yml", "credentials.yml", "data"]


def copy_training_inputs(root: Path, target: Path) -> Path:
    """Copy what `helpdesk train` reads from `root` into `target` (created), so that training there leaves the
    project's models and caches alone."""
    target.mkdir(parents=True)
    for name in TRAINING_INPUTS:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


def set_seed(project: Path, seed: int) -> int:
    """Give every component of `project`'s config.yml that takes `random_seed` this seed; returns how many."""
    config = project / "config.yml"
    text, count = re.subn(r"(random_seed:\s*)\d+", lambda m: f"{m.group(1)}{seed}", config.read_text(encoding="utf-8"))
    config.write_text(text, encoding="utf-8")
    return count


def evaluate_seed(
    settings: Settings, seed: int, sets: dict[str, list[Labelled]], workdir: Path, log: IO, source: Path | None = None
) -> list[SetReport]:
    """Train the project's training inputs (or those copied to `source`) with `seed` in a copy under `workdir`
    and score the sets with that model. The project's own model is reused when the seed is the one it was trained
    with; a pipeline without a random seed (each seed's model should then be the same) is trained afresh, so
    that the seeds' figures show it."""
    project = copy_training_inputs(source or settings.root, workdir / "project")
    seeded = set_seed(project, seed) > 0
    copy = Settings.from_env(
        {
            "HELPDESK_HOME": str(project),
            "HELPDESK_VAR_DIR": str(workdir / "var"),
            "HELPDESK_MODEL_DIR": str(workdir / "models"),
        }
    )
    generate_training_data(copy)
    cached = settings.model_dir / current_model(copy).name  # the same training inputs: the same model
    if seeded and cached.is_file():
        copy.model_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(cached, current_model(copy))
    ensure_model(copy, log=log)
    env = private_env(
        workdir / "var",
        HELPDESK_HOME=str(project),
        HELPDESK_MODEL_DIR=str(copy.model_dir),
        HELPDESK_FAQ_DIR=str(copy.faq_dir),
    )
    with LocalBot(env, workdir / "logs") as bot:
        return evaluate_questions(bot, sets)


@dataclass
class SeedReport:
    seeds: list[int]
    runs: dict[str, list[SetReport]] = field(default_factory=dict)  # set -> one report per seed

    def spread(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per set and figure: min, mean and max percentage over the seeds."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        for name, reports in self.runs.items():
            figures = [report.figures() for report in reports]
            out[name] = {}
            for figure in figures[0]:
                values = [100 * count / total if total else 0.0 for count, total in (f[figure] for f in figures)]
                out[name][figure] = {"min": min(values), "mean": statistics.mean(values), "max": max(values)}
        return out

    def lines(self) -> list[str]:
        out = [f"seeds {', '.join(map(str, self.seeds))}:"]
        for name, figures in self.spread().items():
            out.append(f"{name}:")
            for figure, values in figures.items():
                each = ", ".join(f"{r.figures()[figure][0]}/{r.figures()[figure][1]}" for r in self.runs[name])
                out.append(
                    f"  {figure.replace('_', ' ')}: min {values['min']:.1f}%, mean {values['mean']:.1f}%, "
                    f"max {values['max']:.1f}%  ({each})"
                )
        return out

    def to_json(self) -> dict:
        return {
            "seeds": self.seeds,
            "spread": self.spread(),
            "runs": {name: [r.to_json() for r in reports] for name, reports in self.runs.items()},
        }


def evaluate_seeds(
    settings: Settings, seeds: list[int], paths: list[Path], log: IO = sys.stderr, progress: IO | None = None
) -> SeedReport:
    """The same training data trained with each seed (in temporary copies of the project), each model scored
    on every set."""
    sets = _load(paths)
    report = SeedReport(list(seeds), {name: [] for name in sets})
    with tempfile.TemporaryDirectory(prefix="helpdesk-seeds-") as tmp:
        # One snapshot of the training inputs, so that every seed trains on the same data even while they are edited.
        source = copy_training_inputs(settings.root, Path(tmp) / "inputs")
        for seed in seeds:
            results = evaluate_seed(settings, seed, sets, Path(tmp) / f"seed-{seed}", log, source)
            for result in results:
                report.runs[result.name].append(result)
            if progress:
                print(
                    f"seed {seed}: " + "; ".join(f"{r.name} right {_pct(*r.figures()['right'])}" for r in results),
                    file=progress,
                    flush=True,
                )
    return report
