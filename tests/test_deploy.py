"""deploy/: the Compose file against the Compose specification's schema, HAProxy's configuration, and the
settings they set (no container engine runs here: nothing is started)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.ops import kubernetes
from bot.ops.cluster import compose_haproxy_config
from core.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
TOOLS = PROJECT_ROOT / ".cache" / "deploy-tools" / "bin"
CHECKER = TOOLS / "check-jsonschema"
MANIFESTS = DEPLOY / "kubernetes" / "helpdesk.yaml"


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


def kubernetes_check(path: Path) -> subprocess.CompletedProcess:
    if not (TOOLS / "python").is_file():
        pytest.fail("the deployment tools are not installed: run `bash scripts/deploy_tools.sh` (make check does).")
    command = [str(TOOLS / "python"), str(PROJECT_ROOT / "scripts" / "check_kubernetes.py"), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_the_kubernetes_manifests_are_generated_and_follow_the_kubernetes_api():
    assert MANIFESTS.read_text() == kubernetes.manifests_file(), "run `make deploy-config`"
    checked = kubernetes_check(MANIFESTS)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_kubernetes_check_catches_a_misspelt_field_and_a_missing_required_one(tmp_path: Path):
    documents = list(yaml.safe_load_all(MANIFESTS.read_text()))
    rasa = next(d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "helpdesk-rasa")
    container = rasa["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    del rasa["spec"]["selector"]
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump_all(documents))
    checked = kubernetes_check(broken)
    assert checked.returncode == 1
    assert "readinesProbe: V1Container has no such field" in checked.stdout and "selector" in checked.stdout


def test_every_setting_the_kubernetes_manifests_give_is_a_documented_one_and_no_secret_is_written_in_them():
    documents = list(yaml.safe_load_all(MANIFESTS.read_text()))
    documented = set(re.findall(r"^([A-Z_]+)=", (PROJECT_ROOT / ".env.example").read_text(), re.M))
    settings = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    containers = [
        c for d in documents if d["kind"] == "Deployment" for c in d["spec"]["template"]["spec"]["containers"]
    ]
    given = set(settings) | {variable["name"] for c in containers for variable in c["env"]}
    secret_keys = set(re.findall(r"^([A-Z_]+)=", (DEPLOY / "kubernetes" / "secrets.env.example").read_text(), re.M))
    assert given <= documented and secret_keys <= documented, (given | secret_keys) - documented
    assert not given & {"RASA_API_TOKEN", "ACTION_SERVER_TOKEN", "HELPDESK_SESSION_SECRET", "HELPDESK_DATABASE_URL"}
    assert all({"secretRef": {"name": kubernetes.SECRETS}} in c["envFrom"] for c in containers)


def test_the_kubernetes_deployments_run_the_processes_make_run_cluster_runs():
    documents = list(yaml.safe_load_all(MANIFESTS.read_text()))
    commands = {
        " ".join(c["args"])
        for d in documents
        if d["kind"] == "Deployment"
        for c in d["spec"]["template"]["spec"]["containers"]
    }
    assert commands == {"serve rasa", "serve actions", "worker", "serve web", "serve slack"}
