"""The data flows one way: core <- faq_index <- bot <- actions, slack, web. No module imports a layer above
its own (bot/ops/serve.py starts the channels as processes of their own, without importing them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.settings import PROJECT_ROOT

ABOVE = {
    "core": {"faq_index", "bot", "actions", "helpdesk_slack", "helpdesk_web"},
    "faq_index": {"bot", "actions", "helpdesk_slack", "helpdesk_web"},
    "bot": {"actions", "helpdesk_slack", "helpdesk_web"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_no_module_imports_a_layer_above_its_own(layer):
    modules = sorted((PROJECT_ROOT / layer).rglob("*.py"))
    assert modules
    upward = {str(path.relative_to(PROJECT_ROOT)): sorted(imported_packages(path) & ABOVE[layer]) for path in modules}
    assert {module: names for module, names in upward.items() if names} == {}
