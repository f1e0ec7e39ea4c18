"""Check Kubernetes manifests against the API's own object models, strictly, as `kubeconform -strict` would.

The models are those of Kubernetes' official Python client (installed by scripts/deploy_tools.sh into
.cache/deploy-tools, whose Python runs this; no cluster is needed). A key the API does not have (a misspelt
field), a value of the wrong type and a missing required field are each reported with its path.

    .cache/deploy-tools/bin/python scripts/check_kubernetes.py deploy/kubernetes/*.yaml
Exit status 1 when any manifest has a problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

import kubernetes.client as models
import yaml
from kubernetes.client import ApiClient

SCALARS = {"str": str, "int": int, "bool": bool, "float": (int, float), "object": object, "datetime": str}


def model_name(api_version: str, kind: str) -> str:
    """'apps/v1', 'Deployment' -> 'V1Deployment' (the client's class for it)."""
    version = api_version.rsplit("/", 1)[-1]
    return version[0].upper() + version[1:] + kind


def check_document(document: dict, where: str) -> list[str]:
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return [f"{where}: apiVersion and kind are required"]
    name = model_name(api_version, kind)
    if not hasattr(models, name):
        return [f"{where}: {api_version} {kind} is not a kind this Kubernetes API has"]
    found = _strict(document, name, where)
    try:  # the client's own deserialisation checks required fields and enumerations
        ApiClient()._ApiClient__deserialize(document, name)
    except (ValueError, TypeError) as exc:
        found.append(f"{where}: {exc}")
    return found


def _strict(value: object, type_name: str, path: str) -> list[str]:
    """Every problem of `value` read as the client's type `type_name` ('V1Deployment', 'List[V1EnvVar]', ...)."""
    if type_name.startswith("List["):
        if not isinstance(value, list):
            return [f"{path}: a list is expected"]
        return [p for n, item in enumerate(value) for p in _strict(item, type_name[5:-1], f"{path}[{n}]")]
    if type_name.startswith("Dict["):
        if not isinstance(value, dict):
            return [f"{path}: a mapping is expected"]
        inner = type_name[5:-1].split(", ", 1)[1]
        return [p for key, item in value.items() for p in _strict(item, inner, f"{path}.{key}")]
    if type_name in SCALARS:
        wrong = not isinstance(value, SCALARS[type_name]) or (type_name == "int" and isinstance(value, bool))
        return [f"{path}: {type_name} expected, got {type(value).__name__}"] if wrong else []
    cls = getattr(models, type_name)
    if not isinstance(value, dict):
        return [f"{path}: a mapping ({type_name}) is expected"]
    fields = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    found = []
    for key, item in value.items():
        if key not in fields:
            found.append(f"{path}.{key}: {type_name} has no such field")
        else:
            found += _strict(item, cls.openapi_types[fields[key]], f"{path}.{key}")
    return found


def main(paths: list[str]) -> int:
    found = []
    for path in paths:
        for n, document in enumerate(yaml.safe_load_all(Path(path).read_text(encoding="utf-8"))):
            if document is not None:
                found += check_document(document, f"{path}#{n}")
    for problem in found:
        print(problem)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
