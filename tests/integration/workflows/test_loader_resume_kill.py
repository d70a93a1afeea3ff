"""`lpx load` killed with SIGKILL mid-file and run again: no record lost or written twice, no
duplicate case opened twice, and a summary that adds up. A real hub (uvicorn) and a real
loader run in their own processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from servers import uvicorn_app
from sqlalchemy import func, select

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.client.files import COLUMNS
from lpx.client.hub import HubClient
from lpx.client.keys import NetworkKeys
from lpx.client.loader import load_file
from lpx.config import Settings
from lpx.storage import tables as t
from lpx.storage import workflow_tables as w

ROWS = 3000
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Esperanza", "Fatima", "George", "Hiroshi"]


def person(i: int) -> dict[str, str]:
    return {
        "record_id": f"CA-{i:05d}", "card_type": "DL", "real_id": "true",
        "first_name": FIRST[i % len(FIRST)], "middle_name": "", "last_name": f"Quill{i}",
        "suffix": "", "aka_names": "", "sex": "MF"[i % 2],
        "dob": (date(1940, 1, 1) + timedelta(days=7 * i)).isoformat(),  # no two alike
        "ssn_last5": f"{(i * 7919) % 99999:05d}", "issue_date": "2021-06-01",
        "expiry_date": "2029-06-01", "status": "active",
    }  # fmt: skip


def state_file() -> list[dict[str, str]]:
    """CA's file: duplicates of its own people, bad dates and repeated record ids."""
    rows = [person(i) for i in range(ROWS)]
    for i, r in enumerate(rows):
        if i % 97 == 50:  # the person of row i-40 again, under a new record id
            rows[i] = {**rows[i - 40], "record_id": r["record_id"]}
        elif i % 500 == 123:
            r["dob"] = "1990-02-30"
        elif i % 700 == 321:
            r["record_id"] = rows[i - 300]["record_id"]
    return rows


def outcome(rows: list[dict[str, str]]) -> tuple[list[str], int, int]:
    """The record ids a correct load stores, and how many rows it rejects for each reason."""
    stored: list[str] = []
    bad = repeated = 0
    for r in rows:
        if r["dob"] == "1990-02-30":
            bad += 1
        elif r["record_id"] in stored:
            repeated += 1
        else:
            stored.append(r["record_id"])
    return stored, bad, repeated


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def server(hub: Hub, settings: Settings, tmp_path: Path) -> Iterator[str]:
    """The same hub (database and key files) served by uvicorn in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    env.update(LPX_DATABASE_URL=settings.database_url, LPX_DATA_DIR=str(settings.data_dir))
    with uvicorn_app("lpx.api.app:create_app", env, tmp_path) as base:
        yield base


def test_kill_9_mid_file_and_rerun(hub: Hub, server: str, tmp_path: Path) -> None:
    keys = NetworkKeys.generate()
    key_file = tmp_path / "network-keys.json"
    keys.save(key_file)
    ca = hub.access.issue_credential("CA", "loader", [Role.RECORDS])
    ny = hub.access.issue_credential("NY", "loader", [Role.RECORDS])
    rows = state_file()
    expected, bad, repeated = outcome(rows)
    # NY already holds some of CA's people: those rows open cases with NY.
    ny_rows = [{**rows[i], "record_id": f"NY-{i:05d}"} for i in range(7, ROWS, 150)]
    with HubClient.connect(server, ny, "ops-ny") as client:
        assert load_file(write(tmp_path / "NY.csv", ny_rows), client, keys).ok

    path = write(tmp_path / "CA.csv", rows)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    env.update(LPX_API_KEY=ca, LPX_USER="ops-ca", LPX_NETWORK_KEYS=str(key_file),
               LPX_HUB_URL=server, COLUMNS="200")  # fmt: skip
    args = [sys.executable, "-m", "lpx.cli.main", "load", str(path), "--jurisdiction", "CA",
            "--batch-size", "50", "--skip-bad-rows"]  # fmt: skip
    first = subprocess.Popen(args, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # fmt: skip
    killed_at = _kill_when_committed(first, server, ca, ROWS // 5)
    assert 0 < killed_at < ROWS, "the loader must be killed mid-file"

    second = subprocess.run(args, env=env, cwd=tmp_path, capture_output=True, text=True,
                            timeout=600)  # fmt: skip
    assert second.returncode == 1, second.stdout + second.stderr  # some rows are rejected
    assert "Load summary" in second.stdout
    summary = json.loads((tmp_path / "CA.csv.summary.json").read_text())

    assert summary["status"] == "complete"
    assert summary["resumed_after_row"] >= killed_at
    assert summary["rows_read"] == ROWS
    assert summary["rows_read"] == (summary["rows_sent"] + summary["rejected"]
                                    + summary["withheld"] + summary["held_back"])  # fmt: skip
    assert (summary["rejected"], summary["rejected_reasons"]) == \
        (bad + repeated, {"dob": bad, "record_id": repeated})  # fmt: skip
    # Each record written once: added, never updated or rewritten as unchanged.
    assert (summary["added"], summary["updated"], summary["unchanged"]) == (len(expected), 0, 0)
    with hub.engine.connect() as conn:
        stored = conn.execute(select(t.pointers.c.record_id)
                              .where(t.pointers.c.jurisdiction == "CA")).scalars().all()
        c = w.cases.c
        cases = conn.execute(select(func.count(), func.count(c.pair_key.distinct())).where(
            (c.jurisdiction_a == "CA") | (c.jurisdiction_b == "CA"))).one()  # fmt: skip
    assert sorted(stored) == sorted(expected)
    opened = summary["cases_opened"]
    assert opened.get("CA", 0) >= ROWS // 97  # each person CA holds twice
    assert opened.get("NY", 0) >= len(ny_rows)
    assert cases[0] == cases[1] == sum(opened.values())


def _kill_when_committed(proc: subprocess.Popen[bytes], server: str, key: str,
                         rows: int) -> int:  # fmt: skip
    """SIGKILL the loader once the hub has committed ``rows`` rows of its upload."""
    headers = {"Authorization": f"Bearer {key}", "X-LPX-User": "watcher"}
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        items = httpx.get(f"{server}/v1/uploads", headers=headers, timeout=10).json()["items"]
        if items and items[0]["last_seq"] >= rows:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            return int(items[0]["last_seq"])
        time.sleep(0.02)
    proc.kill()
    proc.wait(timeout=30)
    return 0
