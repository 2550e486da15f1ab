"""forms/ is a leaf: no database, no web app, no scoring engine; no eval, no assert."""

from __future__ import annotations

import ast
from pathlib import Path

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORBIDDEN = ("sqlalchemy", "flask_sqlalchemy", "survey", "scoring")


def _modules():
    return sorted(FORMS.rglob("*.py"))


def test_forms_imports_nothing_from_the_database_app_or_engine():
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []


def test_library_code_has_no_eval_exec_or_assert():
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assert):
                offenders.append(f"{path.name}:{node.lineno} assert")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("eval", "exec"):
                offenders.append(f"{path.name}:{node.lineno} {node.func.id}")
    assert offenders == []
