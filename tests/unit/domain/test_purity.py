"""The domain core stays pure: no web, database, settings or state-side imports."""

from __future__ import annotations

import ast
from pathlib import Path

import lpx.domain

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "alembic", "psycopg", "pydantic",
             "pydantic_settings", "httpx", "uvicorn", "typer", "rich", "redis", "duckdb",
             "lpx.api", "lpx.storage", "lpx.services", "lpx.cli", "lpx.client", "lpx.config",
             "lpx.bootstrap", "requests", "socket", "urllib")  # fmt: skip


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_imports_nothing_forbidden() -> None:
    root = Path(lpx.domain.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in root.glob("*.py")
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    }
    assert offenders == set()


def test_exported_members() -> None:
    assert set(lpx.domain.__all__) == {
        "Card", "CardType", "Identity", "PointerRecord", "SsnTokens", "Status", "Sex",
        "FieldError", "ValidationFailed", "DomainError", "MatchProfile", "NormalizedName",
        "MatchModel", "Purpose", "SearchInquiry", "ScoredPair", "rank",
        "pointer_keys", "inquiry_keys", "ProfileArrays", "levels", "estimate_u",
        "expectation_maximisation", "frequency_table",
    }  # fmt: skip
    for name in lpx.domain.__all__:
        assert getattr(lpx.domain, name) is not None
