"""``lpx cases list|export|resolve`` end to end: the real command talking HTTP to a real hub
(uvicorn on a free port, serving the migrated SQLite or PostgreSQL hub of the fixture)."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from click.testing import Result
from fastapi.testclient import TestClient
from helpers import auth, pointer
from rich.console import Console
from servers import free_port
from typer.testing import CliRunner

from lpx.api.app import create_app
from lpx.bootstrap import Hub
from lpx.cli import cases as cases_cli
from lpx.cli.main import app

PEOPLE = [("Okafor", "1961-01-11"), ("Lindqvist", "1962-02-12"), ("Haddad", "1963-03-13"),
          ("Nakamura", "1964-04-14"), ("Fitzgerald", "1965-05-15")]  # fmt: skip
COLUMNS = ["case_id", "jurisdiction_a", "record_id_a", "jurisdiction_b", "record_id_b",
           "weight", "class", "status", "opened_at"]  # fmt: skip


@pytest.fixture
def served(hub: Hub) -> Iterator[str]:
    """The hub behind a real HTTP server, for the duration of one test."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(hub), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(600):  # wait for it to listen (not a timing assertion)
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "the hub did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=60)


@pytest.fixture
def queue(hub: Hub, credentials: dict[str, str]) -> list[dict[str, Any]]:
    """CA's queue: five cases with NY (two REAL ID conflicts), as the API lists them."""
    with TestClient(create_app(hub)) as client:
        people = [pointer(f"C{i}", first_name="Quill", middle_name="", last_name=last, dob=dob)
                  for i, (last, dob) in enumerate(PEOPLE)]  # fmt: skip
        client.post("/v1/pointers/batch", json={"pointers": people},
                    headers=auth(credentials["CA"]))  # fmt: skip
        for p in people:
            p.update(record_id=p["record_id"].replace("C", "N"), real_id=p["record_id"] < "C2")
        resp = client.post("/v1/pointers/batch", json={"pointers": people},
                           headers=auth(credentials["NY"]))  # fmt: skip
        assert resp.json()["cases_opened"] == {"CA": 5}
        items = client.get("/v1/cases", headers=auth(credentials["CA"])).json()["items"]
    return items  # type: ignore[no-any-return]


def lpx(url: str, key: str, *args: str) -> Result:
    return CliRunner().invoke(app, ["cases", *args, "--hub", url, "--api-key", key,
                                    "--user", "ann"])  # fmt: skip


@pytest.fixture(autouse=True)
def small_pages_and_a_wide_table(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages of two, so five cases take three requests; a table wide enough for full ids."""
    monkeypatch.setattr(cases_cli, "PAGE", 2)
    monkeypatch.setattr(cases_cli, "out", Console(width=250))


def test_list_shows_the_queue_conflicts_first(
    served: str, credentials: dict[str, str], queue: list[dict[str, Any]]
) -> None:
    result = lpx(served, credentials["CA"], "list")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "-" in line and "│" in line]
    ids = [next(cell.strip() for cell in line.split("│") if len(cell.strip()) == 36)
           for line in lines]  # fmt: skip
    assert ids == [c["case_id"] for c in queue]
    assert [("yes" in line.split("│")[9]) for line in lines] == [True, True, False, False, False]
    limited = lpx(served, credentials["CA"], "list", "--limit", "3")
    assert sum(c["case_id"] in limited.stdout for c in queue) == 3
    for args in (["--status", "closed"], ["--overdue"]):
        none = lpx(served, credentials["CA"], "list", *args)
        assert (none.exit_code, none.stdout.strip()) == (0, "No cases.")
    assert "No cases." in lpx(served, credentials["TX"], "list").stdout


def test_export_writes_every_case_with_the_agreed_columns(
    served: str, credentials: dict[str, str], queue: list[dict[str, Any]], tmp_path: Path
) -> None:
    target = tmp_path / "cases.csv"
    result = lpx(served, credentials["CA"], "export", "--format", "csv", "--out", str(target))
    assert result.exit_code == 0, result.output
    assert "Exported 5 case(s) as csv" in result.output
    assert not (tmp_path / "cases.csv.part").exists()
    with target.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == COLUMNS
    got = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    assert [r["case_id"] for r in got] == [c["case_id"] for c in queue]
    for row, case in zip(got, queue, strict=True):
        assert (row["jurisdiction_a"], row["record_id_a"], row["jurisdiction_b"],
                row["record_id_b"], row["class"], row["status"]) == (
            case["jurisdiction_a"], case["record_id_a"], case["jurisdiction_b"],
            case["record_id_b"], case["match_class"], case["status"])  # fmt: skip
        assert float(row["weight"]) == case["weight"]
        assert datetime.fromisoformat(row["opened_at"]) == \
            datetime.fromisoformat(case["opened_at"])  # fmt: skip
    to_stdout = lpx(served, credentials["CA"], "export", "--format", "csv")
    assert to_stdout.exit_code == 0, to_stdout.output
    assert list(csv.reader(io.StringIO(to_stdout.stdout))) == rows
    wrong = lpx(served, credentials["CA"], "export", "--format", "xml")
    assert wrong.exit_code == 2


def test_resolve_moves_a_case_and_refusals_exit_2(
    served: str, credentials: dict[str, str], queue: list[dict[str, Any]], tmp_path: Path
) -> None:
    case_id = queue[0]["case_id"]
    done = lpx(served, credentials["NY"], "resolve", case_id, "--as", "different_people")
    assert done.exit_code == 0, done.output
    assert f"Case {case_id} is now different_people." in done.stdout
    listed = lpx(served, credentials["CA"], "list")
    assert case_id not in listed.stdout
    final = lpx(served, credentials["CA"], "list", "--status", "different_people")
    assert case_id in final.stdout
    again = lpx(served, credentials["CA"], "resolve", case_id, "--as", "same_person")
    assert again.exit_code == 2
    assert "409" in again.output
    assert "cannot become same_person" in again.output
    other = lpx(served, credentials["TX"], "resolve", queue[1]["case_id"], "--as", "same_person")
    assert (other.exit_code, "404" in other.output) == (2, True)
    bad = lpx(served, credentials["CA"], "resolve", case_id, "--as", "open")
    assert bad.exit_code == 2
    refused = lpx(served, "lpx_ca_not-a-key", "export", "--out", str(tmp_path / "x.csv"))
    assert refused.exit_code == 2
    assert "401" in refused.output
    assert not (tmp_path / "x.csv").exists()
    assert not (tmp_path / "x.csv.part").exists()
