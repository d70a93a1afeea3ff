"""The hub never loads network keys: its modules neither import lpx.client nor name the env var."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import lpx

ROOT = Path(lpx.__file__).resolve().parent
HUB_PACKAGES = ("lpx.api", "lpx.services", "lpx.storage", "lpx.domain", "lpx.auth")
# lpx/<dir> allowed to hold network keys: the state side and the offline file tools.
STATE_SIDE = ("client", "cli", "synth", "linkage", "evaluation")


def _hub_modules() -> list[str]:
    names: list[str] = []
    for package in HUB_PACKAGES:
        path = ROOT / package.split(".")[1]
        if not (path / "__init__.py").exists():
            continue
        names.append(package)
        names.extend(
            info.name
            for info in pkgutil.walk_packages([str(path)], prefix=f"{package}.")
            if "migrations" not in info.name
        )
    return names


def test_importing_the_hub_never_imports_the_client() -> None:
    modules = _hub_modules()
    if not modules:
        pytest.skip("no hub package exists yet")
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('lpx.client'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT.parent,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def _hub_files() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py") if path.relative_to(ROOT).parts[0] not in STATE_SIDE
    ]


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_hub_file_imports_the_client_or_names_the_key_variable() -> None:
    offenders = []
    for path in _hub_files():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source, filename=str(path))
        if any(name == "lpx.client" or name.startswith("lpx.client.") for name in _imports(tree)):
            offenders.append(f"{path.relative_to(ROOT)} imports lpx.client")
        # bootstrap.py names the variable only to refuse to start while it is set.
        if "LPX_NETWORK_KEYS" in source and path != ROOT / "bootstrap.py":
            offenders.append(f"{path.relative_to(ROOT)} mentions LPX_NETWORK_KEYS")
    assert offenders == []


def test_only_the_state_side_imports_the_key_module() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in _hub_files()
        if "lpx.client.keys" in _imports(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert offenders == []


def test_the_scan_can_fail() -> None:
    """Guard against a scanner that sees nothing: it must flag a planted import."""
    planted = ast.parse("from lpx.client.keys import NetworkKeys\nimport lpx.client.ssn as s\n")
    assert {"lpx.client.keys", "lpx.client.ssn"} <= _imports(planted)
    assert any(p.name == "names.py" for p in _hub_files())


def test_the_hub_refuses_to_start_with_network_keys_in_reach(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from lpx.bootstrap import build_hub
    from lpx.config import Settings

    monkeypatch.setenv("LPX_NETWORK_KEYS", str(tmp_path / "network-keys.json"))
    with pytest.raises(RuntimeError, match="Network keys belong to the states"):
        build_hub(Settings(database_url=f"sqlite:///{tmp_path}/h.db", data_dir=tmp_path))
