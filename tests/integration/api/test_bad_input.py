"""Regression tests for what the schema fuzzer (test_schema_fuzz.py) found.

Each answer must be an RFC 9457 problem a clerk can act on, never a 500, on both backends.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer

PROBLEM = "application/problem+json"


def assert_problem(resp: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        assert field in {e["field"] for e in body["errors"]}, body
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/v1/pointers/records/D1%00",
        "/v1/pointers/%00/status",
        "/v1/pointers?after=%00",
        "/v1/pointers/records/D1%0A",
    ],
)
def test_nul_and_newline_in_ids_are_refused_before_the_database(
    hub_client: TestClient, credentials: dict[str, str], url: str
) -> None:
    """Found: NUL in a path or query id reached PostgreSQL ("text fields cannot contain NUL
    (0x00) bytes") and the hub answered 500. Ids now have their shape checked at the edge."""
    resp = hub_client.get(url, headers=auth(credentials["CA"]))
    assert_problem(resp, 422)
    resp = hub_client.delete("/v1/pointers/records/D1%00", headers=auth(credentials["CA"]))
    assert_problem(resp, 422)


def test_a_body_that_is_not_utf8_is_a_validation_problem(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    """Found: undecodable bytes got FastAPI's undocumented 400 "There was an error parsing
    the body"; malformed JSON gets 422, so an unreadable body now does too, saying why."""
    headers = auth(credentials["CA"]) | {"Content-Type": "application/json"}
    resp = hub_client.post("/v1/inquiries/search", content=b",@\xff", headers=headers)
    body = assert_problem(resp, 422, "body")
    assert "UTF-8" in body["detail"]


@pytest.mark.parametrize(
    ("method", "url", "content"),
    [
        ("POST", "/v1/pointers/batch", b"\x00"),
        ("POST", "/v1/inquiries/search", b"{not json"),
        ("PUT", "/v1/pointers/records/D1", b"\xff\xfe"),
        ("GET", "/v1/pointers?limit=0", None),
        ("GET", "/v1/pointers/not-a-uuid/status", None),
    ],
)
def test_unauthenticated_callers_learn_only_that_they_must_sign_in(
    hub_client: TestClient, method: str, url: str, content: bytes | None
) -> None:
    """Found: FastAPI parses the body before it authenticates, so an anonymous caller with
    a malformed body got 422 (and its reasons) instead of 401."""
    headers = {"Content-Type": "application/json"} if content is not None else {}
    resp = hub_client.request(method, url, content=content, headers=headers)
    body = assert_problem(resp, 401)
    assert resp.headers["www-authenticate"] == "Bearer"
    assert "errors" not in body


def test_record_id_with_trailing_newline_is_refused(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    """Found: RECORD_ID_RE ended in "$", which also matches before a final newline, so
    "D1\\n" was stored, and no URL could ever address that pointer again."""
    h = auth(credentials["CA"])
    resp = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("D1\n")]}, headers=h)
    assert_problem(resp, 422, "record_id")
    assert hub_client.get("/v1/pointers", headers=h).json()["items"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", "Wil\nliam"),
        ("middle_name", "\x1f\x7f"),
        ("suffix", "\x00"),
        ("last_name", "Garcia\tLopez"),
        ("aka_names", ["Bill\x00"]),
    ],
)
def test_control_characters_in_names_are_refused(
    hub_client: TestClient, credentials: dict[str, str], field: str, value: Any
) -> None:
    """Found: line breaks, tabs and NUL (in aka names) were stored as parts of names."""
    h = auth(credentials["CA"])
    batch = {"pointers": [pointer("D1", **{field: value})]}
    resp = hub_client.post("/v1/pointers/batch", json=batch, headers=h)
    body = assert_problem(resp, 422, field)
    assert any("control characters" in e["message"] for e in body["errors"])
    search = {"first_name": "William", "last_name": "Garcia", "dob": "1980-03-05",
              "purpose": "license_issuance"}  # fmt: skip
    if field in search:
        resp = hub_client.post("/v1/inquiries/search", json=search | {field: value}, headers=h)
        assert_problem(resp, 422, field)


def test_lone_surrogates_are_refused(hub_client: TestClient, credentials: dict[str, str]) -> None:
    """A lone surrogate cannot be encoded for storage; it is refused, not a 500."""
    headers = auth(credentials["CA"]) | {"Content-Type": "application/json"}
    body = b'{"pointers": [{"record_id": "D1", "card_type": "DL", "real_id": true, ' \
           b'"first_name": "W\\ud800", "last_name": "Garcia", "dob": "1980-03-05"}]}'  # fmt: skip
    resp = hub_client.post("/v1/pointers/batch", content=body, headers=headers)
    assert_problem(resp, 422)


def test_huge_numbers_and_impossible_dates_are_problems(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    h = auth(credentials["CA"])
    assert_problem(hub_client.get("/v1/pointers?limit=99999999999999999999999", headers=h), 422)
    for dob in ("0001-01-01", "10000-01-01", "1980-02-30"):
        resp = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("D1", dob=dob)]},
                               headers=h)  # fmt: skip
        assert_problem(resp, 422, "dob")
