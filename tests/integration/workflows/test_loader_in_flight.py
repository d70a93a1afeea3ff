"""A load with several batches in flight ends exactly as the same load one batch at a time:
same pointers, same rows by line, same upload counts, even when the hub refuses a batch
while the ones behind it are already on their way (they are refused as out of order and
sent again with its counts)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_loader_resume import KEYS, row, write

from lpx.bootstrap import Hub
from lpx.client.hub import BatchResult, HubClient, HubError
from lpx.client.loader import LoadReport, load_file
from lpx.domain.policy import UploadPolicy
from lpx.storage.policy_tables import PolicyRepository


class SeqClient(HubClient):
    """Records the seq of every batch sent, and the hub's answer to it."""

    def __init__(self, http: TestClient, key: str) -> None:
        super().__init__(http, key, "ops-1")
        self.answers: list[tuple[int, int]] = []  # (seq, HTTP status)
        self._lock = threading.Lock()

    def close(self) -> None:
        pass

    def upload_batch(self, upload_id: str, pointers: Sequence[Mapping[str, Any]],
                     stats: Mapping[str, Any]) -> BatchResult:  # fmt: skip
        try:
            result = super().upload_batch(upload_id, pointers, stats)
        except HubError as exc:
            with self._lock:
                self.answers.append((int(stats["seq"]), exc.status))
            raise
        with self._lock:
            self.answers.append((int(stats["seq"]), 200))
        return result


def _load(hub: Hub, tmp_path: Path, client: SeqClient, state: str,
          in_flight: int) -> LoadReport:  # fmt: skip
    """95 rows in batches of 10; the hub refuses batches 2 and 7 (the state's declared
    policy admits REAL ID cards only, and the loader is not given it)."""
    with hub.engine.begin() as conn:
        PolicyRepository(conn).put(state, UploadPolicy(real_id_only=True), "admin-1")
    rows = [row(i) | {"record_id": f"{state}-{i:05d}", "last_name": f"{state} Quill{i}"}
            for i in range(95)]
    rows[17]["real_id"] = rows[64]["real_id"] = "false"
    path = write(tmp_path / f"{state}-{in_flight}.csv", rows)
    return load_file(path, client, KEYS, batch_size=10, jurisdiction=state, resume=True,
                     in_flight=in_flight)  # fmt: skip


def _outcome(report: LoadReport) -> dict[str, Any]:
    """The summary, less what differs between two states' uploads of the same people."""
    summary = report.summary()
    return {k: v for k, v in summary.items() if k not in ("upload_id", "cases_opened")}


@pytest.mark.parametrize("in_flight", [2, 4])
def test_in_flight_load_ends_as_a_sequential_one(
    hub: Hub, tmp_path: Path, hub_client: TestClient, credentials: dict[str, str],
    in_flight: int,
) -> None:
    one = _load(hub, tmp_path, SeqClient(hub_client, credentials["CA"]), "CA", 1)
    client = SeqClient(hub_client, credentials["NY"])
    many = _load(hub, tmp_path, client, "NY", in_flight)
    assert _outcome(many) == _outcome(one)
    assert [(e.line, e.field) for e in many.rejected] == [(19, "real_id"), (66, "real_id")]
    assert (many.rows_read, many.added, many.rows_held_back, many.rejected_rows) == (95, 75, 18, 2)
    assert many.status == "complete"
    # Every batch the hub refused as out of order was sent again and committed.
    committed = sorted(seq for seq, status in client.answers if status == 200)
    assert committed == [10, 30, 40, 50, 60, 80, 90, 95]
    assert {seq for seq, status in client.answers if status == 422} == {20, 70}
    assert {status for _, status in client.answers} <= {200, 409, 422}
