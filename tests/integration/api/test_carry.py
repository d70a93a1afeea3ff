"""The carry inquiry: at issuance, the SSN tokens of the candidate the clerk confirmed.

The hub answers only for a candidate of the same inquiry, only at an issuance purpose, with
the same shape whether the pointer carries tokens or not, and audits the read to the
pointer's state (docs/privacy.md, "Carrying the decoy").
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.client.carry import resolve_issuance
from lpx.client.hub import HubClient
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import (
    IssuanceOutcome,
    decoy_value,
    issuance_tokens,
    ssn_tokens_for,
    value_of_tokens,
)

CARRY = "/v1/inquiries/carry"
SEARCH = "/v1/inquiries/search"


def inquiry(**overrides: Any) -> dict[str, Any]:
    body = {"first_name": "Bill", "last_name": "Garcia", "dob": "1980-03-05",
            "purpose": "license_issuance"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.fixture
def ids(hub_client: TestClient, credentials: dict[str, str]) -> dict[str, str]:
    ca, ny = auth(credentials["CA"]), auth(credentials["NY"])
    hub_client.post("/v1/pointers/batch", headers=ca, json={"pointers": [
        pointer("CA1", ssn=tokens("111")),
        pointer("CA2", first_name="Maria", last_name="Smith", sex="F", dob="1975-07-21"),
    ]})  # fmt: skip
    hub_client.post("/v1/pointers/batch", headers=ny, json={"pointers": [
        pointer("NY1", first_name="Zelda", last_name="Quartermaine", sex="F",
                dob="1961-02-03"),
    ]})  # fmt: skip
    return {rid: hub_client.get(f"/v1/pointers/records/{rid}",
                                headers=auth(credentials[rid[:2]])).json()["pointer_id"]
            for rid in ("CA1", "CA2", "NY1")}  # fmt: skip


def test_a_confirmed_candidate_s_tokens_are_returned(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    tx = auth(credentials["TX"])
    found = hub_client.post(SEARCH, json=inquiry(), headers=tx).json()["candidates"]
    assert ids["CA1"] in {c["pointer_id"] for c in found}
    resp = hub_client.post(CARRY, json=inquiry(pointer_id=ids["CA1"]), headers=tx)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["pointer_id"] == ids["CA1"]
    assert body["ssn"] == tokens("111")
    assert body["inquiry_id"]


def test_the_answer_has_the_same_shape_without_tokens(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    resp = hub_client.post(CARRY, headers=auth(credentials["TX"]), json=inquiry(
        first_name="Maria", last_name="Smith", dob="1975-07-21", pointer_id=ids["CA2"]))
    assert resp.status_code == 200, resp.text
    assert resp.json()["ssn"] is None
    assert set(resp.json()) == {"inquiry_id", "pointer_id", "ssn"}


@pytest.mark.parametrize("record", ["NY1", "CA2"])
def test_a_pointer_that_is_not_a_candidate_is_refused(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str], record: str
) -> None:
    """Another person's pointer (NY1, CA2) cannot be read by naming it with any inquiry."""
    resp = hub_client.post(CARRY, json=inquiry(pointer_id=ids[record]),
                           headers=auth(credentials["TX"]))  # fmt: skip
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert "full" not in resp.text


def test_only_issuance_purposes_carry(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    resp = hub_client.post(CARRY, headers=auth(credentials["TX"]), json=inquiry(
        pointer_id=ids["CA1"], purpose="duplicate_investigation"))
    assert resp.status_code == 422
    assert "issuance" in resp.json()["detail"]


def test_the_carry_is_audited_to_the_pointer_s_state(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    hub_client.post(CARRY, json=inquiry(pointer_id=ids["CA1"]), headers=auth(credentials["TX"]))
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    page = hub_client.get("/v1/audit/entries?jurisdiction=CA", headers=auth(admin)).json()
    leaves = [base64.b64decode(e["leaf_data"]) for e in page["items"]]
    carried = [leaf for leaf in leaves if b"ssn-carry" in leaf]
    assert len(carried) == 1
    assert b"pointer.read" in carried[0]
    assert ids["CA1"].encode() in carried[0]
    assert b"Garcia" not in carried[0]


def _client(hub_client: TestClient, key: str, seen: list[str]) -> HubClient:
    hub_client.event_hooks["request"] = [lambda request: seen.append(request.url.path)]
    return HubClient(hub_client, key, "clerk-7")


@pytest.mark.parametrize("ssn5", [None, "12345"], ids=["no SSN", "SSN"])
def test_a_renamed_applicant_keeps_one_value_and_the_exchange_is_the_same(
    hub_client: TestClient, credentials: dict[str, str], ssn5: str | None
) -> None:
    """The state-side protocol end to end: CA holds the person as Garcia; TX issues to the
    same person spelled Jarcia, which changes the derived decoy. Without an SSN, TX adopts
    CA's value; with one, it keeps the real SSN. Either way TX's tool sends the same two
    requests, so the hub cannot tell which applicant it served."""
    keys = NetworkKeys(b"t" * 32, b"d" * 32)
    born = date(1980, 3, 5)
    ca_tokens = ssn_tokens_for(ssn5, "William", "Garcia", born, keys, record="CA/CA7")
    hub_client.post("/v1/pointers/batch", headers=auth(credentials["CA"]), json={"pointers": [
        pointer("CA7", last_name="Garcia", middle_name="",
                ssn={"full": ca_tokens.full, "masked": list(ca_tokens.masked)})]})  # fmt: skip
    derived = ssn_tokens_for(ssn5, "William", "Jarcia", born, keys, record="TX/TX7")
    assert (derived == ca_tokens) == (ssn5 is not None)  # the name change splits the decoy

    seen: list[str] = []
    client = _client(hub_client, credentials["TX"], seen)
    outcome = resolve_issuance(client, keys, lambda c: c.jurisdiction == "CA", ssn_last5=ssn5,
                               first_name="William", last_name="Jarcia", dob=born, sex="M")
    assert seen == ["/v1/inquiries/search", "/v1/inquiries/carry"]
    assert outcome == IssuanceOutcome(ca_tokens, 0)
    stored = issuance_tokens(ssn5, "William", "Jarcia", born, keys, record="TX/TX7",
                             outcome=outcome)  # fmt: skip
    assert stored == ca_tokens


def test_a_namesake_set_apart_by_the_clerk_gets_another_decoy(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    """Two different people without an SSN, same name and birth date: the plain decoys
    collide; the clerk's "different people" moves the second one off it."""
    keys = NetworkKeys(b"t" * 32, b"d" * 32)
    born = date(1980, 3, 5)
    first = ssn_tokens_for(None, "William", "Garcia", born, keys)
    hub_client.post("/v1/pointers/batch", headers=auth(credentials["CA"]), json={"pointers": [
        pointer("CA8", last_name="Garcia", middle_name="",
                ssn={"full": first.full, "masked": list(first.masked)})]})  # fmt: skip
    seen: list[str] = []
    client = _client(hub_client, credentials["TX"], seen)
    outcome = resolve_issuance(client, keys, lambda c: False, ssn_last5=None,
                               first_name="William", last_name="Garcia", dob=born, sex="M")
    assert seen == ["/v1/inquiries/search"]
    assert outcome == IssuanceOutcome(None, 1)
    stored = issuance_tokens(None, "William", "Garcia", born, keys, record="TX/TX8",
                             outcome=outcome)  # fmt: skip
    assert value_of_tokens(stored, keys) == decoy_value("William", "Garcia", born, keys,
                                                        record="TX/TX8", counter=1)
    assert stored.full != first.full
