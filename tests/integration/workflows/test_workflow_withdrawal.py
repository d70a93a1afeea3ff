"""A state's withdrawal is final: no live row names it, and the receipt verifies."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.services.withdrawal import verify_receipt


def test_withdrawal_removes_everything_and_signs_a_receipt(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("C1"), pointer("C2",
                    first_name="Zed", dob="1970-01-09")]}, headers=auth(ca))  # fmt: skip
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    refused = hub_client.post("/v1/withdrawal", json={"confirm": "NY"}, headers=auth(admin))
    assert refused.status_code == 422
    resp = hub_client.post("/v1/withdrawal", json={"confirm": "CA"}, headers=auth(admin))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    removed = body["receipt"]["removed"]
    assert removed["pointers"] == 2
    assert removed["cases"] == 1
    assert removed["pointer_blocks"] > 0
    assert verify_receipt(body["receipt"], bytes.fromhex(body["signature"]),
                          bytes.fromhex(body["public_key"]))  # fmt: skip
    tampered = {**body["receipt"], "removed": {**removed, "pointers": 1}}
    assert not verify_receipt(tampered, bytes.fromhex(body["signature"]),
                              bytes.fromhex(body["public_key"]))  # fmt: skip
    with hub.engine.connect() as conn:
        from lpx.storage.workflow_repositories import WithdrawalRepository

        assert WithdrawalRepository(conn).remaining("CA") == 0
    assert hub_client.get("/v1/cases", headers=auth(ny)).json()["items"] == []
    assert hub_client.get("/v1/pointers/records/N1", headers=auth(ny)).status_code == 200


@pytest.mark.parametrize("role", [Role.RECORDS, Role.CLERK])
def test_only_a_state_administrator_withdraws(hub: Hub, hub_client: TestClient,
                                              role: Role) -> None:  # fmt: skip
    key = hub.access.issue_credential("CA", "x", [role])
    assert hub_client.post("/v1/withdrawal", json={"confirm": "CA"},
                           headers=auth(key)).status_code == 403  # fmt: skip
