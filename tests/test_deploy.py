"""deploy/: the Compose file against the Compose specification's schema, HAProxy's configuration, and the
settings they set (no container engine runs here: nothing is started)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.ops.cluster import compose_haproxy_config
from core.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
CHECKER = PROJECT_ROOT / ".cache" / "deploy-tools" / "bin" / "check-jsonschema"


def compose_schema_check(path: Path) -> subprocess.CompletedProcess:
    if not CHECKER.is_file():
        pytest.fail("check-jsonschema is not installed: run `bash scripts/deploy_tools.sh` (make check does).")
    command = [str(CHECKER), "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_the_compose_file_follows_the_compose_specification():
    checked = compose_schema_check(DEPLOY / "compose.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_schema_check_catches_a_broken_compose_file(tmp_path: Path):
    broken = tmp_path / "compose.yaml"
    misspelt = (DEPLOY / "compose.yaml").read_text().replace('command: ["serve", "rasa"]', 'comand: ["serve", "rasa"]')
    broken.write_text(misspelt)
    assert compose_schema_check(broken).returncode != 0


def test_haproxys_configuration_is_generated_and_valid():
    assert (DEPLOY / "haproxy.cfg").read_text() == compose_haproxy_config(), "run `make deploy-config`"
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        pytest.fail("haproxy is not installed: run `bash scripts/cluster_deps.sh` (make check does).")
    checked = subprocess.run([haproxy, "-c", "-f", str(DEPLOY / "haproxy.cfg")], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_every_setting_the_compose_file_gives_the_helpdesk_is_a_documented_one():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    given = set(compose["x-helpdesk"]["environment"])
    documented = set(re.findall(r"^([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.M))
    assert given <= documented, given - documented


def test_no_secret_is_written_into_the_compose_file():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    environment = compose["x-helpdesk"]["environment"]
    for name in ("ACTION_SERVER_TOKEN", "RASA_API_TOKEN", "HELPDESK_SESSION_SECRET"):
        assert environment[name].startswith("${") and ":?" in environment[name]  # from deploy/.env, required
