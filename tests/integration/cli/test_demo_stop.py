"""``lpx demo``'s servers are asked to stop, and one that does not stop in time is killed
(the demo's own stop on Ctrl+C and ``kill`` is tested in test_demo.py)."""

from __future__ import annotations

import subprocess
import sys
import time

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
