"""Change of state of record over the API, its cursor-paged list, and parallel transfers
on PostgreSQL."""

from __future__ import annotations

import base64
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import update

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.services.errors import ServiceError
from lpx.services.transfers import TransferRequest, card
from lpx.storage import workflow_tables as w


def _move(client: TestClient, key: str, pointer_id: str, record_id: str = "NEW1") -> Any:
    return client.post("/v1/transfers", headers=auth(key), json={
        "pointer_id": pointer_id, "record_id": record_id, "card_type": "DL", "real_id": True})


def test_transfer_moves_the_pointer_notifies_and_is_confirmed(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    old = hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca)).json()
    first = _move(hub_client, ny, old["pointer_id"])
    again = _move(hub_client, ny, old["pointer_id"])
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json() == first.json()
    t = first.json()
    assert (t["from_jurisdiction"], t["to_jurisdiction"], t["status"]) == \
        ("CA", "NY", "pending_confirmation")  # fmt: skip
    moved = hub_client.get("/v1/pointers/records/NEW1", headers=auth(ny)).json()
    assert moved["pointer_id"] == old["pointer_id"]
    assert moved["version"] == 2
    assert moved["last_name"] == "Garcia Lopez"
    assert hub_client.get("/v1/pointers/records/C1", headers=auth(ca)).status_code == 404
    feed = hub_client.get("/v1/notifications", headers=auth(ca)).json()
    assert [n["kind"] for n in feed["items"]] == ["transfer.requested"]
    assert feed["items"][0]["ref"] == t["transfer_id"]
    # Only the former SOR answers.
    url = f"/v1/transfers/{t['transfer_id']}/answer"
    assert hub_client.post(url, json={"answer": "confirmed"}, headers=auth(ny)).status_code == 409
    done = hub_client.post(url, json={"answer": "confirmed"}, headers=auth(ca))
    assert done.status_code == 200
    assert done.json()["status"] == "confirmed"
    ny_feed = hub_client.get("/v1/notifications", headers=auth(ny)).json()
    assert [n["kind"] for n in ny_feed["items"]] == ["transfer.confirmed"]
    # A state reads on from its cursor: nothing new, nothing lost.
    later = hub_client.get(f"/v1/notifications?after={ny_feed['next_cursor']}", headers=auth(ny))
    assert later.json()["items"] == []


def test_transfer_refusals(hub_client: TestClient, credentials: dict[str, str]) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    own = hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca)).json()
    assert _move(hub_client, ca, own["pointer_id"]).status_code == 409  # own pointer
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1", first_name="Otto"),
                   headers=auth(ny))  # fmt: skip
    taken = _move(hub_client, ny, own["pointer_id"], record_id="N1")
    assert taken.status_code == 409  # would leave NY with two pointers under one record id
    missing = _move(hub_client, ny, "00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404


def _moves(hub: Hub, client: TestClient, credentials: dict[str, str], n: int) -> list[str]:
    """``n`` CA pointers taken over by NY; the first three share one request time (to the
    microsecond), so the list's order falls back to the transfer id there."""
    ca, ny = credentials["CA"], credentials["NY"]
    ids = []
    for i in range(n):
        person = pointer(f"C{i}", first_name=f"Ann{'a' * i}")
        old = client.put(f"/v1/pointers/records/C{i}", json=person, headers=auth(ca)).json()
        moved = _move(client, ny, old["pointer_id"], record_id=f"N{i}")
        assert moved.status_code == 201, moved.text
        ids.append(moved.json()["transfer_id"])
    same = datetime(2026, 11, 2, 16, 0, 0, 123456, tzinfo=UTC)
    with hub.engine.begin() as conn:
        conn.execute(update(w.transfers).where(w.transfers.c.transfer_id.in_(ids[:3]))
                     .values(requested_at=same))  # fmt: skip
        for i, transfer_id in enumerate(ids[3:]):
            conn.execute(update(w.transfers).where(w.transfers.c.transfer_id == transfer_id)
                         .values(requested_at=same + timedelta(minutes=i + 1)))  # fmt: skip
    return sorted(ids[:3]) + ids[3:]


def _walk(client: TestClient, key: str, query: str) -> tuple[list[str], int]:
    items: list[str] = []
    cursor, pages = None, 0
    while pages < 20:  # a list of 8: more pages than this means the cursor went round
        suffix = f"&cursor={cursor}" if cursor else ""
        resp = client.get(f"/v1/transfers?{query}{suffix}", headers=auth(key))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += [t["transfer_id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError("the cursor never reached the end of the list")


def test_the_transfer_list_is_paged_by_cursor_in_one_stable_order(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    order = _moves(hub, hub_client, credentials, 8)
    ca, ny = credentials["CA"], credentials["NY"]
    for key in (ca, ny):  # both ends of each move see it, in the same order
        whole = hub_client.get("/v1/transfers?limit=500", headers=auth(key)).json()
        assert [t["transfer_id"] for t in whole["items"]] == order
        assert whole["next_cursor"] is None
        items, pages = _walk(hub_client, key, "limit=3")
        assert items == order  # no gap, no repeat, across the tie of equal request times
        assert pages == 3
    # Filters apply before the page is cut, and the cursor walks the filtered list.
    for transfer_id in order[1:6:2]:
        done = hub_client.post(f"/v1/transfers/{transfer_id}/answer", headers=auth(ca),
                               json={"answer": "confirmed"})  # fmt: skip
        assert done.status_code == 200, done.text
    pending, _ = _walk(hub_client, ny, "status=pending_confirmation&limit=2")
    assert pending == [t for i, t in enumerate(order) if i not in (1, 3, 5)]
    # A state that is party to no move gets an empty last page.
    tx = hub_client.get("/v1/transfers?limit=2", headers=auth(credentials["TX"])).json()
    assert tx == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("cursor", [
    "nonsense", "", "%00", "x" * 201,
    base64.urlsafe_b64encode(b"t1|2025-01-01T00:00:00|00000000-0000-0000-0000-000000000000"
                             ).decode(),  # no time zone
    base64.urlsafe_b64encode(b"t9|2025-01-01T00:00:00+00:00|"
                             b"00000000-0000-0000-0000-000000000000").decode(),  # version
    base64.urlsafe_b64encode(b"c1|0|2025-01-01T00:00:00+00:00|"
                             b"00000000-0000-0000-0000-000000000000").decode(),  # a case's
    base64.urlsafe_b64encode(b"t1|0001-01-01T00:00:00+05:00|"
                             b"00000000-0000-0000-0000-000000000000").decode(),  # overflows
    base64.urlsafe_b64encode(b"t1|2025-01-01T00:00:00+00:00|x' OR 1=1 --").decode(),
])  # fmt: skip
def test_a_transfer_cursor_the_hub_did_not_hand_out_is_a_422_problem(
    hub_client: TestClient, credentials: dict[str, str], cursor: str
) -> None:
    resp = hub_client.get(f"/v1/transfers?cursor={cursor}", headers=auth(credentials["NY"]))
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert "cursor" in resp.json()["detail"]


@pytest.mark.postgres
def test_parallel_transfers_move_once(hub: Hub, credentials: dict[str, str]) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serializes writers")
    with TestClient(__import__("lpx.api.app", fromlist=["x"]).create_app(hub)) as client:
        pid = client.put("/v1/pointers/records/C1", json=pointer("C1"),
                         headers=auth(credentials["CA"])).json()["pointer_id"]  # fmt: skip
    results: list[object] = []
    barrier = threading.Barrier(6)

    def go(state: str, record: str) -> None:
        actor = Actor(state, "u", frozenset({Role.RECORDS}), 0)
        req = TransferRequest(pid, record, card("DL", True, "active", None, None))
        barrier.wait()
        try:
            results.append(hub.workflows.transfers.request(actor, req).row.transfer_id)
        except ServiceError as exc:
            results.append(exc.status)

    threads = [threading.Thread(target=go, args=("NY", "NEW1")) for _ in range(4)]
    threads += [threading.Thread(target=go, args=("TX", "T1")) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    ids = {r for r in results if isinstance(r, str)}
    assert len(ids) == 1, results  # one move; the repeats got the same transfer back
    with hub.engine.connect() as conn:
        from sqlalchemy import text

        rows = conn.execute(text("SELECT jurisdiction FROM pointers WHERE pointer_id = :p"),
                            {"p": pid}).all()  # fmt: skip
        moves = conn.execute(text("SELECT count(*) FROM transfers")).scalar_one()
    assert len(rows) == 1
    assert moves == 1
    winner = rows[0][0]
    assert results.count(409) == (2 if winner == "NY" else 4)
