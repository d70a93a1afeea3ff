"""`lpx demo` end to end: a hub process without network keys, loaded through its API,
answering `lpx search` and `lpx status` from the state side."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import free_port
from typer.testing import CliRunner

from lpx.cli.main import app


def hub_pids(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"lpx.api.app:create_app" in cmdline and str(port).encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def start_demo(workdir: Path, count: int, **popen: Any) -> tuple[subprocess.Popen[str], int,
                                                                list[str]]:  # fmt: skip
    """``lpx demo`` in its own process group (its servers with it), read up to its
    "Press Ctrl+C" line; returns the process, its port and what it printed."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpx.cli.main", "demo", "--dir", str(workdir / "ws"),
         "--count", str(count), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        cwd=workdir, start_new_session=True, **popen,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl+C" in line:
            break
    return proc, port, lines


def stop_demo(proc: subprocess.Popen[str], port: int, sig: signal.Signals) -> bool:
    """Send ``sig``; whether the demo ended within 90 s (it gives its servers 30 s, then
    kills them) and left no hub process behind. A stuck demo is killed with its group."""
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return False
    return not hub_pids(port)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, str]]:
    workdir = tmp_path_factory.mktemp("demo")
    proc, port, lines = start_demo(workdir, 400)
    output = "".join(lines)
    assert "Press Ctrl+C" in output, output
    tx_key = next(line.split("│")[2].strip() for line in lines if "│ TX" in line)
    try:
        yield f"http://127.0.0.1:{port}", workdir / "ws", tx_key
    finally:
        if not stop_demo(proc, port, signal.SIGINT):
            pytest.fail("lpx demo did not stop, with its servers, within 90 s of Ctrl+C")


def test_demo_prints_urls_and_the_hub_holds_no_network_key(demo: tuple[str, Path, str]) -> None:
    url, workdir, _ = demo
    pids = hub_pids(int(url.rsplit(":", 1)[1]))
    assert pids, "the hub runs in its own process"
    for pid in pids:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
        assert b"LPX_NETWORK_KEYS" not in environ
        open_files = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        assert not any("network-keys" in f for f in open_files)
    assert (workdir / "state" / "network-keys.json").exists()
    assert not list((workdir / "hub").rglob("network-keys*"))


def test_search_and_status_from_the_command_line(demo: tuple[str, Path, str]) -> None:
    url, workdir, tx_key = demo
    with (workdir / "state" / "files" / "CA.csv").open() as fh:
        row = next(csv.DictReader(fh))
    env = {"LPX_HUB_URL": url, "LPX_API_KEY": tx_key, "LPX_USER": "clerk-7",
           "LPX_NETWORK_KEYS": str(workdir / "state" / "network-keys.json")}  # fmt: skip
    runner = CliRunner()
    args = ["search", "--last-name", row["last_name"], "--first-name", row["first_name"],
            "--dob", row["dob"], "--purpose", "license_issuance", "--json"]  # fmt: skip
    if row["ssn_last5"]:
        args += ["--ssn-last5", row["ssn_last5"]]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert '"jurisdiction": "CA"' in result.output
    pointer_id = result.output.split('"pointer_id": "')[1].split('"')[0]
    status = runner.invoke(app, ["status", pointer_id], env=env)
    assert status.exit_code == 0, status.output
    assert "CA" in status.output


def test_kill_stops_the_demo_and_its_servers(tmp_path: Path) -> None:
    proc, port, lines = start_demo(tmp_path, 60)
    assert "Press Ctrl+C" in "".join(lines)
    assert hub_pids(port)
    assert stop_demo(proc, port, signal.SIGTERM)


def test_ctrl_c_stops_a_demo_started_with_sigint_ignored(tmp_path: Path) -> None:
    """As a script's background job starts it (CI's runner did): Python keeps SIGINT off."""
    proc, port, lines = start_demo(
        tmp_path, 60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert "Press Ctrl+C" in "".join(lines)
    assert stop_demo(proc, port, signal.SIGINT)
