"""The transparency report counts exactly what a scripted quarter did, over the API (JSON and
HTML) and from ``lpx report transparency`` (JSON, Markdown, HTML).

The script: California and New York clerks make six inquiries for three purposes; a Texas
clerk walks one birth date and is stopped after seven answers (one enumeration alert);
legal registers a subpoena (released after the objection window), a court order under a
gag order (pending, both notices held) and an agency request (denied). Inquiries are dated
by the database's clock, so the period is the current quarter (2026Q4 when this was
written); the outside requests' clock is replaced so the window passes without sleeping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import Engine
from typer.testing import CliRunner

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.cli.main import app
from lpx.services.transparency import current_quarter

MARIA = {"first_name": "Maria", "last_name": "Quintanilla", "dob": "1980-03-05"}
SEARCH = "/v1/inquiries/search"
NOW = datetime.now(UTC).replace(microsecond=0)
PERIOD = current_quarter(NOW)
EXPECTED = {
    "period": PERIOD,
    "inquiries": [
        {"jurisdiction": "CA", "purpose": "license_issuance", "count": 3},
        {"jurisdiction": "CA", "purpose": "license_renewal", "count": 2},
        {"jurisdiction": "NY", "purpose": "duplicate_investigation", "count": 1},
        {"jurisdiction": "TX", "purpose": "license_issuance", "count": 7},
    ],
    "inquiries_total": 13,
    "outside_requests": [
        {"kind": "agency_request", "outcome": "denied", "count": 1},
        {"kind": "court_order", "outcome": "pending", "count": 1},
        {"kind": "subpoena", "outcome": "released", "count": 1},
    ],
    "notices_delayed_by_gag_orders": 2,
    "notices_still_held": 2,
    "enumeration_alerts": [{"jurisdiction": "TX", "count": 1}],
}


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def quarter(hub: Hub) -> Iterator[TestClient]:
    """Run the script; yield the client for the report."""
    clock = Clock(NOW)
    hub.safeguards.outside.now = clock
    key = {code: hub.access.issue_credential(code, "sys", [Role.CLERK, Role.RECORDS])
           for code in ("CA", "NY", "TX")}  # fmt: skip
    legal = auth(hub.access.issue_credential("CA", "counsel", [Role.LEGAL]), "counsel-7")
    with TestClient(create_app(hub)) as client:
        for code, rid in (("CA", "M1"), ("NY", "M9")):
            resp = client.post("/v1/pointers/batch", headers=auth(key[code]),
                               json={"pointers": [pointer(rid, **MARIA)]})  # fmt: skip
            assert resp.status_code == 200, resp.text
        for code, purpose, user in [("CA", "license_issuance", "a"), ("CA", "license_issuance",
                                    "b"), ("CA", "license_issuance", "c"),
                                    ("CA", "license_renewal", "a"), ("CA", "license_renewal", "b"),
                                    ("NY", "duplicate_investigation", "a")]:  # fmt: skip
            resp = client.post(SEARCH, json={**MARIA, "purpose": purpose},
                               headers=auth(key[code], user))  # fmt: skip
            assert resp.status_code == 200, resp.text
        for i in range(8):  # one birth date, eight surnames: the eighth is refused
            resp = client.post(SEARCH, headers=auth(key["TX"], "mallory"), json={
                "first_name": "Ana", "last_name": f"Surname{'abcdefgh'[i]}",
                "dob": "1975-06-01", "purpose": "license_issuance"})  # fmt: skip
            assert resp.status_code == (429 if i == 7 else 200), resp.text

        def register(kind: str, **extra: Any) -> str:
            resp = client.post("/v1/outside-requests", headers=legal, json={
                "requester": "Requesting agency", "legal_basis": "Cited statute 1-2-3",
                "kind": kind, "individuals": [MARIA], **extra})  # fmt: skip
            assert resp.status_code == 201, resp.text
            return str(resp.json()["request_id"])

        def decide(request_id: str, outcome: str) -> None:
            resp = client.post("/v1/outside-decisions", headers=legal, json={
                "request_id": request_id, "outcome": outcome, "basis": "Reviewed"})  # fmt: skip
            assert resp.status_code == 200, resp.text

        subpoena = register("subpoena")
        register("court_order", gag_until=(NOW + timedelta(days=60)).date().isoformat())
        decide(register("agency_request"), "denied")
        clock.now = NOW + timedelta(days=15)
        decide(subpoena, "released")
        yield client


def test_the_api_report_counts_the_scripted_quarter(quarter: TestClient) -> None:
    resp = quarter.get("/v1/transparency", params={"period": PERIOD})
    assert resp.status_code == 200, resp.text
    assert resp.json() == EXPECTED
    page = quarter.get("/transparency", params={"period": PERIOD})
    assert page.headers["content-type"].startswith("text/html")
    assert "<td>TX</td><td>license_issuance</td><td>7</td>" in page.text
    assert "Notices delayed by gag orders: 2 (still held: 2)" in page.text
    assert "Maria" not in page.text
    assert "Quintanilla" not in resp.text


def test_other_quarters_are_empty_and_a_bad_period_is_a_problem(quarter: TestClient) -> None:
    start = datetime.fromisoformat(f"{NOW.year}-{3 * ((NOW.month - 1) // 3) + 1:02d}-01")
    before = current_quarter(start - timedelta(days=1))
    empty = quarter.get("/v1/transparency", params={"period": before}).json()
    assert (empty["inquiries_total"], empty["outside_requests"], empty["enumeration_alerts"],
            empty["notices_delayed_by_gag_orders"]) == (0, [], [], 0)  # fmt: skip
    bad = quarter.get("/v1/transparency", params={"period": "2026Q5"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")


def _cli(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(app, ["report", "transparency", *args],
                              env={"LPX_DATABASE_URL": url})  # fmt: skip


def test_the_cli_report_says_the_same(quarter: TestClient, clean_engine: Engine) -> None:
    as_json = _cli(clean_engine, "--period", PERIOD)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output) == EXPECTED
    markdown = _cli(clean_engine, "--period", PERIOD.lower(), "--format", "markdown")
    assert markdown.exit_code == 0, markdown.output
    assert f"# LPX transparency report {PERIOD}" in markdown.output
    assert "Inquiries: 13" in markdown.output
    for row in ("| CA | license_renewal | 2 |", "| subpoena | released | 1 |",
                "| court_order | pending | 1 |", "| TX | 1 |"):  # fmt: skip
        assert row in markdown.output
    assert "Notices delayed by gag orders: 2 (still held: 2)" in markdown.output
    html = _cli(clean_engine, "--period", PERIOD, "--format", "html")
    assert html.exit_code == 0, html.output
    assert "<td>agency_request</td><td>denied</td><td>1</td>" in html.output
    bad = _cli(clean_engine, "--period", "last quarter")
    assert bad.exit_code == 2
    assert "2026Q4" in bad.output
    assert "Traceback" not in bad.output
