"""The carry: at issuance, the SSN tokens of the candidate the clerk confirmed.

The carry names the issuance search that listed the pointer; the hub answers only for a
candidate of the caller's own recent issuance inquiry (every refusal the same 404), once per
inquiry, with the same shape whether the pointer carries tokens or not, audits the read to
the pointer's state, and does not count it as an inquiry (docs/privacy.md, "Carrying the
decoy").
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens
from sqlalchemy import Engine, update

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub, build_hub
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
from lpx.config import Settings
from lpx.storage import tables as t

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


def searched(client: TestClient, key: str, user: str = "clerk-1",
             **overrides: Any) -> str:  # fmt: skip
    """The inquiry id of a search by ``user`` of ``key``'s state."""
    resp = client.post(SEARCH, json=inquiry(**overrides), headers=auth(key, user))
    assert resp.status_code == 200, resp.text
    return str(resp.json()["inquiry_id"])


def carry(client: TestClient, key: str, inquiry_id: str, pointer_id: str,
          user: str = "clerk-1") -> Any:  # fmt: skip
    return client.post(CARRY, json={"inquiry_id": inquiry_id, "pointer_id": pointer_id},
                       headers=auth(key, user))  # fmt: skip


def test_a_confirmed_candidate_s_tokens_are_returned(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    tx = credentials["TX"]
    inquiry_id = searched(hub_client, tx)
    resp = carry(hub_client, tx, inquiry_id, ids["CA1"])
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"inquiry_id": inquiry_id, "pointer_id": ids["CA1"],
                           "ssn": tokens("111")}  # fmt: skip


def test_the_answer_has_the_same_shape_without_tokens(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    tx = credentials["TX"]
    inquiry_id = searched(hub_client, tx, first_name="Maria", last_name="Smith",
                          dob="1975-07-21")  # fmt: skip
    resp = carry(hub_client, tx, inquiry_id, ids["CA2"])
    assert resp.status_code == 200, resp.text
    assert resp.json()["ssn"] is None
    assert set(resp.json()) == {"inquiry_id", "pointer_id", "ssn"}


def _age(engine: Engine, inquiry_id: str, minutes: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.inquiries).where(t.inquiries.c.inquiry_id == inquiry_id)
                     .values(created_at=datetime.now(UTC) - timedelta(minutes=minutes)))


REFUSALS = ["not a candidate", "another person", "another user", "another state",
            "expired", "not issuance", "unknown inquiry"]


@pytest.mark.parametrize("reason", REFUSALS)
def test_every_refusal_is_the_same_404(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str],
    clean_engine: Engine, reason: str,
) -> None:
    """A carry reads a pointer only through the caller's own recent issuance inquiry that
    showed it; every other request gets one and the same problem, so none is an oracle for
    other inquiries or pointers, and nothing is read or audited."""
    tx = credentials["TX"]
    target = ids["CA1"]
    if reason == "not a candidate":  # a real issuance inquiry that did not show CA2
        inquiry_id, target = searched(hub_client, tx), ids["CA2"]
    elif reason == "another person":  # the pointer of someone the inquiry did not match
        inquiry_id, target = searched(hub_client, tx), ids["NY1"]
    elif reason == "another user":
        inquiry_id = searched(hub_client, tx, user="clerk-2")
    elif reason == "another state":
        inquiry_id = searched(hub_client, credentials["NY"])
    elif reason == "expired":
        inquiry_id = searched(hub_client, tx)
        _age(clean_engine, inquiry_id, 31)
    elif reason == "not issuance":
        inquiry_id = searched(hub_client, tx, purpose="duplicate_investigation")
    else:
        inquiry_id = str(uuid.uuid4())
    resp = carry(hub_client, tx, inquiry_id, target)
    assert resp.status_code == 404, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json() == carry(hub_client, tx, str(uuid.uuid4()), target).json()
    assert "full" not in resp.text
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    page = hub_client.get("/v1/audit/entries?jurisdiction=CA", headers=auth(admin)).json()
    assert not [e for e in page["items"] if b"ssn-carry" in base64.b64decode(e["leaf_data"])]


def test_an_inquiry_inside_the_window_still_carries(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str],
    clean_engine: Engine,
) -> None:
    tx = credentials["TX"]
    inquiry_id = searched(hub_client, tx)
    _age(clean_engine, inquiry_id, 29)
    assert carry(hub_client, tx, inquiry_id, ids["CA1"]).status_code == 200


def test_one_inquiry_carries_one_pointer(
    hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    """A repeat for the same pointer (a retry) gets the same answer; another candidate of
    the same inquiry is a conflict: the clerk confirmed one applicant."""
    ca, tx = credentials["CA"], credentials["TX"]
    hub_client.post("/v1/pointers/batch", headers=auth(ca), json={"pointers": [
        pointer("CA3", ssn=tokens("333"))]})  # fmt: skip
    inquiry_id = searched(hub_client, tx)
    first = carry(hub_client, tx, inquiry_id, ids["CA1"])
    again = carry(hub_client, tx, inquiry_id, ids["CA1"])
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    ca3 = hub_client.get("/v1/pointers/records/CA3", headers=auth(ca)).json()["pointer_id"]
    other = carry(hub_client, tx, inquiry_id, ca3)
    assert other.status_code == 409, other.text
    assert other.headers["content-type"] == "application/problem+json"
    assert "full" not in other.text


def test_the_carry_does_not_count_as_an_inquiry(
    tmp_path: Any, clean_engine: Engine, credentials: dict[str, str]
) -> None:
    """With two inquiries a minute allowed, a search and its carries leave room for one more
    search: the carry passes no rate limit (and writes no inquiry row)."""
    limited = build_hub(Settings(database_url=str(clean_engine.url), data_dir=tmp_path / "h2",
                                 rate_user_per_minute=2), engine=clean_engine)  # fmt: skip
    with TestClient(create_app(limited)) as client:
        ca, tx = credentials["CA"], credentials["TX"]
        client.post("/v1/pointers/batch", headers=auth(ca), json={"pointers": [
            pointer("CA1", ssn=tokens("111"))]})  # fmt: skip
        pid = client.get("/v1/pointers/records/CA1", headers=auth(ca)).json()["pointer_id"]
        inquiry_id = searched(client, tx)
        for _ in range(3):
            assert carry(client, tx, inquiry_id, pid).status_code == 200
        searched(client, tx)
        assert client.post(SEARCH, json=inquiry(), headers=auth(tx)).status_code == 429
    with clean_engine.connect() as conn:
        rows = conn.execute(t.inquiries.select().where(t.inquiries.c.jurisdiction == "TX"))
        assert len(rows.all()) == 2


def test_the_carry_is_audited_to_the_pointer_s_state(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], ids: dict[str, str]
) -> None:
    inquiry_id = searched(hub_client, credentials["TX"])
    carry(hub_client, credentials["TX"], inquiry_id, ids["CA1"])
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    page = hub_client.get("/v1/audit/entries?jurisdiction=CA", headers=auth(admin)).json()
    leaves = [base64.b64decode(e["leaf_data"]) for e in page["items"]]
    carried = [leaf for leaf in leaves if b"ssn-carry" in leaf]
    assert len(carried) == 1
    assert b"pointer.read" in carried[0]
    assert ids["CA1"].encode() in carried[0]
    assert inquiry_id.encode() in carried[0]
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
