"""Two batches of one upload in flight at once (a loader keeps two, PostgreSQL).

The second batch writes its pointers while the first is still opening cases, then waits for
the first to commit before claiming its place: the upload still advances in file order, and
when the first fails the second is refused as out of order and leaves nothing behind. A
second batch that reaches its claim before the first does waits for it too. Two
writes racing on one record id end as one pointer, updated, not as a server error.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from helpers import pointer
from sqlalchemy import Engine, func, select, text

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.records import PointerRecord
from lpx.services.cases import Findings
from lpx.services.errors import Conflict
from lpx.services.uploads import BatchStats
from lpx.storage import tables as t
from lpx.storage.repositories import PointerRepository
from lpx.storage.upload_tables import UploadRepository

pytestmark = pytest.mark.postgres

ACTOR = Actor("CA", "loader", frozenset({Role.RECORDS}), 0)


@pytest.fixture
def pg_hub(hub: Hub, credentials: dict[str, str]) -> Hub:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite lets one writer in at a time: no batch is ever in flight beside "
                    "another")  # fmt: skip
    return hub


def _records(prefix: str, n: int) -> list[PointerRecord]:
    return [PointerIn.model_validate(pointer(f"{prefix}{i}", first_name=f"Ann{chr(97 + i)}",
                                             dob=f"19{50 + i}-0{1 + i % 9}-1{i % 9}"))
            .to_domain("CA") for i in range(n)]  # fmt: skip


def _written_and_waiting(engine: Engine, timeout: float = 10.0) -> None:
    """Until a backend waits for a lock while holding the row-write lock on ``pointers``:
    the second batch has written its pointers and waits for the first to commit."""
    deadline = time.monotonic() + timeout
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
                "WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' "
                "AND l.relation = 'pointers'::regclass AND l.mode = 'RowExclusiveLock' "
                "AND l.granted")).scalar_one()  # fmt: skip
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second batch did not write its pointers while the first ran")


def _hold_first_batch(hub: Hub, release: threading.Event, fail: bool) -> Callable[..., Any]:
    """Case opening of the first batch (record ids ``A*``) waits for ``release``, then
    carries on or fails; other batches pass straight through. Returns the undo."""
    opener = hub.pointers.cases
    assert opener is not None
    real = opener.open

    def open_cases(uow: Any, actor: Actor, findings: Findings, codec: Any) -> Any:
        probes = findings.batch.probes
        if probes and probes[0].record_id.startswith("A"):
            assert release.wait(20)
            if fail:
                raise RuntimeError("the first batch fails while the second waits")
        return real(uow, actor, findings, codec)

    opener.open = open_cases  # type: ignore[method-assign]
    return lambda: setattr(opener, "open", real)


def _two_in_flight(hub: Hub, fail_first: bool) -> dict[str, Any]:
    upload, _ = hub.uploads.start(ACTOR, "sha256:" + "ab" * 32 + ":100", "ca.csv")
    release = threading.Event()
    undo = _hold_first_batch(hub, release, fail_first)
    outcome: dict[str, Any] = {}

    def send(name: str, records: list[PointerRecord], seq: int) -> None:
        try:
            outcome[name] = hub.uploads.write_batch(ACTOR, upload.upload_id,
                                                    BatchStats(seq, 3), records)  # fmt: skip
        except Exception as exc:
            outcome[name] = exc

    first = threading.Thread(target=send, args=("first", _records("A", 3), 3))
    second = threading.Thread(target=send, args=("second", _records("B", 3), 6))
    try:
        first.start()
        time.sleep(0.2)  # the first batch is into case opening, holding the upload row
        second.start()
        _written_and_waiting(hub.engine)
        with hub.engine.connect() as conn:  # nothing of either is visible yet
            assert conn.execute(select(func.count()).select_from(t.pointers)).scalar_one() == 0
        release.set()
        first.join(30)
        second.join(30)
    finally:
        release.set()
        undo()
    outcome["upload"] = hub.uploads.progress(ACTOR, upload.upload_id)
    with hub.engine.connect() as conn:
        outcome["records"] = sorted(conn.execute(select(t.pointers.c.record_id)).scalars())
    return outcome


def test_the_second_batch_commits_after_the_first(pg_hub: Hub) -> None:
    out = _two_in_flight(pg_hub, fail_first=False)
    assert out["first"].added == 3, out
    assert out["second"].added == 3, out
    assert out["records"] == ["A0", "A1", "A2", "B0", "B1", "B2"]
    assert out["upload"].last_seq == 6
    assert out["upload"].rows_read == 6


def test_when_the_first_fails_the_second_is_refused_and_leaves_nothing(pg_hub: Hub) -> None:
    out = _two_in_flight(pg_hub, fail_first=True)
    assert isinstance(out["first"], RuntimeError), out
    assert isinstance(out["second"], Conflict), out
    assert "last committed row is 0" in str(out["second"])
    assert out["records"] == []
    assert out["upload"].last_seq == 0


def test_a_batch_that_overtakes_the_one_before_it_waits_for_it(
    pg_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first batch is held before its claim (in its candidate lookup) until the second
    has tried to claim the upload: the second lets go of the upload and waits, rather than
    being refused as out of order, and both commit in file order. The second starts once
    the first is in flight: one that reaches the hub before its predecessor is refused
    (the loader sends it again), which is not what this test is about."""
    upload, _ = pg_hub.uploads.start(ACTOR, "sha256:" + "cd" * 32 + ":100", "ca.csv")
    second_tried = threading.Event()
    first_in_flight = threading.Event()
    real_in_flight = UploadRepository.in_flight

    def in_flight(self: UploadRepository, *args: Any) -> None:
        real_in_flight(self, *args)
        if threading.current_thread().name == "first":
            first_in_flight.set()

    def noting(step: Callable[..., Any]) -> Callable[..., Any]:
        def noted(self: UploadRepository, *args: Any) -> Any:
            if threading.current_thread().name == "second":
                second_tried.set()
            return step(self, *args)

        return noted

    opener = pg_hub.pointers.cases
    assert opener is not None
    real_find = opener.find

    def find(uow: Any, probes: Any, codec: Any) -> Any:
        if probes and probes[0].record_id.startswith("A"):
            assert second_tried.wait(20)
        return real_find(uow, probes, codec)

    for step in ("after_batch", "lock"):  # whichever the second's claim calls first
        monkeypatch.setattr(UploadRepository, step, noting(getattr(UploadRepository, step)))
    monkeypatch.setattr(opener, "find", find)
    monkeypatch.setattr(UploadRepository, "in_flight", in_flight)
    outcome: dict[str, Any] = {}

    def send(records: list[PointerRecord], seq: int) -> None:
        try:
            outcome[threading.current_thread().name] = pg_hub.uploads.write_batch(
                ACTOR, upload.upload_id, BatchStats(seq, 3), records
            )
        except Exception as exc:
            outcome[threading.current_thread().name] = exc

    threads = [threading.Thread(target=send, args=(_records(p, 3), seq), name=name)
               for name, p, seq in (("first", "A", 3), ("second", "B", 6))]  # fmt: skip
    threads[0].start()
    assert first_in_flight.wait(20)
    threads[1].start()
    for th in threads:
        th.join(30)
    assert outcome["first"].added == 3, outcome
    assert outcome["second"].added == 3, outcome
    assert pg_hub.uploads.progress(ACTOR, upload.upload_id).last_seq == 6


def test_two_writes_racing_on_one_record_id_end_as_one_pointer(
    pg_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both read "no such record" before either writes; the loser runs again and updates."""
    both_read = threading.Barrier(2, timeout=20)
    seen = threading.local()  # only each thread's first read waits at the barrier
    real = PointerRepository.by_records

    def by_records(self: PointerRepository, jurisdiction: str, ids: list[str]) -> Any:
        found = real(self, jurisdiction, ids)
        if not getattr(seen, "done", False):
            seen.done = True
            both_read.wait()
        return found

    results: list[Any] = []

    def write(first_name: str) -> None:
        record = PointerIn.model_validate(pointer("R1", first_name=first_name)).to_domain("CA")
        try:
            results.append(pg_hub.pointers.upsert_batch(ACTOR, [record]))
        except Exception as exc:
            results.append(exc)

    monkeypatch.setattr(PointerRepository, "by_records", by_records)
    threads = [threading.Thread(target=write, args=(n,)) for n in ("Willa", "Wilma")]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted((r.added, r.updated) for r in results) == [(0, 1), (1, 0)], results
    with pg_hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.pointers)).scalar_one() == 1
