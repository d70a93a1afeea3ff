"""What a state sends at all: its upload policy, applied by its loader and enforced by the hub."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.client.hub import BatchResult
from lpx.client.keys import generate
from lpx.client.loader import load_file
from lpx.domain.policy import OptionalField, UploadPolicy

REAL_ID_NO_AKA = {"real_id_only": True, "fields": ["middle_name", "sex", "ssn", "suffix"]}


@pytest.fixture
def client(hub: Hub) -> Any:
    with TestClient(create_app(hub)) as c:
        yield c


def _keys(hub: Hub) -> dict[str, str]:
    return {"admin": hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN]),
            "records": hub.access.issue_credential("CA", "sys", [Role.RECORDS])}  # fmt: skip


def test_a_state_admin_declares_and_reads_the_policy(hub: Hub, client: Any) -> None:
    keys = _keys(hub)
    default = client.get("/v1/policy", headers=auth(keys["admin"])).json()
    assert default["real_id_only"] is False
    assert "ssn" in default["fields"]
    put = client.put("/v1/policy", json=REAL_ID_NO_AKA, headers=auth(keys["admin"]))
    assert put.status_code == 200, put.text
    got = client.get("/v1/policy", headers=auth(keys["admin"])).json()
    assert got["jurisdiction"] == "CA"
    assert got["real_id_only"] is True
    assert "aka_names" not in got["fields"]
    bad = client.put("/v1/policy", json={"fields": ["legal_presence"]},
                     headers=auth(keys["admin"]))  # fmt: skip
    assert bad.status_code == 422


def test_the_hub_refuses_records_outside_the_declared_policy(hub: Hub, client: Any) -> None:
    keys = _keys(hub)
    client.put("/v1/policy", json=REAL_ID_NO_AKA, headers=auth(keys["admin"]))
    batch = {"pointers": [pointer("P1"), pointer("P2", real_id=False),
                          pointer("P3", aka_names=["Bill Garcia"])]}  # fmt: skip
    resp = client.post("/v1/pointers/batch", json=batch, headers=auth(keys["records"]))
    assert resp.status_code == 422
    errors = {(e["index"], e["field"]) for e in resp.json()["errors"]}
    assert errors == {(1, "real_id"), (2, "aka_names")}
    assert any("REAL ID" in e["message"] for e in resp.json()["errors"])
    assert client.get("/v1/pointers", headers=auth(keys["records"])).json()["items"] == []
    ok = client.post("/v1/pointers/batch", json={"pointers": [pointer("P1")]},
                     headers=auth(keys["records"]))  # fmt: skip
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("field", ["ab60", "legal_presence", "ssn_exempt", "no_ssn_reason"])
def test_the_schema_has_no_field_that_says_why(hub: Hub, client: Any, field: str) -> None:
    """Unknown fields are refused (extra="forbid"): no way to send why a card was issued."""
    keys = _keys(hub)
    body = {"pointers": [pointer("P1", **{field: True})]}
    resp = client.post("/v1/pointers/batch", json=body, headers=auth(keys["records"]))
    assert resp.status_code == 422
    assert field in resp.text
    assert client.get("/v1/pointers", headers=auth(keys["records"])).json()["items"] == []


class _Sink:
    def __init__(self) -> None:
        self.sent: list[Mapping[str, Any]] = []

    def upsert_batch(self, pointers: Sequence[Mapping[str, Any]]) -> BatchResult:
        self.sent.extend(pointers)
        return BatchResult(len(pointers), 0, 0)


HEADER = ("record_id,card_type,real_id,first_name,middle_name,last_name,suffix,aka_names,dob,"
          "sex,ssn_last5,issue_date,expiry_date,status\n")  # fmt: skip
ROWS = [
    "R1,DL,true,Maria,Elena,Lopez,,Maria Garcia,1980-03-05,F,12345,2020-01-02,,active",
    "R2,DL,false,Ana,,Ruiz,,,1981-04-06,F,,2020-01-02,,active",
    "R3,ID,true,Eva,,Diaz,Jr,,1982-05-07,X,,2020-01-02,,expired",
]


def test_the_loader_withholds_and_strips_before_anything_leaves(tmp_path: Path) -> None:
    path = tmp_path / "CA.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    policy = UploadPolicy(real_id_only=True, fields=frozenset({OptionalField.SUFFIX}))
    sink = _Sink()
    report = load_file(path, sink, generate(), jurisdiction="CA", policy=policy)
    assert (report.rows_read, report.withheld, report.added, report.ok) == (3, 1, 2, True)
    assert [p["record_id"] for p in sink.sent] == ["R1", "R3"]
    r1, r3 = sink.sent
    assert (r1["middle_name"], r1["aka_names"], r1["sex"], r1["ssn"]) == ("", [], None, None)
    assert r3["suffix"] == "Jr"


def test_what_the_loader_sends_passes_the_hubs_check(hub: Hub, client: Any,
                                                     tmp_path: Path) -> None:  # fmt: skip
    """Both halves apply one rule: a policy-filtered load is never refused by the hub."""
    keys = _keys(hub)
    client.put("/v1/policy", json=REAL_ID_NO_AKA, headers=auth(keys["admin"]))
    policy = UploadPolicy.from_dict(REAL_ID_NO_AKA)
    path = tmp_path / "CA.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    sink = _Sink()
    load_file(path, sink, generate(), jurisdiction="CA", policy=policy)
    resp = client.post("/v1/pointers/batch", json={"pointers": sink.sent},
                       headers=auth(keys["records"]))  # fmt: skip
    assert resp.status_code == 200, resp.text
    assert resp.json()["added"] == 2


def test_withholding_ssn_sends_no_tokens_at_all(tmp_path: Path) -> None:
    path = tmp_path / "CA.csv"
    path.write_text(HEADER + ROWS[0] + "\n")
    sink = _Sink()
    policy = UploadPolicy(fields=frozenset(OptionalField) - {OptionalField.SSN})
    load_file(path, sink, generate(), jurisdiction="CA", policy=policy)
    assert sink.sent[0]["ssn"] is None
