"""Change of state of record over the API, and parallel transfers on PostgreSQL."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.services.errors import ServiceError
from lpx.services.transfers import TransferRequest, card


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
