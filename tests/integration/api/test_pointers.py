"""A state of record writes, reads, lists and deletes its own pointers, and only its own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from helpers import auth, pointer


def test_batch_adds_then_is_idempotent(hub_client: TestClient, credentials: dict[str, str]) -> None:
    h = auth(credentials["CA"])
    body = {"pointers": [pointer("D1"), pointer("D2", first_name="Maria", sex="F")]}
    first = hub_client.post("/v1/pointers/batch", json=body, headers=h)
    again = hub_client.post("/v1/pointers/batch", json=body, headers=h)
    counts = ("added", "updated", "unchanged")
    assert [first.json()[k] for k in counts] == [2, 0, 0]
    assert [again.json()[k] for k in counts] == [0, 0, 2]


def test_update_bumps_version_and_keeps_pointer_id(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    h = auth(credentials["CA"])
    created = hub_client.put("/v1/pointers/records/D1", json=pointer("D1"), headers=h)
    changed = hub_client.put(
        "/v1/pointers/records/D1", json=pointer("D1", status="surrendered"), headers=h
    )
    assert created.status_code == 201
    assert changed.status_code == 200
    assert changed.json()["pointer_id"] == created.json()["pointer_id"]
    assert changed.json()["version"] == 2
    assert changed.json()["status"] == "surrendered"


def test_bad_item_rejects_whole_batch(hub_client: TestClient, credentials: dict[str, str]) -> None:
    h = auth(credentials["CA"])
    bad = pointer("D3", dob="1979-02-30")
    resp = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("D1"), bad]}, headers=h)
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["errors"][0]["index"] == 1
    assert resp.json()["errors"][0]["field"] == "dob"
    listed = hub_client.get("/v1/pointers", headers=h).json()
    assert listed["items"] == []


def test_domain_rule_violation_names_item(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    h = auth(credentials["CA"])
    items = [pointer("D1"), pointer("D2", expiry_date="2019-01-01"), pointer("D1")]
    resp = hub_client.post("/v1/pointers/batch", json={"pointers": items}, headers=h)
    errors = resp.json()["errors"]
    assert resp.status_code == 422
    assert {(e["index"], e["field"]) for e in errors} == {(1, "expiry_date"), (2, "record_id")}
    assert hub_client.get("/v1/pointers", headers=h).json()["items"] == []


def test_states_cannot_see_or_touch_each_others_records(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = auth(credentials["CA"]), auth(credentials["NY"])
    hub_client.put("/v1/pointers/records/D1", json=pointer("D1"), headers=ca)
    assert hub_client.get("/v1/pointers", headers=ny).json()["items"] == []
    assert hub_client.get("/v1/pointers/records/D1", headers=ny).status_code == 404
    assert hub_client.delete("/v1/pointers/records/D1", headers=ny).status_code == 404
    # NY writing "D1" creates NY's own pointer; CA's is untouched.
    hub_client.put("/v1/pointers/records/D1", json=pointer("D1", first_name="Zed"), headers=ny)
    assert hub_client.get("/v1/pointers/records/D1", headers=ca).json()["first_name"] == "William"


def test_delete_removes_pointer(hub_client: TestClient, credentials: dict[str, str]) -> None:
    h = auth(credentials["CA"])
    hub_client.put("/v1/pointers/records/D1", json=pointer("D1"), headers=h)
    assert hub_client.delete("/v1/pointers/records/D1", headers=h).status_code == 204
    assert hub_client.get("/v1/pointers/records/D1", headers=h).status_code == 404
    assert hub_client.delete("/v1/pointers/records/D1", headers=h).status_code == 404


def test_list_pages_with_cursor(hub_client: TestClient, credentials: dict[str, str]) -> None:
    h = auth(credentials["CA"])
    items = [pointer(f"D{i:03d}") for i in range(5)]
    hub_client.post("/v1/pointers/batch", json={"pointers": items}, headers=h)
    page1 = hub_client.get("/v1/pointers?limit=3", headers=h).json()
    page2 = hub_client.get(f"/v1/pointers?limit=3&after={page1['next_cursor']}", headers=h).json()
    ids = [p["record_id"] for p in page1["items"] + page2["items"]]
    assert ids == [f"D{i:03d}" for i in range(5)]
    assert page2["next_cursor"] is None


def test_url_and_body_record_ids_must_agree(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    resp = hub_client.put("/v1/pointers/records/D9", json=pointer("D1"),
                          headers=auth(credentials["CA"]))  # fmt: skip
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"] == "record_id"


def test_requests_need_key_and_user(hub_client: TestClient, credentials: dict[str, str]) -> None:
    no_key = hub_client.get("/v1/pointers")
    bad_key = hub_client.get("/v1/pointers", headers=auth("lpx_ca_forged"))
    no_user = hub_client.get("/v1/pointers",
                             headers={"Authorization": f"Bearer {credentials['CA']}"})  # fmt: skip
    assert [r.status_code for r in (no_key, bad_key, no_user)] == [401, 401, 401]
    assert "X-LPX-User" in no_user.json()["detail"]


def test_ssn_tokens_must_be_tokens(hub_client: TestClient, credentials: dict[str, str]) -> None:
    """The hub accepts SSN-5 only as 32-hex-digit tokens: digits are refused outright."""
    digits = pointer("D1", ssn={"full": "12345", "masked": ["1234*"] * 4})
    resp = hub_client.post("/v1/pointers/batch", json={"pointers": [digits]},
                           headers=auth(credentials["CA"]))  # fmt: skip
    assert resp.status_code == 422
    assert resp.json()["errors"][0]["field"].startswith("ssn")
