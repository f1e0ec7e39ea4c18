"""What the benchmarks that train share: a temporary copy of the project's training inputs, the
helpdesk command, and free ports for servers they start."""
from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ["config.yml", "domain.yml", "endpoints.yml", "credentials.yml", "data"]
HELPDESK = str(Path(sys.executable).with_name("helpdesk"))


def copy_project(target: Path) -> Path:
    """Copy what `helpdesk train` reads into `target` (created), so models and caches stay out of the project."""
    target.mkdir()
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target / name)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
