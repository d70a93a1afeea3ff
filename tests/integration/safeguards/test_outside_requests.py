"""Requests from outside the participating states, end to end over the API.

Legal registers a subpoena naming one person; California and New York hold her records and
are notified (GET /v1/outside-notices and their notification feeds), Texas is not. A
request naming a class of people is refused with a 422 problem. Nothing is released before
a recorded decision, every objection window has closed and every objection was overruled
by name. Under a gag order the notice is held (invisible to the state, refused release,
counted by the transparency report) and goes out by itself on the day the order ends. The
service's clock is replaced, so days pass without sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.services.transparency import current_quarter

MARIA = {"first_name": "Maria", "last_name": "Quintanilla", "dob": "1980-03-05"}
PROBLEM = "application/problem+json"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def env(hub: Hub) -> Iterator[dict[str, Any]]:
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    keys = {code: hub.access.issue_credential(code, "admin", [Role.STATE_ADMIN])
            for code in ("CA", "NY", "TX")}  # fmt: skip
    keys["legal"] = hub.access.issue_credential("CA", "counsel", [Role.LEGAL])
    with TestClient(create_app(hub)) as client:
        hub.safeguards.outside.now = clock
        people = {"CA": [pointer("M1", middle_name="", **MARIA)],
                  "NY": [pointer("M9", middle_name="Elena", **MARIA)],
                  "TX": [pointer("T1", first_name="Oscar", last_name="Delgado")]}  # fmt: skip
        ids = {}
        for code, batch in people.items():
            records = hub.access.issue_credential(code, "records", [Role.RECORDS])
            resp = client.post("/v1/pointers/batch", json={"pointers": batch},
                               headers=auth(records))  # fmt: skip
            assert resp.status_code == 200, resp.text
            listed = client.get("/v1/pointers", headers=auth(records)).json()["items"]
            ids[code] = listed[0]["pointer_id"]
        yield {"client": client, "clock": clock, "keys": keys, "ids": ids, "hub": hub}


def _legal(env: dict[str, Any]) -> dict[str, str]:
    return auth(env["keys"]["legal"], "counsel-7")


def _register(env: dict[str, Any], **extra: Any) -> Any:
    body = {"requester": "District Court, N.D. Cal.", "legal_basis": "Subpoena 26-cv-0142",
            "kind": "subpoena", "individuals": [MARIA], **extra}  # fmt: skip
    return env["client"].post("/v1/outside-requests", json=body, headers=_legal(env))


def _decide(env: dict[str, Any], request_id: str, outcome: str, **extra: Any) -> Any:
    body = {"request_id": request_id, "outcome": outcome, "basis": "Order reviewed by counsel",
            **extra}  # fmt: skip
    return env["client"].post("/v1/outside-decisions", json=body,
                              headers=_legal(env))  # fmt: skip


def _notices(env: dict[str, Any], code: str) -> list[dict[str, Any]]:
    resp = env["client"].get("/v1/outside-notices", headers=auth(env["keys"][code]))
    assert resp.status_code == 200, resp.text
    notices: list[dict[str, Any]] = resp.json()
    return notices


def _feed(env: dict[str, Any], code: str) -> list[dict[str, Any]]:
    resp = env["client"].get("/v1/notifications", params={"limit": 500},
                             headers=auth(env["keys"][code]))  # fmt: skip
    return [n for n in resp.json()["items"] if n["kind"] == "outside_request"]


def _object(env: dict[str, Any], code: str, request_id: str) -> Any:
    return env["client"].post(
        "/v1/outside-objections",
        headers=auth(env["keys"][code]),
        json={"request_id": request_id, "reason": "The person is not a party to the case"},
    )


def _transparency(env: dict[str, Any]) -> dict[str, Any]:
    resp = env["client"].get("/v1/transparency", params={"period": current_quarter()})
    assert resp.status_code == 200, resp.text
    report: dict[str, Any] = resp.json()
    return report


@pytest.mark.parametrize("individual", [
    {"first_name": "All", "last_name": "holders without SSN", "dob": "1980-03-05"},
    {"first_name": "Maria", "last_name": "Garc*", "dob": "1980-03-05"},
    {"first_name": "Any", "last_name": "Undocumented residents", "dob": "1980-03-05"},
    {"first_name": "Maria", "last_name": "Quintanilla", "dob": "1980-01-01 to 1989-12-31"},
])  # fmt: skip
def test_a_request_naming_a_class_of_people_is_refused(
    env: dict[str, Any], individual: dict[str, str]
) -> None:
    resp = _register(env, individuals=[individual])
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    fields = {e.get("field", "") for e in resp.json()["errors"]}
    assert any("individuals" in f for f in fields), fields
    listed = env["client"].get("/v1/outside-requests", headers=_legal(env))
    assert listed.json() == []
    assert _notices(env, "CA") == []


def test_states_in_scope_are_notified_object_and_release_needs_a_decision(
        env: dict[str, Any]) -> None:  # fmt: skip
    client, clock, ids = env["client"], env["clock"], env["ids"]
    resp = _register(env)
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["request_id"]
    assert resp.json()["released"] is None
    # California and New York are told at once, each about its own pointer only.
    for code in ("CA", "NY"):
        [notice] = _notices(env, code)
        assert notice["pointer_ids"] == [ids[code]]
        assert notice["requester"] == "District Court, N.D. Cal."
        deadline = datetime.fromisoformat(notice["objection_deadline"])
        assert deadline.replace(tzinfo=UTC) == clock.now + timedelta(days=14)
        [pushed] = _feed(env, code)
        assert pushed["ref"] == request_id
        assert pushed["detail"]["pointers"] == 1
    assert _notices(env, "TX") == []
    assert _feed(env, "TX") == []
    # No release while the window is open; California objects within it.
    early = _decide(env, request_id, "released")
    assert early.status_code == 409
    assert early.headers["content-type"].startswith(PROBLEM)
    assert "still open" in early.json()["detail"]
    assert _object(env, "CA", request_id).status_code == 200
    clock.now += timedelta(days=14, seconds=1)
    late = _object(env, "NY", request_id)
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]
    # A standing objection blocks release until it is overruled by name, with a basis.
    blocked = _decide(env, request_id, "released")
    assert blocked.status_code == 409
    assert "CA objected" in blocked.json()["detail"]
    no_basis = _decide(env, request_id, "released", basis=" ", overrule=["CA"])
    assert no_basis.status_code == 422
    status = client.get("/v1/outside-requests", headers=_legal(env)).json()
    assert [(r["outcome"], r["released"], r["decided_by"]) for r in status] == [
        ("pending", None, None)]  # fmt: skip
    done = _decide(env, request_id, "released", overrule=["CA"])
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["outcome"], body["decided_by"]) == ("released", "counsel-7")
    assert body["decision_basis"] == "Order reviewed by counsel"
    assert sorted((r["jurisdiction"], r["pointer_id"]) for r in body["released"]) == [
        ("CA", ids["CA"]), ("NY", ids["NY"])]  # fmt: skip
    assert _decide(env, request_id, "denied").status_code == 409  # decided once, for good
    report = _transparency(env)
    assert report["outside_requests"] == [{"kind": "subpoena", "outcome": "released", "count": 1}]
    assert report["notices_delayed_by_gag_orders"] == 0


def test_a_gagged_notice_is_held_and_sent_the_day_the_order_ends(env: dict[str, Any]) -> None:
    client, clock, hub = env["client"], env["clock"], env["hub"]
    gag_end = (clock.now + timedelta(days=30)).date()
    resp = _register(env, kind="court_order", gag_until=gag_end.isoformat())
    assert resp.status_code == 201, resp.text
    request_id = resp.json()["request_id"]
    # Held: neither state sees it, release is refused, the report counts it anyway.
    assert _notices(env, "CA") == []
    assert _feed(env, "NY") == []
    held = _decide(env, request_id, "released")
    assert held.status_code == 409
    assert "non-disclosure" in held.json()["detail"]
    report = _transparency(env)
    assert (report["notices_delayed_by_gag_orders"], report["notices_still_held"]) == (2, 2)
    # The day before the order ends, still held.
    clock.now = datetime.combine(gag_end - timedelta(days=1), datetime.max.time(), UTC)
    assert hub.safeguards.outside.release_due_notices() == 0
    assert _notices(env, "CA") == []
    # The day it ends, the background job sends both notices; the window starts then.
    clock.now = datetime.combine(gag_end, datetime.min.time(), UTC) + timedelta(minutes=1)
    assert hub.safeguards.outside.release_due_notices() == 2
    for code in ("CA", "NY"):
        [notice] = _notices(env, code)
        assert datetime.fromisoformat(notice["sent_at"]).date() == gag_end
        [pushed] = _feed(env, code)
        assert pushed["ref"] == request_id
    report = _transparency(env)
    assert (report["notices_delayed_by_gag_orders"], report["notices_still_held"]) == (2, 0)
    assert _decide(env, request_id, "released").status_code == 409  # window open
    clock.now += timedelta(days=14, seconds=1)
    done = _decide(env, request_id, "released")
    assert done.status_code == 200, done.text
    assert len(done.json()["released"]) == 2
    assert client.get("/v1/outside-notices", headers=auth(env["keys"]["TX"])).json() == []


def test_a_request_is_denied_without_waiting(env: dict[str, Any]) -> None:
    request_id = _register(env, kind="agency_request").json()["request_id"]
    denied = _decide(env, request_id, "denied")
    assert denied.status_code == 200
    assert (denied.json()["outcome"], denied.json()["released"]) == ("denied", None)
    status = env["client"].get("/v1/outside-requests", headers=_legal(env)).json()
    assert status[0]["released"] is None
