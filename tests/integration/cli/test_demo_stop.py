"""Ctrl+C or kill stops ``lpx demo`` and its two servers; one that does not stop in time is
killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from servers import free_port
from test_demo import hub_pids

from lpx.cli.demo import _stop

IGNORES_SIGTERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('up', flush=True); time.sleep(120)")  # fmt: skip
STOPS_ON_SIGTERM = "import time; print('up', flush=True); time.sleep(120)"


def _server(code: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"up\n"  # its SIGTERM handler is in place
    proc.stdout.close()
    return proc


def test_a_server_that_ignores_the_request_is_killed_after_the_grace() -> None:
    stubborn, polite = _server(IGNORES_SIGTERM), _server(STOPS_ON_SIGTERM)
    started = time.monotonic()
    _stop(polite, stubborn, grace=1)
    assert time.monotonic() - started < 60
    assert polite.returncode == -15  # SIGTERM: asked, and it stopped
    assert stubborn.returncode == -9  # SIGKILL: it had to be killed


def _demo(tmp_path: Path, **popen: Any) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lpx.cli.main", "demo", "--dir", str(tmp_path / "ws"),
         "--count", "60", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
        start_new_session=True, **popen,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Press Ctrl+C" in line:
            return proc, port
    proc.wait()
    pytest.fail("lpx demo ended before serving")


def _stopped(proc: subprocess.Popen[str], port: int, sig: signal.Signals) -> bool:
    proc.send_signal(sig)
    try:
        proc.communicate(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return False
    return not hub_pids(port)


def test_kill_stops_the_demo_and_its_servers(tmp_path: Path) -> None:
    proc, port = _demo(tmp_path)
    assert hub_pids(port)
    assert _stopped(proc, port, signal.SIGTERM)


def test_ctrl_c_stops_a_demo_started_with_sigint_ignored(tmp_path: Path) -> None:
    """As a script's background job starts it (CI's runner did): Python keeps SIGINT off."""
    proc, port = _demo(tmp_path, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    assert _stopped(proc, port, signal.SIGINT)
