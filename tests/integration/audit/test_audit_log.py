"""Appending, sealing in batches, proofs from stored nodes, and the audit routes."""

from __future__ import annotations

import base64
import itertools
import threading
from typing import Any

import pytest
from audit_support import Recorder
from fastapi.testclient import TestClient
from helpers import auth
from sqlalchemy import func, select

from lpx.audit import AuditService
from lpx.audit.entries import Action, AuditEntry, AuditEvent, InvalidEntry
from lpx.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from lpx.audit.repository import AuditRepository
from lpx.audit.sealer import BackgroundSealer
from lpx.audit.signing import verify_head
from lpx.bootstrap import Hub
from lpx.storage import tables as t


def all_leaves(hub: Hub) -> list[bytes]:
    with hub.engine.connect() as conn:
        rows = conn.execute(select(t.audit_entries.c.leaf_data).order_by(t.audit_entries.c.seq))
        return [bytes(r[0]) for r in rows]


def test_an_empty_log_seals_the_empty_root(audit: AuditService) -> None:
    head = audit.seal()
    assert (head.size, head.root_hash) == (0, EMPTY_ROOT)
    verify_head(head, audit.public_key())


def test_entries_are_numbered_positioned_and_dated_in_order(hub: Hub, record: Recorder) -> None:
    a = record("CA", ("NY",))
    b = record("NY", ())
    c = record("TX", ("CA", "NY"))
    assert [a.seq, b.seq, c.seq] == [0, 1, 2]
    assert a.positions == {"CA": 0, "NY": 0}
    assert b.positions == {"NY": 1}
    assert c.positions == {"CA": 1, "NY": 2, "TX": 0}
    assert a.time_us <= b.time_us <= c.time_us
    leaves = all_leaves(hub)
    assert [AuditEntry.from_leaf(x) for x in leaves] == [a, b, c]


def test_the_log_time_never_goes_back_when_the_clock_does(hub: Hub, audit: AuditService) -> None:
    event = AuditEvent("CA", "clerk-1", ("clerk",), Action.INQUIRY_STATUS)
    with hub.engine.begin() as conn:
        first = AuditRepository(conn).append(event, 2_000_000)
        second = AuditRepository(conn).append(event, 1_000_000)  # the clock stepped back
    assert second.time_us == first.time_us == 2_000_000


def test_an_entry_rolled_back_with_its_transaction_leaves_no_gap(
    hub: Hub, audit: AuditService, record: Recorder
) -> None:
    record()
    with hub.engine.connect() as conn, conn.begin():
        audit.log.append(conn, AuditEvent("CA", "u", ("clerk",), Action.EXPORT))
        conn.rollback()
    assert record().seq == 1
    assert audit.seal().size == 2


def test_personal_data_cannot_enter_an_entry(hub: Hub, audit: AuditService) -> None:
    bad = AuditEvent("CA", "clerk-1", ("clerk",), Action.INQUIRY_SEARCH,
                     pointer_ids=("William Garcia 1980-03-05",))  # fmt: skip
    with hub.engine.begin() as conn, pytest.raises(InvalidEntry, match="pointer_ids"):
        audit.log.append(conn, bad)
    with hub.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.audit_entries)).scalar() == 0


def test_batched_seals_match_a_tree_built_in_memory(hub: Hub, audit: AuditService,
                                                    record: Recorder) -> None:  # fmt: skip
    heads = []
    for batch in (1, 2, 5, 8, 1, 13):
        for _ in range(batch):
            record()
        heads.append(audit.seal())
    tree = MemoryTree(leaf_hash(x) for x in all_leaves(hub))
    for head in heads:
        assert head.root_hash == tree.root(head.size)
        verify_head(head, audit.public_key())
    assert audit.seal() == heads[-1]  # nothing new: the same head
    for old in heads:
        for new in heads:
            if old.size <= new.size:
                proof = audit.consistency(admin(), old.size, new.size)
                verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)


def admin(jurisdiction: str = "CA") -> Any:
    from lpx.auth.permissions import Role
    from lpx.auth.policy import Actor

    return Actor(jurisdiction, "admin-1", frozenset({Role.STATE_ADMIN}), 1)


def test_feed_gives_a_state_its_entries_with_proofs(audit: AuditService,
                                                    record: Recorder) -> None:  # fmt: skip
    for i in range(30):
        record("CA" if i % 3 else "NY", ("TX",) if i % 2 else ())
    page = audit.feed(admin("NY"), "NY", limit=4)
    seen = []
    while True:
        for item in page.items:
            assert leaf_hash(item.leaf_data) == item.leaf_hash
            verify_inclusion(item.seq, page.head.size, item.leaf_hash, item.proof,
                             page.head.root_hash)  # fmt: skip
            seen.append(AuditEntry.from_leaf(item.leaf_data))
        if page.next_cursor is None:
            break
        page = audit.feed(admin("NY"), "NY", page.next_cursor, 4, page.head.size)
    assert [e.seq for e in seen] == list(range(0, 30, 3))
    assert [e.positions["NY"] for e in seen] == list(range(10))


@pytest.mark.postgres
def test_concurrent_appends_stay_gapless_and_ordered(hub: Hub, audit: AuditService) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; this checks PostgreSQL's row lock")
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for _ in range(n):
                with hub.engine.begin() as conn:
                    audit.log.append(conn, AuditEvent("CA", "u", ("clerk",), Action.EXPORT,
                                                      jurisdictions=frozenset({"NY"})))  # fmt: skip
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(15,)) for _ in range(8)]
    sealer = threading.Thread(target=lambda: [audit.seal() for _ in range(10)])
    for th in [*threads, sealer]:
        th.start()
    for th in [*threads, sealer]:
        th.join()
    assert not errors
    entries = [AuditEntry.from_leaf(x) for x in all_leaves(hub)]
    assert [e.seq for e in entries] == list(range(120))
    assert [e.positions["NY"] for e in entries] == list(range(120))
    assert all(a.time_us <= b.time_us for a, b in itertools.pairwise(entries))
    head = audit.seal()
    assert head.root_hash == MemoryTree(leaf_hash(e.leaf()) for e in entries).root()


def test_background_sealer_seals_when_a_batch_is_due(audit: AuditService,
                                                     record: Recorder) -> None:  # fmt: skip
    sealer = BackgroundSealer(audit, every_entries=3, every_seconds=3600)
    assert sealer.run_once()  # first ever head
    record()
    assert not sealer.run_once()
    record()
    record()
    assert sealer.run_once()
    assert audit.seal().size == 3


def test_routes_serve_heads_proofs_and_feeds(client: TestClient, keys: dict[str, str],
                                             record: Recorder) -> None:  # fmt: skip
    for _ in range(3):
        record("CA", ("NY",))
    first = client.get("/v1/audit/tree-head", headers=auth(keys["CA"])).json()
    record("NY", ())
    second = client.get("/v1/audit/tree-head", headers=auth(keys["clerk"])).json()
    assert (first["size"], second["size"]) == (3, 4)
    proof = client.get("/v1/audit/consistency", params={"from": 3, "to": 4},
                       headers=auth(keys["CA"])).json()["proof"]  # fmt: skip
    verify_consistency(3, 4, bytes.fromhex(first["root_hash"]), bytes.fromhex(second["root_hash"]),
                       [bytes.fromhex(p) for p in proof])  # fmt: skip
    feed = client.get("/v1/audit/entries", params={"jurisdiction": "CA", "tree_size": 3},
                      headers=auth(keys["CA"])).json()  # fmt: skip
    assert feed["tree_head"]["size"] == 3
    assert feed["next_cursor"] is None
    for item in feed["items"]:
        data = base64.b64decode(item["leaf_data"])
        verify_inclusion(item["seq"], 3, leaf_hash(data), [bytes.fromhex(p) for p in item["proof"]],
                         bytes.fromhex(first["root_hash"]))  # fmt: skip
    assert len(feed["items"]) == 3


@pytest.mark.parametrize(("key", "jurisdiction", "status"), [
    ("CA", "CA", 200), ("CA", "NY", 403), ("NY", "NY", 200), ("auditor", "CA", 200),
    ("clerk", "CA", 403), ("records", "CA", 403), (None, "CA", 401),
])  # fmt: skip
def test_feed_is_own_state_only_except_for_auditors(
    client: TestClient, keys: dict[str, str], key: str | None, jurisdiction: str, status: int
) -> None:
    headers = auth(keys[key]) if key else {}
    resp = client.get("/v1/audit/entries", params={"jurisdiction": jurisdiction},
                      headers=headers)  # fmt: skip
    assert resp.status_code == status
    if status != 200:
        assert resp.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("params", [
    {"from": 5, "to": 3}, {"from": 0, "to": 99}, {"from": -1, "to": 2}, {"from": "x", "to": 1},
])  # fmt: skip
def test_bad_consistency_requests_get_problems(client: TestClient, keys: dict[str, str],
                                               params: dict[str, Any]) -> None:  # fmt: skip
    client.get("/v1/audit/tree-head", headers=auth(keys["CA"]))
    resp = client.get("/v1/audit/consistency", params=params, headers=auth(keys["CA"]))
    assert resp.status_code in (400, 404, 422)
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_feed_against_an_unknown_head_is_not_found(client: TestClient,
                                                   keys: dict[str, str]) -> None:  # fmt: skip
    resp = client.get("/v1/audit/entries", params={"jurisdiction": "CA", "tree_size": 7},
                      headers=auth(keys["CA"]))  # fmt: skip
    assert resp.status_code == 404
