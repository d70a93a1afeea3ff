"""Real servers in child processes, for tests that cross a process boundary (CLI, browser)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 90,
                  any_status: bool = False) -> None:  # fmt: skip
    """Poll ``url`` until it answers 2xx (any status with ``any_status``: a POST-only route);
    fail at once if the server process has died."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=2).is_success or any_status:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not come up (exit code {proc.poll()})")
        time.sleep(0.2)


@contextmanager
def uvicorn_app(factory: str, env: Mapping[str, str], cwd: Path, health: str = "/v1/health",
                port: int | None = None, any_status: bool = False) -> Iterator[str]:  # fmt: skip
    """Serve ``factory`` (``module:create_app``) on 127.0.0.1 and yield its base URL."""
    port = port or free_port()
    with serving(["-m", "uvicorn", factory, "--factory", "--host", "127.0.0.1", "--port",
                  str(port), "--log-level", "warning"], port, env, cwd, health,
                 any_status) as base:  # fmt: skip
        yield base


@contextmanager
def serving(args: list[str], port: int, env: Mapping[str, str], cwd: Path,
            health: str = "/v1/health", any_status: bool = False) -> Iterator[str]:  # fmt: skip
    """Run ``python ARGS`` (a server on 127.0.0.1:``port``) until it answers ``health``;
    yield its base URL and stop it after."""
    proc = subprocess.Popen([sys.executable, *args], env=dict(env), cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + health, proc, any_status=any_status)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
