"""Trains the Rasa model only when its inputs changed (cache keyed by a content hash)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from bot.answers import curated
from core.errors import ModelMissing
from core.settings import Settings
from faq_index.index import build_index
from faq_index.training_data import write_training_data

MODEL_PREFIX = "helpdesk-"
GENERATED_NLU = Path("data") / "nlu" / "faq_generated.yml"


def rasa_executable() -> str:
    """The `rasa` next to this Python, so the project's own .venv is always used."""
    return str(Path(sys.executable).with_name("rasa"))


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for any rasa child process: quiet, offline, and told where things live."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        RASA_TRACKER_DB=str(settings.tracker_db),
        RASA_TRACKER_URL=settings.tracker_store_url,  # endpoints.yml
        ACTION_ENDPOINT_URL=settings.action_url,
        ACTION_SERVER_TOKEN=settings.action_token or "",  # endpoints.yml: the header the action server wants
        HELPDESK_HOME=str(settings.root),
    )
    return env


def training_env(settings: Settings, log: IO | None) -> dict[str, str]:
    """rasa_env for `rasa train`: its progress bars only on a terminal (in a log they are a line per step)."""
    env = rasa_env(settings)
    if log is not None or not sys.stderr.isatty():
        env["TQDM_DISABLE"] = "1"
    return env


def training_inputs(root: Path) -> list[Path]:
    """Every file `rasa train` reads: config, domain, NLU data, rules and stories."""
    files = [root / "config.yml", root / "domain.yml", root / "data" / "rules.yml", root / "data" / "stories.yml"]
    files += sorted((root / "data" / "nlu").glob("*.yml"))
    return [path for path in files if path.is_file()]


def training_data_args(root: Path) -> list[str]:
    return [str(root / "data" / "nlu"), str(root / "data" / "rules.yml"), str(root / "data" / "stories.yml")]


def training_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in training_inputs(root):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def current_model(settings: Settings) -> Path:
    """Where the model for the current training data is (or would be) stored."""
    return settings.model_dir / f"{MODEL_PREFIX}{training_hash(settings.root)}.tar.gz"


def require_model(settings: Settings) -> Path:
    model = current_model(settings)
    if not model.is_file():
        raise ModelMissing(
            f"no trained model for the current training data ({model.name}); run `helpdesk train` or `make run`."
        )
    return model


def generate_training_data(settings: Settings) -> bool:
    """Rebuild the FAQ index and the NLU data generated from it; True when the data changed.

    Checks the curated examples against the rebuilt index first (StaleExample for one whose entry went)."""
    build_index(settings.faq_dir, settings.faq_db)
    curated.check(settings.root, settings.faq_db)
    return write_training_data(settings.faq_db, settings.root / GENERATED_NLU)


def ensure_model(settings: Settings, log: IO | None = None) -> tuple[Path, bool]:
    """Train unless a model for exactly these inputs exists; returns (path, trained_now).

    `rasa train` prints to `log` when one is given, else to this process's output.
    """
    model = current_model(settings)
    if model.is_file():
        return model, False
    settings.model_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "actions.rasa_command",  # rasa, with its dependencies' deprecation warnings filtered
        "train",
        "--config",
        str(settings.root / "config.yml"),
        "--domain",
        str(settings.root / "domain.yml"),
        "--data",
        *training_data_args(settings.root),
        "--out",
        str(settings.model_dir),
        "--fixed-model-name",
        model.name.removesuffix(".tar.gz"),
    ]
    result = subprocess.run(
        command,
        cwd=settings.root,
        env=training_env(settings, log),
        stdout=log,
        stderr=subprocess.STDOUT if log else None,
    )
    if result.returncode != 0 or not model.is_file():
        raise ModelMissing(
            f"`rasa train` failed (exit {result.returncode}); read its output and fix the training data."
        )
    _remove_stale_models(settings.model_dir, keep=model)
    return model, True


def _remove_stale_models(model_dir: Path, keep: Path, spare: int = 3) -> None:
    """Keep the newest few models so switching branches does not retrain, but not all of them."""
    old = sorted(
        (p for p in model_dir.glob(f"{MODEL_PREFIX}*.tar.gz") if p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[spare:]:
        path.unlink(missing_ok=True)
