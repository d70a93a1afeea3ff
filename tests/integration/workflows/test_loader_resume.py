"""A load that stops part-way resumes from the hub's last committed batch (in process).

The crash is an exception the loader does not handle, raised before a batch leaves, as a
kill would stop it; the subprocess test (test_loader_resume_kill.py) does it with kill -9.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth

from lpx.client.files import COLUMNS
from lpx.client.hub import BatchResult, HubClient
from lpx.client.keys import NetworkKeys
from lpx.client.loader import load_file
from lpx.client.rows import RowError

KEYS = NetworkKeys.generate()


class Crash(BaseException):
    """Stands in for a kill: nothing in the loader catches it."""


class CountingClient(HubClient):
    def __init__(self, http: TestClient, key: str, crash_at: int | None = None) -> None:
        super().__init__(http, key, "ops-1")
        self.sent: list[int] = []  # seq of each batch sent
        self.crash_at = crash_at

    def close(self) -> None:
        pass

    def upload_batch(self, upload_id: str, pointers: Sequence[Mapping[str, Any]],
                     stats: Mapping[str, Any]) -> BatchResult:  # fmt: skip
        if self.crash_at is not None and len(self.sent) + 1 == self.crash_at:
            raise Crash
        self.sent.append(int(stats["seq"]))
        return super().upload_batch(upload_id, pointers, stats)


def row(i: int) -> dict[str, str]:
    return {
        "record_id": f"CA-{i:05d}", "card_type": "DL", "real_id": "true",
        "first_name": ["Ana", "Ben", "Chloé", "Dmitri"][i % 4], "middle_name": "",
        "last_name": f"Quill{i}", "suffix": "", "aka_names": "",
        "dob": date(1950 + i % 50, 1 + i % 12, 1 + i % 28).isoformat(), "sex": "F",
        "ssn_last5": f"{(i * 7919) % 99999:05d}", "issue_date": "2021-06-01",
        "expiry_date": "2029-06-01", "status": "active",
    }  # fmt: skip


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def line_of(index: int) -> int:
    return index + 2


def test_a_crashed_load_resumes_after_the_last_committed_batch(
    tmp_path: Path, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    rows = [row(i) for i in range(40)]
    rows[7]["dob"] = "1990-02-30"  # batch 2 (rows 5-9) is held back for it
    rows[23]["record_id"] = rows[2]["record_id"]  # repeats a row committed before the crash
    path = write(tmp_path / "CA.csv", rows)
    crashing = CountingClient(hub_client, credentials["CA"], crash_at=3)
    with pytest.raises(Crash):
        load_file(path, crashing, KEYS, batch_size=5, jurisdiction="CA", resume=True)
    assert crashing.sent == [5, 15]  # batch 2 was held back; batch 4 never left

    rerun = CountingClient(hub_client, credentials["CA"])
    report = load_file(path, rerun, KEYS, batch_size=5, jurisdiction="CA", resume=True)
    assert rerun.sent == [20, 30, 35, 40]  # rows 21-25 held back for the repeated record_id
    assert report.resumed_after == 15
    assert report.status == "complete"
    assert [(e.line, e.field) for e in report.rejected] == [(line_of(7), "dob"),
                                                            (line_of(23), "record_id")]
    assert report.rejected[1] == RowError(line_of(23), "record_id",
                                          f"repeats the record_id of line {line_of(2)}")
    assert (report.rows_read, report.added, report.updated, report.unchanged) == (40, 30, 0, 0)
    assert (report.rejected_rows, report.rows_held_back, report.withheld) == (2, 8, 0)
    assert dict(report.rejected_reasons) == {"dob": 1, "record_id": 1}
    assert report.rows_read == (report.rows_written + report.rejected_rows
                                + report.rows_held_back + report.withheld)  # fmt: skip
    ids = [p["record_id"] for p in hub_client.get("/v1/pointers?limit=500",
                                                  headers=auth(credentials["CA"])).json()["items"]]
    assert len(ids) == len(set(ids)) == 30

    again = CountingClient(hub_client, credentials["CA"])
    same = load_file(path, again, KEYS, batch_size=5, jurisdiction="CA", resume=True)
    assert again.sent == []  # a complete upload sends nothing more
    assert same.summary() == report.summary() | {"resumed_after_row": 40}


def test_a_resume_may_use_another_batch_size(
    tmp_path: Path, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    """Batches are numbered by file row, so the rerun's batches need not line up."""
    path = write(tmp_path / "CA.csv", [row(i) for i in range(23)])
    crashing = CountingClient(hub_client, credentials["CA"], crash_at=3)
    with pytest.raises(Crash):
        load_file(path, crashing, KEYS, batch_size=4, jurisdiction="CA", resume=True)
    rerun = CountingClient(hub_client, credentials["CA"])
    report = load_file(path, rerun, KEYS, batch_size=10, jurisdiction="CA", resume=True)
    assert rerun.sent == [18, 23]
    assert (report.rows_read, report.added, report.resumed_after) == (23, 23, 8)
