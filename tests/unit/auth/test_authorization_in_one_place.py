"""Authorization stays in ``lpx.auth.policy.authorize``, called by services: the HTTP layer
never looks at roles or permissions itself (checked on the syntax tree, not by grep)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lpx

LPX = Path(lpx.__file__).parent
API_MODULES = sorted((LPX / "api").rglob("*.py"))
FORBIDDEN_NAMES = {"Role", "Permission", "GRANTS", "OWN_JURISDICTION_ONLY", "authorize"}
FORBIDDEN_MODULES = {"lpx.auth.permissions"}


def offences(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES | {"roles"}:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.ImportFrom):
            names = {a.name for a in node.names}
            if node.module in FORBIDDEN_MODULES or names & FORBIDDEN_NAMES:
                found.append(f"line {node.lineno}: from {node.module} import {sorted(names)}")
        elif isinstance(node, ast.Import) and {a.name for a in node.names} & FORBIDDEN_MODULES:
            found.append(f"line {node.lineno}: import")
    return found


def test_there_are_api_modules_to_check() -> None:
    assert LPX / "api" / "routes" / "pointers.py" in API_MODULES


@pytest.mark.parametrize("path", API_MODULES, ids=lambda p: str(p.relative_to(LPX)))
def test_api_module_does_not_decide_access(path: Path) -> None:
    assert offences(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "if Role.CLERK in actor.roles: pass",
        "from lpx.auth.permissions import Role",
        "from lpx.auth.policy import authorize",
        "import lpx.auth.permissions",
        "ok = 'records' in actor.roles",
    ],
)
def test_the_check_catches_role_checks(source: str) -> None:
    assert offences(source)


def test_every_service_starts_by_authorizing() -> None:
    """Each public method of a service that reads or writes data calls ``authorize``."""
    for name in ("pointers.py", "search.py"):
        tree = ast.parse((LPX / "services" / name).read_text(encoding="utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            for fn in cls.body:
                if isinstance(fn, ast.FunctionDef) and not fn.name.startswith("_"):
                    calls = {c.func.id for c in ast.walk(fn) if isinstance(c, ast.Call)
                             and isinstance(c.func, ast.Name)}  # fmt: skip
                    assert "authorize" in calls, f"{name}: {cls.name}.{fn.name}"
