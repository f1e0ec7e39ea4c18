"""`helpdesk teach`: real customers' questions taught to the reply they should have had, kept in a training
file people read and edit too (data/nlu/curated.yml, in git; never generated).

A target is an FAQ entry id (`helpdesk faq list`), taught as an example of the retrieval intent faq/<id> that
faq_index/training_data.py generates for each entry, or one of the bot's other replies (TARGETS). Who taught
an example and when are kept beside it in the file, as Rasa's per-example metadata (Rasa ignores it), so the
record travels with the example through git, review and hand edits; a table in the state database would
describe examples it cannot see being moved or deleted by hand.

`helpdesk train` reads the file like any other in data/nlu/ (so it is in the training hash), after `check`:
an example taught to an FAQ entry that is no longer in the index stops training, naming the example.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import yaml
from rapidfuzz import process
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RoundTripError

from core.errors import DuplicateExample, StaleExample, TrainingDataError, UnknownTarget
from core.settings import Settings
from faq_index.index import list_entries
from faq_index.training_data import HEADER as GENERATED_HEADER
from faq_index.training_data import normalise_question

CURATED_NLU = Path("data") / "nlu" / "curated.yml"
FAQ_INTENT = "faq"  # the retrieval intent of every FAQ entry: faq/<entry id>
TARGETS = {  # teach's other targets: the intent (data/nlu/*.yml, domain.yml) whose reply each one is
    "status": "ask_status_now",  # the live status of the migrations
    "contact": "give_oncall_contact",  # the form for the customer's own on-call contact
    "escalate": "urgent_problem",  # the phone numbers and the offer of the on-call engineer
    "out_of_scope": "out_of_scope",  # the refusal
}
HEADER = """\
# Curated training examples: questions real customers asked, each taught to the reply it should have had.
# `helpdesk review` lists the questions that went badly; `helpdesk teach "question" TARGET` adds one here
# (TARGET: an FAQ entry id as `helpdesk faq list` shows it, or status, contact, escalate, out_of_scope).
# Edit it by hand too: it is Rasa NLU data, read as it is by `helpdesk train` (never generated or rewritten
# but for the examples `teach` adds), which refuses to train while an example names an FAQ entry that is no
# longer in the index. FAQ examples go under `intent: faq/<entry id>`; the others under ask_status_now,
# give_oncall_contact, urgent_problem or out_of_scope. `metadata` says who taught an example and when.
# Never copy questions from the evaluation sets (tests/data/eval_*.yml, faq_*.yml) here.
"""
EMPTY = HEADER + 'version: "3.1"\n\nnlu: []\n'


@dataclass(frozen=True)
class Example:
    """One training example of a Rasa NLU file."""

    text: str
    intent: str
    file: str  # relative to the project folder
    taught_by: str | None = None
    taught_at: str | None = None
    generated: bool = False  # from a file `helpdesk train` writes (faq_index/training_data.py)


@dataclass(frozen=True)
class Taught:
    text: str
    intent: str
    path: Path
    who: str
    at: str
    question: str | None = None  # the FAQ entry's question, for an FAQ target


def _round_trip() -> YAML:
    rt = YAML()  # ruamel's round trip keeps people's comments and layout when an example is added
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.width = 120
    rt.preserve_quotes = True
    return rt


def _examples_of(block: dict, file: str, generated: bool) -> list[Example]:
    intent = str(block.get("intent") or "")
    examples = block.get("examples")
    if isinstance(examples, str):  # "examples: |" with "- text" lines, as Rasa reads them
        return [
            Example(line.strip()[1:].strip(), intent, file, generated=generated)
            for line in examples.splitlines()
            if line.strip().startswith("-") and line.strip()[1:].strip()
        ]
    found = []
    for example in examples or []:
        if isinstance(example, dict) and str(example.get("text") or "").strip():
            metadata = example.get("metadata") if isinstance(example.get("metadata"), dict) else {}
            found.append(
                Example(
                    str(example["text"]).strip(),
                    intent,
                    file,
                    _text(metadata.get("taught_by")),
                    _text(metadata.get("taught_at")),
                    generated,
                )
            )
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def nlu_examples(path: Path, root: Path) -> list[Example]:
    """Every intent example of one Rasa NLU file (either way of writing examples)."""
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise TrainingDataError(f"{shown} is not valid YAML ({' '.join(str(exc).split())}); fix it by hand.") from None
    blocks = data.get("nlu") if isinstance(data, dict) else None
    if blocks is not None and not isinstance(blocks, list):
        raise TrainingDataError(f"{shown}: `nlu` must be a list of `- intent:` blocks; fix it by hand.")
    return [
        example
        for block in blocks or []
        if isinstance(block, dict) and block.get("intent")
        for example in _examples_of(block, shown, text.startswith(GENERATED_HEADER))
    ]


def training_examples(root: Path) -> list[Example]:
    """Every intent example in the project's NLU data (data/nlu/*.yml, as `helpdesk train` reads it)."""
    return [example for path in sorted((root / "data" / "nlu").glob("*.yml")) for example in nlu_examples(path, root)]


def _faq_entries(faq_db: Path) -> dict[str, str]:
    """Entry id -> question, from the FAQ index."""
    return {entry["id"]: entry["question"] for entry in list_entries(faq_db)}


def intent_for(target: str, entries: dict[str, str]) -> str:
    """The intent that `target` (an FAQ entry id, faq/<id>, or a TARGETS word) is taught as."""
    target = target.strip()
    if target in TARGETS:
        return TARGETS[target]
    entry = target.removeprefix(f"{FAQ_INTENT}/")
    if entry in entries:
        return f"{FAQ_INTENT}/{entry}"
    close = process.extractOne(entry, list(entries)) if entries else None
    hint = f" Did you mean {close[0]}?" if close and close[1] >= 80 else ""
    raise UnknownTarget(
        f"{target!r} is neither an FAQ entry id (`helpdesk faq list` shows them; run `helpdesk faq "
        f"build` first if the documents changed) nor one of: {', '.join(TARGETS)}.{hint}"
    )


def _duplicate(text: str, intent: str, existing: list[Example]) -> None:
    key = normalise_question(text)
    for example in existing:
        if normalise_question(example.text) != key:
            continue
        if example.intent == intent:
            by = f", taught by {example.taught_by} at {example.taught_at}" if example.taught_by else ""
            raise DuplicateExample(
                f"{text!r} is already an example of {intent} in {example.file} "
                f"(as {example.text!r}{by}); nothing to teach."
            )
        fix = (
            "that file is generated from the FAQ entry, so change the FAQ document if the entry is wrong"
            if example.generated
            else f"if it is wrong there, move it by hand in {example.file}"
        )
        raise DuplicateExample(
            f"{text!r} is already an example of {example.intent} in {example.file} (as "
            f"{example.text!r}); an example teaches one intent only, so it cannot also teach "
            f"{intent}: {fix}."
        )


def _load_curated(path: Path, shown: str):
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    try:
        data = _round_trip().load(text if text.strip() else EMPTY)
    except RoundTripError as exc:
        raise TrainingDataError(f"{shown} is not valid YAML ({' '.join(str(exc).split())}); fix it by hand.") from None
    if not isinstance(data, dict):
        raise TrainingDataError(f"{shown} is not Rasa NLU data (a mapping with `nlu:`); fix it by hand.")
    if not data.get("nlu"):
        data["nlu"] = CommentedSeq()
    if not isinstance(data["nlu"], list):
        raise TrainingDataError(f"{shown}: `nlu` must be a list of `- intent:` blocks; fix it by hand.")
    return data


def teach(settings: Settings, text: str, target: str, who: str, now: datetime) -> Taught:
    """Add `text` to data/nlu/curated.yml as an example of `target`'s intent, recording `who` and `now`.

    Refused (a TrainingDataError saying why): an empty, over-long or /command text, an unknown target, and a
    text already in the training data (as any intent, in any data/nlu file; compared as the generator
    compares examples: lower-cased, punctuation ignored).
    """
    text = " ".join(text.split())
    if len(normalise_question(text)) < 3:
        raise TrainingDataError(
            "give the question as the customer asked it, e.g. "
            '`helpdesk teach "can I still send during the move?" status`.'
        )
    if text.startswith("/"):
        raise TrainingDataError(
            f"{text!r} starts with '/', which Rasa reads as an intent, not as words; teach the customer's words."
        )
    if len(text) > settings.max_message_chars:
        raise TrainingDataError(
            f"the example is {len(text)} characters; the bot reads messages of at most "
            f"{settings.max_message_chars}, so teach the question itself."
        )
    who = who.strip()
    if not who:
        raise TrainingDataError("say who is teaching (--by NAME), so the example can be traced.")
    entries = {} if target.strip() in TARGETS else _faq_entries(settings.faq_db)
    intent = intent_for(target, entries)
    path = settings.root / CURATED_NLU
    at = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _taking_turns(path):  # the CLI and the Slack app may teach at the same moment: neither is lost
        _duplicate(text, intent, training_examples(settings.root))
        _add_example(path, text, intent, entries, CommentedMap(taught_by=who, taught_at=at))
    question = entries.get(intent.split("/", 1)[1]) if intent.startswith(f"{FAQ_INTENT}/") else None
    return Taught(text, intent, path, who, at, question)


def _add_example(path: Path, text: str, intent: str, entries: dict[str, str], metadata: CommentedMap) -> None:
    """Append the example to its intent's block (a new block at the end for a new intent), comments kept."""
    data = _load_curated(path, CURATED_NLU.as_posix())
    example = CommentedMap(text=text)
    metadata.fa.set_flow_style()
    example["metadata"] = metadata
    block = next(
        (
            b
            for b in data["nlu"]
            if isinstance(b, dict)
            and b.get("intent") == intent
            and isinstance(b.get("examples"), list)
            and b["examples"]
        ),
        None,
    )
    if block is None:
        block = CommentedMap(intent=intent)
        block["examples"] = CommentedSeq([example])
        if intent.startswith(f"{FAQ_INTENT}/"):
            block.yaml_add_eol_comment(entries[intent.split("/", 1)[1]], "intent")
        _append(data["nlu"], block, blank_line=True)
    else:
        _append(block["examples"], example)
    out = io.StringIO()
    _round_trip().dump(data, out)
    written = out.getvalue()
    if not written.startswith("#"):
        written = HEADER + written  # a file someone emptied of its header gets it back
    _replace(path, written)


@contextlib.contextmanager
def _taking_turns(path: Path) -> Iterator[None]:
    """Hold an exclusive lock beside `path` while it is read, changed and written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _block(node: object) -> bool:
    return isinstance(node, (CommentedMap, CommentedSeq)) and len(node) > 0 and not node.fa.flow_style()


def _last_key(node: CommentedMap | CommentedSeq) -> object:
    return list(node.keys())[-1] if isinstance(node, CommentedMap) else len(node) - 1


def _take_trailing(node: object) -> object:
    """The comment (blank lines and people's comments) after the last line of `node`, taken off it."""
    while _block(node):
        key = _last_key(node)
        tokens = node.ca.items.get(key)
        slot = 2 if isinstance(node, CommentedMap) else 0
        if tokens and len(tokens) > slot and tokens[slot] is not None:
            taken, tokens[slot] = tokens[slot], None
            return taken
        node = node[key]
    return None


def _put_trailing(node: CommentedMap | CommentedSeq, token: object) -> None:
    while _block(node[_last_key(node)]):
        node = node[_last_key(node)]
    key = _last_key(node)
    node.ca.items[key] = [None, None, token, None] if isinstance(node, CommentedMap) else [token, None]


def _append(seq: CommentedSeq, item: CommentedMap, blank_line: bool = False) -> None:
    """Append `item` to `seq` after its last item, not after the comment that follows it (which moves below)."""
    taken = _take_trailing(seq[-1]) if len(seq) else None
    seq.append(item)
    if blank_line and len(seq) > 1:
        seq.yaml_set_comment_before_after_key(len(seq) - 1, before="\n")
    if taken is not None:
        _put_trailing(item, taken)


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    if path.is_file():
        os.chmod(partial, path.stat().st_mode & 0o777)  # as it was (`make run` works under umask 077)
    os.replace(partial, path)


def check(root: Path, faq_db: Path) -> list[Example]:
    """The curated examples, after checking each FAQ example's entry is still in the index (StaleExample,
    naming every such example, otherwise). A missing file has none."""
    path = root / CURATED_NLU
    if not path.is_file():
        return []
    shown = CURATED_NLU.as_posix()
    if path.read_text(encoding="utf-8").startswith(GENERATED_HEADER):
        raise TrainingDataError(
            f"{shown} carries the generated-file header, but is curated by people; remove that line."
        )
    examples = nlu_examples(path, root)
    wanted = [e for e in examples if e.intent.startswith(f"{FAQ_INTENT}/")]
    if not wanted:
        return examples
    entries = _faq_entries(faq_db)
    stale = [e for e in wanted if e.intent.split("/", 1)[1] not in entries]
    if stale:
        listed = "; ".join(
            f"{e.text!r} (taught to {e.intent}" + (f" by {e.taught_by} at {e.taught_at})" if e.taught_by else ")")
            for e in stale
        )
        raise StaleExample(
            f"{shown} teaches FAQ entries that are no longer in the FAQ index (their document changed or went): "
            f"{listed}. Move each example to the entry that answers it now (`helpdesk faq list` shows the ids), "
            f"or delete it, in {shown}; then train again."
        )
    return examples
