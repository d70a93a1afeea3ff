"""Two states writing the same person at the same moment still get their duplicate case.

A write looks for candidates before it takes the case-opening lock (so a bulk load's
batches overlap), and cannot see pointers another writer has not yet committed. Under the
lock it catches up on what committed since its lookup (``MatchLookup.since``); these tests
hold writers at a barrier at the points where a writer without that catch-up would miss
the other: both written and neither looked, both looked and neither opened. The catch-up
also drops a candidate deleted meanwhile and rescores one changed meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from helpers import pointer
from sqlalchemy import func, select

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.linkage import MAX_CANDIDATES
from lpx.services.cases import CaseOpener
from lpx.storage import workflow_repositories
from lpx.storage import workflow_tables as w

pytestmark = pytest.mark.postgres


@pytest.fixture
def opener(hub: Hub) -> CaseOpener:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock keeps the second writer out until the first commits")
    assert hub.pointers.cases is not None
    return hub.pointers.cases


def _actor(state: str) -> Actor:
    return Actor(state, "clerk-1", frozenset({Role.RECORDS}), 0)


def _write(hub: Hub, state: str, record_id: str, **fields: Any) -> dict[str, int]:
    record = PointerIn.model_validate(pointer(record_id, **fields)).to_domain(state)
    return hub.pointers.upsert_batch(_actor(state), [record]).cases_opened


def _cases(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(w.cases)).scalar_one()


@contextmanager
def _pause(opener: CaseOpener, step: str, wait: Callable[[], Any]) -> Iterator[None]:
    """Every writer calls ``wait`` before case opening's ``step`` ("find" or "open")."""
    real = getattr(opener, step)

    def paused(*args: Any) -> Any:
        wait()
        return real(*args)

    setattr(opener, step, paused)
    try:
        yield
    finally:
        setattr(opener, step, real)


def _both_at_once(hub: Hub, opener: CaseOpener, step: str) -> dict[str, dict[str, int]]:
    both_in = threading.Barrier(2, timeout=20)
    results: dict[str, dict[str, int]] = {}
    errors: list[BaseException] = []

    def write(state: str, record_id: str) -> None:
        try:
            results[state] = _write(hub, state, record_id)
        except BaseException as exc:  # the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=args) for args in (("CA", "C1"),
                                                                      ("NY", "N1"))]
    with _pause(opener, step, both_in.wait):
        for th in threads:
            th.start()
        for th in threads:
            th.join(30)
    assert not errors, errors
    return results


@pytest.mark.parametrize("step", ["find", "open"])
def test_two_states_writing_one_person_at_once_open_one_case(
    hub: Hub, opener: CaseOpener, credentials: dict[str, str], step: str
) -> None:
    results = _both_at_once(hub, opener, step)
    assert _cases(hub) == 1
    # Whichever committed second found the first one's pointer and opened the case.
    assert sorted(results.values(), key=len) == [{}, {"CA": 1} if results["NY"] else {"NY": 1}]


def test_a_writer_that_looked_too_long_ago_looks_again_in_full(
    hub: Hub, opener: CaseOpener, credentials: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With one epoch kept, the first writer's list is pruned by the time the second takes
    the lock: only looking again in full finds the pair."""
    monkeypatch.setattr(workflow_repositories, "EPOCHS_KEPT", 1)
    _both_at_once(hub, opener, "open")
    assert _cases(hub) == 1


def _between_find_and_open(hub: Hub, opener: CaseOpener, meanwhile: Callable[[], Any]) -> None:
    """CA writes the person; after its lookup and before its case opening, ``meanwhile``
    runs (and commits) in another thread."""
    done = threading.Event()

    def run_meanwhile() -> None:
        if not done.is_set():
            done.set()
            worker = threading.Thread(target=meanwhile)
            worker.start()
            worker.join(20)

    with _pause(opener, "open", run_meanwhile):
        _write(hub, "CA", "C1")


def test_a_candidate_deleted_after_the_lookup_gets_no_case(
    hub: Hub, opener: CaseOpener, credentials: dict[str, str]
) -> None:
    _write(hub, "NY", "N1")
    _between_find_and_open(hub, opener, lambda: hub.pointers.delete(_actor("NY"), "N1"))
    assert _cases(hub) == 0


@pytest.mark.parametrize(("before", "after", "cases"), [
    ({}, {"first_name": "Zebulon", "last_name": "Okafor", "dob": "1955-11-30"}, 0),
    ({"first_name": "Zebulon", "last_name": "Okafor", "dob": "1955-11-30"}, {}, 1),
])  # fmt: skip
def test_a_candidate_changed_after_the_lookup_is_scored_as_it_now_is(
    hub: Hub, opener: CaseOpener, credentials: dict[str, str],
    before: dict[str, str], after: dict[str, str], cases: int,
) -> None:  # fmt: skip
    """NY's pointer turns into someone else (or into CA's person) while CA's write is
    between its lookup and its case opening: CA's case follows the pointer as it now is."""
    _write(hub, "NY", "N1", **before)
    _between_find_and_open(hub, opener, lambda: _write(hub, "NY", "N1", **after))
    assert _cases(hub) == cases


def test_a_probe_keeps_its_best_pairs_when_the_catch_up_adds_more(
    hub: Hub, opener: CaseOpener, credentials: dict[str, str]
) -> None:
    """NY holds the person MAX_CANDIDATES times; TX writes the person once more while CA's
    write is between its lookup and its case opening. The catch-up's pair joins the
    lookup's, and CA's pointer still opens no more cases than one scoring pass keeps."""
    for i in range(MAX_CANDIDATES):
        _write(hub, "NY", f"N{i}")
    _between_find_and_open(hub, opener, lambda: _write(hub, "TX", "T1"))
    with hub.engine.connect() as conn:
        mine = conn.execute(select(func.count()).select_from(w.cases).where(
            (w.cases.c.record_id_a == "C1") | (w.cases.c.record_id_b == "C1"))).scalar_one()
    assert mine == MAX_CANDIDATES
