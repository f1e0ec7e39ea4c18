"""Plain Kubernetes manifests for the scale-out (deploy/kubernetes/helpdesk.yaml, written by `make deploy-config`):
the same processes as deploy/compose.yaml and `make run-cluster`, one image, settings from a ConfigMap and
secrets from a Secret the operator makes (deploy/kubernetes/secrets.env.example). Postgres and Redis are the
operator's own (a managed service or the cluster's operators), as Rasa's Helm chart expects of production.

Rasa's chart conventions are followed where they apply: one Deployment per kind of server, a Service in front
of each, readiness and liveness probes on each server's health path, resource limits, the pods' user not root.
"""

from __future__ import annotations

import yaml

IMAGE = "modica-helpdesk:latest"  # deploy/Dockerfile; push it to your registry and change this
NAME = "modica-helpdesk"
SECRETS = "helpdesk-secrets"
SETTINGS = "helpdesk-settings"
USER_ID = 10001  # deploy/Dockerfile's helpdesk user


def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": NAME, "app.kubernetes.io/component": component}


def _container(
    component: str, command: list[str], port: int | None, health: str | None, memory: str, env: dict
) -> dict:
    container: dict = {
        "name": component,
        "image": IMAGE,
        "args": command,
        "envFrom": [{"configMapRef": {"name": SETTINGS}}, {"secretRef": {"name": SECRETS}}],
        "env": [{"name": key, "value": value} for key, value in env.items()],
        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": memory}},
        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "var", "mountPath": "/var/lib/helpdesk"}],
    }
    if port is not None:
        container["ports"] = [{"name": "http", "containerPort": port}]
    if health is not None:
        probe = {"httpGet": {"path": health, "port": "http"}, "periodSeconds": 10, "timeoutSeconds": 5}
        # Rasa loads its model for a minute or two before it answers: readiness waits, liveness allows for it.
        container["readinessProbe"] = {**probe, "failureThreshold": 3}
        container["startupProbe"] = {**probe, "failureThreshold": 30}
        container["livenessProbe"] = {**probe, "failureThreshold": 6}
    return container


def _deployment(component: str, replicas: int, container: dict) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"helpdesk-{component}", "labels": _labels(component)},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": _labels(component)},
            "template": {
                "metadata": {"labels": _labels(component)},
                "spec": {
                    "securityContext": {"runAsNonRoot": True, "runAsUser": USER_ID, "runAsGroup": USER_ID},
                    "containers": [container],
                    "volumes": [{"name": "var", "emptyDir": {}}],  # logs and scratch: the state is in Postgres
                },
            },
        },
    }


def _service(component: str, port: int, sticky: bool = False) -> dict:
    spec: dict = {
        "selector": _labels(component),
        "ports": [{"name": "http", "port": port, "targetPort": "http"}],
    }
    if sticky:
        spec["sessionAffinity"] = "ClientIP"  # a socket.io polling session's requests must reach one pod
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"helpdesk-{component}", "labels": _labels(component)},
        "spec": spec,
    }


def manifests() -> list[dict]:
    """Every object of the deployment, in the order `kubectl apply -f` should create them."""
    rasa_host = {"RASA_HOST": "helpdesk-rasa"}  # clients of Rasa's API (worker, Slack app) use its Service
    servers = {"RASA_HOST": "0.0.0.0", "HELPDESK_BIND_HOST": "0.0.0.0"}  # a pod's network is its own
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": SETTINGS, "labels": {"app.kubernetes.io/name": NAME}},
            "data": {
                "ACTION_HOST": "helpdesk-actions",
                "HELPDESK_PUBLIC_CHAT_URL": "https://chat.example.com",
                "HELPDESK_PUBLIC_WEB_ORIGIN": "https://www.example.com",
            },
        },
        _deployment("rasa", 2, _container("rasa", ["serve", "rasa"], 5005, "/", "1536Mi", servers)),
        _service("rasa", 5005, sticky=True),
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "helpdesk-rasa", "labels": _labels("rasa")},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels("rasa")}},
        },
        _deployment("actions", 2, _container("actions", ["serve", "actions"], 5055, "/health", "600Mi", servers)),
        _service("actions", 5055),
        _deployment("worker", 2, _container("worker", ["worker"], None, None, "512Mi", rasa_host)),
        _deployment("web", 1, _container("web", ["serve", "web"], 8080, "/health", "256Mi", servers)),
        _service("web", 8080),
        _deployment(
            "slack", 1, _container("slack", ["serve", "slack"], 3000, "/health", "512Mi", {**servers, **rasa_host})
        ),
        _service("slack", 3000),
    ]


def manifests_file() -> str:
    header = (
        "# Generated by `make deploy-config` (bot/ops/kubernetes.py: manifests); do not edit by hand.\n"
        "# kubectl create secret generic helpdesk-secrets --from-env-file=deploy/kubernetes/secrets.env\n"
        "# kubectl apply -f deploy/kubernetes/helpdesk.yaml\n"
    )
    return header + yaml.safe_dump_all(manifests(), sort_keys=False, width=120)


if __name__ == "__main__":  # `make deploy-config`: python -m bot.ops.kubernetes deploy/kubernetes/helpdesk.yaml
    import sys
    from pathlib import Path

    Path(sys.argv[1]).write_text(manifests_file(), encoding="utf-8")
