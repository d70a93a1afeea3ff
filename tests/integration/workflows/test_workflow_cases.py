"""Duplicate cases over the API, on SQLite and PostgreSQL: opened by writes (single and
bulk), seen by both states, resolved, remembered, REAL ID conflicts first, overdue after the
configured age, and paged with cursors in one stable order."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens
from sqlalchemy import update

from lpx.api.app import create_app
from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.storage import workflow_tables as w


def _cases(client: TestClient, key: str, query: str = "") -> list[dict]:  # type: ignore[type-arg]
    resp = client.get(f"/v1/cases{query}", headers=auth(key))
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]  # type: ignore[no-any-return]


def test_a_match_across_states_opens_one_case_seen_by_both(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny, tx = credentials["CA"], credentials["NY"], credentials["TX"]
    first = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("C1")]},
                            headers=auth(ca))
    assert "cases_opened" not in first.json()
    resp = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("N1")]},
                           headers=auth(ny))
    assert resp.json()["cases_opened"] == {"CA": 1}
    [case] = _cases(hub_client, ca)
    assert _cases(hub_client, ny) == [case]
    assert _cases(hub_client, tx) == []
    assert {case["jurisdiction_a"], case["jurisdiction_b"]} == {"CA", "NY"}
    assert case["status"] == "open"
    assert case["match_class"] == "match"
    assert case["real_id_conflict"] is True  # both active REAL ID DLs
    # Resubmitting the same record changes nothing and raises nothing.
    again = hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("N1")]},
                            headers=auth(ny))
    assert "cases_opened" not in again.json()
    assert len(_cases(hub_client, ny)) == 1


def test_bulk_batch_finds_duplicates_within_itself(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    body = {"pointers": [pointer("B1"), pointer("B2", real_id=False),
                         pointer("B3", first_name="Zelda", last_name="Quartermaine",
                                 dob="1955-11-30", sex="F")]}
    resp = hub_client.post("/v1/pointers/batch", json=body, headers=auth(credentials["TX"]))
    assert resp.json()["cases_opened"] == {"TX": 1}
    [case] = _cases(hub_client, credentials["TX"])
    assert {case["record_id_a"], case["record_id_b"]} == {"B1", "B2"}
    assert case["real_id_conflict"] is False


def test_different_people_is_remembered_until_identity_changes(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca))
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    [case] = _cases(hub_client, ca)
    url = f"/v1/cases/{case['case_id']}/transitions"
    resp = hub_client.post(url, json={"status": "different_people"}, headers=auth(ny, "ann"))
    assert resp.status_code == 200, resp.text
    history = resp.json()["history"]
    assert [(h["from_status"], h["to_status"]) for h in history] == [
        (None, "open"), ("open", "different_people")]
    assert history[-1]["jurisdiction"] == "NY"
    assert history[-1]["user_id"] == "ann"
    # A card-only update keeps the identity: the pair is not raised again.
    upd = hub_client.put("/v1/pointers/records/C1", json=pointer("C1", status="surrendered"),
                         headers=auth(ca))
    assert upd.status_code == 200
    assert _cases(hub_client, ca) == []
    # A changed identity field is a new question: raised again.
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1", ssn=tokens("9")),
                   headers=auth(ca))
    assert len(_cases(hub_client, ca)) == 1
    # A final case cannot move again (409 problem).
    refused = hub_client.post(url, json={"status": "same_person"}, headers=auth(ca))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"


def test_other_states_cannot_see_or_move_a_case(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(credentials["CA"]))
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(credentials["NY"]))
    [case] = _cases(hub_client, credentials["CA"])
    tx = auth(credentials["TX"])
    assert hub_client.get(f"/v1/cases/{case['case_id']}", headers=tx).status_code == 404
    moved = hub_client.post(f"/v1/cases/{case['case_id']}/transitions",
                            json={"status": "same_person"}, headers=tx)
    assert moved.status_code == 404


def test_same_person_path_and_status_filter(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca))
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    [case] = _cases(hub_client, ca)
    url = f"/v1/cases/{case['case_id']}/transitions"
    for status in ("under_investigation", "same_person", "closed"):
        resp = hub_client.post(url, json={"status": status}, headers=auth(ca))
        assert resp.status_code == 200, resp.text
    assert _cases(hub_client, ca) == []
    assert len(_cases(hub_client, ca, "?status=closed")) == 1


def test_real_id_conflicts_come_first_and_old_cases_are_overdue(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    plain = {"first_name": "Maria", "last_name": "Okafor", "dob": "1990-07-21", "sex": "F"}
    hub_client.put("/v1/pointers/records/C2", json=pointer("C2", real_id=False, **plain),
                   headers=auth(ca))  # fmt: skip
    hub_client.put("/v1/pointers/records/N2", json=pointer("N2", **plain), headers=auth(ny))
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca))
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    items = _cases(hub_client, ca)
    assert [c["real_id_conflict"] for c in items] == [True, False]
    assert not any(c["overdue"] for c in items)
    later = datetime.now(UTC) + timedelta(days=31)
    from lpx.auth.permissions import Role
    from lpx.auth.policy import Actor

    actor = Actor("CA", "u", frozenset({Role.RECORDS}), 0)
    page = hub.workflows.cases.list_own(actor, now=later)
    assert len(page.items) == 2
    assert all(c.overdue for c in page.items)
    assert len(hub.workflows.cases.list_own(actor, overdue_only=True, now=later).items) == 2
    assert hub.workflows.cases.list_own(actor, overdue_only=True).items == []
    assert _cases(hub_client, ca, "?overdue=true") == []
    assert _cases(hub_client, ca, "?older_than_days=1") == []


# -- paging ------------------------------------------------------------------------------

PEOPLE = [("Okafor", "1961-01-11"), ("Lindqvist", "1962-02-12"), ("Haddad", "1963-03-13"),
          ("Nakamura", "1964-04-14"), ("Fitzgerald", "1965-05-15"), ("Moreau", "1966-06-16"),
          ("Kowalski", "1967-07-17"), ("Abernathy", "1968-08-18")]  # fmt: skip


def _person(record_id: str, i: int, real_id: bool = True) -> dict[str, Any]:
    last, dob = PEOPLE[i]
    return pointer(record_id, first_name=f"Quill{chr(65 + i)}", middle_name="", last_name=last,
                   dob=dob, real_id=real_id)  # fmt: skip


def _queue(hub_client: TestClient, credentials: dict[str, str]) -> list[dict[str, Any]]:
    """CA's queue of 11 cases: 8 with NY opened in one batch (one instant, so ties on
    opened_at), 3 with TX opened later; REAL ID conflicts mixed in both groups."""
    ca, ny, tx = (credentials[s] for s in ("CA", "NY", "TX"))
    batch = {"pointers": [_person(f"C{i}", i) for i in range(8)]}
    assert hub_client.post("/v1/pointers/batch", json=batch, headers=auth(ca)).status_code == 200
    batch = {"pointers": [_person(f"N{i}", i, real_id=i % 3 == 0) for i in range(8)]}
    resp = hub_client.post("/v1/pointers/batch", json=batch, headers=auth(ny))
    assert resp.json()["cases_opened"] == {"CA": 8}
    batch = {"pointers": [_person(f"T{i}", i, real_id=i == 1) for i in range(3)]}
    resp = hub_client.post("/v1/pointers/batch", json=batch, headers=auth(tx))
    assert resp.json()["cases_opened"] == {"CA": 3, "NY": 3}
    return _cases(hub_client, ca, "?limit=500")


def _walk(hub_client: TestClient, key: str, query: str) -> tuple[list[dict[str, Any]], int]:
    items, pages, cursor = [], 0, None
    while pages < 50:  # a queue of 11: more pages than this means the cursor went round
        suffix = f"&cursor={cursor}" if cursor else ""
        resp = hub_client.get(f"/v1/cases?{query}{suffix}", headers=auth(key))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages
    raise AssertionError("the cursor never reached the end of the queue")


@pytest.mark.parametrize("size", [1, 2, 3, 10, 11])
def test_paging_walks_the_whole_queue_in_one_stable_order(
    hub_client: TestClient, credentials: dict[str, str], size: int
) -> None:
    everything = _queue(hub_client, credentials)
    assert len(everything) == 11
    conflicts = [c["real_id_conflict"] for c in everything]
    assert conflicts == sorted(conflicts, reverse=True)  # REAL ID conflicts first
    assert 0 < sum(conflicts) < 11
    key = [(not c["real_id_conflict"], datetime.fromisoformat(c["opened_at"]), c["case_id"])
           for c in everything]  # fmt: skip
    assert key == sorted(key)  # then opened_at, then case id
    assert len({k[1] for k in key}) < len(key)  # ties on opened_at exist: the id breaks them
    walked, pages = _walk(hub_client, credentials["CA"], f"limit={size}")
    assert [c["case_id"] for c in walked] == [c["case_id"] for c in everything]
    assert pages == -(-11 // size)  # full pages, no empty page at the end


def test_paging_keeps_the_filters(hub_client: TestClient, credentials: dict[str, str]) -> None:
    everything = _queue(hub_client, credentials)
    ca = credentials["CA"]
    [first, *_] = everything
    url = f"/v1/cases/{first['case_id']}/transitions"
    assert hub_client.post(url, json={"status": "under_investigation"},
                           headers=auth(ca)).status_code == 200  # fmt: skip
    walked, _ = _walk(hub_client, ca, "limit=1&status=open")
    assert [c["case_id"] for c in walked] == [c["case_id"] for c in everything[1:]]
    walked, pages = _walk(hub_client, ca, "limit=1&status=under_investigation")
    assert ([c["case_id"] for c in walked], pages) == ([first["case_id"]], 1)
    assert _walk(hub_client, ca, "limit=2&overdue=true") == ([], 1)


@pytest.mark.parametrize("cursor", [
    "nonsense", "", "%00", "%C3%A9t%C3%A9", "x" * 201,
    base64.urlsafe_b64encode(b"c1|2|2025-01-01T00:00:00+00:00|" + b"0" * 36).decode(),
    base64.urlsafe_b64encode(b"c1|1|2025-01-01T00:00:00|00000000-0000-0000-0000-000000000000"
                             ).decode(),  # no time zone
    base64.urlsafe_b64encode(b"c1|1|0001-01-01T00:00:00+05:00|"
                             b"00000000-0000-0000-0000-000000000000").decode(),  # overflows
    base64.urlsafe_b64encode(b"c9|1|2025-01-01T00:00:00+00:00|"
                             b"00000000-0000-0000-0000-000000000000").decode(),  # version
    base64.urlsafe_b64encode(b"c1|1|2025-01-01T00:00:00+00:00|robert'); drop table cases").decode(),
])  # fmt: skip
def test_a_cursor_the_hub_did_not_hand_out_is_a_422_problem(
    hub_client: TestClient, credentials: dict[str, str], cursor: str
) -> None:
    resp = hub_client.get(f"/v1/cases?cursor={cursor}", headers=auth(credentials["CA"]))
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert "cursor" in resp.json()["detail"]


def test_a_handed_out_cursor_is_accepted_with_any_padding(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    _queue(hub_client, credentials)
    ca = credentials["CA"]
    cursor = hub_client.get("/v1/cases?limit=4", headers=auth(ca)).json()["next_cursor"]
    assert "=" not in cursor
    padded = cursor + "=" * (-len(cursor) % 4)
    a = hub_client.get(f"/v1/cases?cursor={cursor}", headers=auth(ca)).json()["items"]
    b = hub_client.get("/v1/cases", params={"cursor": padded}, headers=auth(ca)).json()["items"]
    assert len(a) == 7
    assert a == b


# -- overdue ages from settings -------------------------------------------------------------


def test_overdue_ages_come_from_the_settings(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("LPX_CASE_OVERDUE_DAYS", "2")
    monkeypatch.setenv("LPX_TRANSFER_OVERDUE_DAYS", "3")
    monkeypatch.setenv("LPX_DATABASE_URL", hub.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LPX_DATA_DIR", str(hub.settings.data_dir))
    strict = build_hub(Settings(), engine=hub.engine)
    assert (hub.settings.case_overdue_days, hub.settings.transfer_overdue_days) == (30, 14)
    ca, ny = credentials["CA"], credentials["NY"]
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca))
    old = hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny)).json()
    moved = hub_client.post("/v1/transfers", headers=auth(ca), json={
        "pointer_id": old["pointer_id"], "record_id": "C9", "card_type": "DL", "real_id": True})
    assert moved.status_code == 201, moved.text
    four_days_ago = datetime.now(UTC) - timedelta(days=4)
    with hub.engine.begin() as conn:
        conn.execute(update(w.cases).values(opened_at=four_days_ago))
        conn.execute(update(w.transfers).values(requested_at=four_days_ago))
    with TestClient(create_app(strict)) as strict_client:
        for client, expected in ((hub_client, 0), (strict_client, 1)):
            assert len(_cases(client, ca, "?overdue=true")) == expected
            transfers = client.get("/v1/transfers?overdue=true", headers=auth(ny)).json()
            assert len(transfers["items"]) == expected


def test_overdue_transfers_are_filtered_before_the_limit(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str],
) -> None:  # fmt: skip
    """Old confirmed moves must not use up the page: the one overdue move is still listed."""
    ca, ny = credentials["CA"], credentials["NY"]
    ids = []
    for i in range(4):
        person = pointer(f"N{i}", first_name=f"Ann{'a' * i}")
        old = hub_client.put(f"/v1/pointers/records/N{i}", json=person, headers=auth(ny)).json()
        moved = hub_client.post("/v1/transfers", headers=auth(ca), json={
            "pointer_id": old["pointer_id"], "record_id": f"C{i}", "card_type": "DL",
            "real_id": False})  # fmt: skip
        assert moved.status_code == 201, moved.text
        ids.append(moved.json()["transfer_id"])
    for transfer_id in ids[:3]:
        done = hub_client.post(f"/v1/transfers/{transfer_id}/answer", headers=auth(ny),
                               json={"answer": "confirmed"})  # fmt: skip
        assert done.status_code == 200, done.text
    long_ago = datetime.now(UTC) - timedelta(days=60)
    with hub.engine.begin() as conn:
        conn.execute(update(w.transfers).values(requested_at=long_ago))
    listed = hub_client.get("/v1/transfers?overdue=true&limit=2", headers=auth(ny)).json()
    assert [t["transfer_id"] for t in listed["items"]] == [ids[3]]
    assert all(t["overdue"] for t in listed["items"])
