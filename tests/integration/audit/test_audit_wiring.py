"""Every read and write of personal data through the services leaves an audit entry,
in the same transaction, visible in the feed of each state whose records were touched."""

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.audit.entries import AuditEntry
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub


def actions(hub: Hub, jurisdiction: str) -> list[tuple[str, str, int]]:
    admin = hub.access.authenticate(
        hub.access.issue_credential(jurisdiction, "admin", [Role.STATE_ADMIN]), "auditor-1"
    )
    entries = [AuditEntry.from_leaf(i.leaf_data) for i in hub.audit.feed(admin, jurisdiction).items]
    return [(e.event.action.value, e.event.actor_jurisdiction, e.event.result_count)
            for e in entries]  # fmt: skip


def test_writes_reads_and_inquiries_are_logged(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, tx = auth(credentials["CA"]), auth(credentials["TX"], "clerk-9")
    hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("D1")]}, headers=ca)
    found = hub_client.post("/v1/inquiries/search", headers=tx, json={
        "first_name": "Bill", "last_name": "Garcia", "dob": "1980-03-05",
        "purpose": "license_renewal"}).json()["candidates"]  # fmt: skip
    hub_client.get(f"/v1/pointers/{found[0]['pointer_id']}/status", headers=tx)
    hub_client.delete("/v1/pointers/records/D1", headers=ca)

    assert actions(hub, "CA") == [
        ("pointer.write", "CA", 1),
        ("inquiry.search", "TX", 1),  # TX's clerk searched and was shown CA's pointer
        ("inquiry.status", "TX", 1),
        ("pointer.delete", "CA", 1),
    ]
    assert [a for a, _, _ in actions(hub, "TX")] == ["inquiry.search", "inquiry.status"]


def test_a_refused_request_writes_nothing(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    bad = pointer("D2", dob="1979-02-30")
    hub_client.post("/v1/pointers/batch", json={"pointers": [bad]}, headers=auth(credentials["CA"]))
    assert actions(hub, "CA") == []
