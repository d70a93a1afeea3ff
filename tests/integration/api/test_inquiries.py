"""Search inquiries find one person across states; status inquiries read one pointer."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

SEARCH = "/v1/inquiries/search"


def inquiry(**overrides: Any) -> dict[str, Any]:
    body = {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05",
            "purpose": "license_issuance"}  # fmt: skip
    body.update(overrides)
    return body


@pytest.fixture
def loaded(hub_client: TestClient, credentials: dict[str, str]) -> dict[str, str]:
    ca, ny = auth(credentials["CA"]), auth(credentials["NY"])
    hub_client.post("/v1/pointers/batch", headers=ca, json={"pointers": [
        pointer("CA1", ssn=tokens("111")),
        pointer("CA2", first_name="Maria", last_name="Smith", sex="F", dob="1975-07-21"),
    ]})  # fmt: skip
    hub_client.post("/v1/pointers/batch", headers=ny, json={"pointers": [
        pointer("NY1", first_name="Bill", last_name="Garcia-Lopez", dob="1980-05-03",
                ssn=tokens("111")),
        pointer("NY2", first_name="Garcia", last_name="William", middle_name=""),
    ]})  # fmt: skip
    return credentials


@pytest.mark.parametrize(
    ("variant", "expected_record"),
    [
        ({}, "CA1"),
        ({"first_name": "Bill", "last_name": "Garcia"}, "CA1"),  # nickname, one of two surnames
        ({"dob": "1980-05-03"}, "CA1"),  # day and month swapped
        ({"first_name": "Garcia", "last_name": "William"}, "NY2"),  # swapped names, exact
        ({"first_name": "Wiliam"}, "CA1"),  # typo
        ({"last_name": "García López"}, "CA1"),  # accents
    ],
)
def test_search_finds_variants(
    hub_client: TestClient, loaded: dict[str, str], variant: dict[str, Any], expected_record: str
) -> None:
    resp = hub_client.post(SEARCH, json=inquiry(**variant), headers=auth(loaded["TX"]))
    assert resp.status_code == 200
    found = {c["pointer_id"]: c for c in resp.json()["candidates"]}
    owner = "CA" if expected_record.startswith("CA") else "NY"
    own = hub_client.get(f"/v1/pointers/records/{expected_record}", headers=auth(loaded[owner]))
    assert own.json()["pointer_id"] in found


def test_candidates_are_ranked_with_evidence(
    hub_client: TestClient, loaded: dict[str, str]
) -> None:
    body = inquiry(ssn=tokens("111"))
    cands = hub_client.post(SEARCH, json=body, headers=auth(loaded["TX"])).json()["candidates"]
    weights = [c["weight"] for c in cands]
    assert weights == sorted(weights, reverse=True)
    top = cands[0]
    assert top["match_class"] == "match"
    assert top["jurisdiction"] == "CA"
    assert top["evidence"]["ssn"] == "exact"
    assert top["evidence"]["dob"] == "exact"
    assert {c["jurisdiction"] for c in cands} >= {"CA", "NY"}


def test_unrelated_person_is_not_a_candidate(
    hub_client: TestClient, loaded: dict[str, str]
) -> None:
    body = inquiry(first_name="Olga", last_name="Petrova", dob="1990-11-30")
    resp = hub_client.post(SEARCH, json=body, headers=auth(loaded["TX"]))
    assert resp.json()["candidates"] == []


def test_at_most_ten_candidates(hub_client: TestClient, credentials: dict[str, str]) -> None:
    ca = auth(credentials["CA"])
    namesakes = [pointer(f"N{i:02d}", middle_name=f"M{i:02d}") for i in range(25)]
    hub_client.post("/v1/pointers/batch", json={"pointers": namesakes}, headers=ca)
    cands = hub_client.post(SEARCH, json=inquiry(), headers=ca).json()["candidates"]
    assert len(cands) == 10


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"first_name": "W*"}, "first_name"),
        ({"last_name": "%"}, "last_name"),
        ({"last_name": "G"}, "last_name"),
        ({"dob": "1980-03"}, "dob"),
        ({"dob": None}, "dob"),
        ({"purpose": "immigration_enforcement"}, "purpose"),
        ({"purpose": None}, "purpose"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_search_must_name_one_person_with_purpose(
    hub_client: TestClient, credentials: dict[str, str], override: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in inquiry(**override).items() if v is not None}
    resp = hub_client.post(SEARCH, json=body, headers=auth(credentials["CA"]))
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    assert field in {e["field"] for e in resp.json()["errors"]}


def test_ssn_alone_is_not_a_search(hub_client: TestClient, credentials: dict[str, str]) -> None:
    body = {"ssn": tokens("111"), "purpose": "license_issuance"}
    resp = hub_client.post(SEARCH, json=body, headers=auth(credentials["CA"]))
    assert resp.status_code == 422


def test_status_inquiry(hub_client: TestClient, loaded: dict[str, str]) -> None:
    pid = hub_client.get("/v1/pointers/records/CA1", headers=auth(loaded["CA"])).json()[
        "pointer_id"
    ]
    resp = hub_client.get(f"/v1/pointers/{pid}/status", headers=auth(loaded["TX"]))
    assert resp.json() == {
        "pointer_id": pid, "jurisdiction": "CA", "card_type": "DL", "real_id": True,
        "status": "active", "issue_date": "2020-01-02", "expiry_date": "2028-01-02",
    }  # fmt: skip
    missing = hub_client.get("/v1/pointers/00000000-0000-0000-0000-000000000000/status",
                             headers=auth(loaded["TX"]))  # fmt: skip
    assert missing.status_code == 404
