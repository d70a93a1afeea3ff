"""Duplicate cases over the API, on SQLite and PostgreSQL: opened by writes (single and
bulk), seen by both states, resolved, remembered, REAL ID conflicts first, overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.bootstrap import Hub


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
    assert all(c.overdue for c in hub.workflows.cases.list_own(actor, now=later))
    assert _cases(hub_client, ca, "?older_than_days=1") == []
