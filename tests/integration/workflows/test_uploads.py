"""Upload sessions over the API: start or resume by fingerprint, numbered batches recorded in
the batch's own transaction, replays acknowledged, progress for the own state only."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub


def fp(name: str, size: int = 100) -> str:
    return f"sha256:{hashlib.sha256(name.encode()).hexdigest()}:{size}"


def start(client: TestClient, key: str, name: str = "f") -> Any:
    return client.post("/v1/uploads", json={"fingerprint": fp(name), "file_name": "CA.csv"},
                       headers=auth(key))  # fmt: skip


def batch(client: TestClient, key: str, upload_id: str, seq: int, pointers: list[Any],
          **stats: Any) -> Any:  # fmt: skip
    body = {"seq": seq, "rows_read": len(pointers), "pointers": pointers, **stats}
    return client.post(f"/v1/uploads/{upload_id}/batches", json=body, headers=auth(key))


def people(*ids: str) -> list[dict[str, Any]]:
    return [pointer(r, first_name=f"P{r}", dob=f"19{50 + i}-0{1 + i % 9}-1{i % 9}",
                    ssn=tokens(r)) for i, r in enumerate(ids)]  # fmt: skip


def test_same_file_resumes_the_same_upload_and_other_states_cannot_see_it(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    first = start(hub_client, ca)
    again = start(hub_client, ca)
    assert first.status_code == 201, first.text
    assert again.status_code == 200
    assert again.json()["upload_id"] == first.json()["upload_id"]
    assert (first.json()["status"], first.json()["last_seq"]) == ("running", 0)
    theirs = start(hub_client, ny)  # the same file at NY is NY's own upload
    assert theirs.status_code == 201
    assert theirs.json()["upload_id"] != first.json()["upload_id"]
    upload_id = first.json()["upload_id"]
    assert hub_client.get(f"/v1/uploads/{upload_id}", headers=auth(ny)).status_code == 404
    assert [u["upload_id"] for u in hub_client.get("/v1/uploads", headers=auth(ca))
            .json()["items"]] == [upload_id]  # fmt: skip
    sent = batch(hub_client, ny, upload_id, 1, people("A1"))
    assert sent.status_code == 404
    assert sent.headers["content-type"] == "application/problem+json"


def test_batches_move_progress_and_a_replay_is_acknowledged_without_rewriting(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca = credentials["CA"]
    upload_id = start(hub_client, ca).json()["upload_id"]
    one = batch(hub_client, ca, upload_id, 4, people("A1", "A2", "A3"), rows_read=4,
                rejected=1, rejected_reasons={"dob": 1})  # fmt: skip
    assert one.status_code == 200, one.text
    assert one.json() == {"added": 3, "updated": 0, "unchanged": 0}
    before = hub_client.get("/v1/pointers/records/A1", headers=auth(ca)).json()

    changed = people("A1", "A2", "A3")
    changed[0]["status"] = "surrendered"  # a replay must not write even a changed body
    replay = batch(hub_client, ca, upload_id, 4, changed, rows_read=4, rejected=1)
    assert replay.status_code == 200, replay.text
    assert replay.json() == {"added": 0, "updated": 0, "unchanged": 0, "replayed": True}
    assert hub_client.get("/v1/pointers/records/A1", headers=auth(ca)).json() == before

    two = batch(hub_client, ca, upload_id, 6, people("A4"), rows_read=2, withheld=1)
    assert two.status_code == 200, two.text
    progress = hub_client.get(f"/v1/uploads/{upload_id}", headers=auth(ca)).json()
    assert {k: progress[k] for k in ("last_seq", "batches", "rows_read", "rows_sent", "added",
                                     "rejected", "withheld", "rejected_reasons", "status")} == {
        "last_seq": 6, "batches": 2, "rows_read": 6, "rows_sent": 4, "added": 4, "rejected": 1,
        "withheld": 1, "rejected_reasons": {"dob": 1}, "status": "running"}  # fmt: skip


def test_counts_must_add_up_and_follow_the_last_committed_row(
    hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca = credentials["CA"]
    upload_id = start(hub_client, ca).json()["upload_id"]
    short = batch(hub_client, ca, upload_id, 3, people("B1"), rows_read=3)
    assert short.status_code == 422  # 3 rows read but only 1 accounted for
    assert short.headers["content-type"] == "application/problem+json"
    gap = batch(hub_client, ca, upload_id, 5, people("B1"))  # rows 5-5: rows 1-4 missing
    assert gap.status_code == 409, gap.text
    assert hub_client.get("/v1/pointers/records/B1", headers=auth(ca)).status_code == 404


def test_a_refused_batch_leaves_the_upload_where_it_was(
    hub_client: TestClient, credentials: dict[str, str], hub: Hub
) -> None:
    """The batch's pointers and its progress commit together: a refusal moves neither."""
    ca = credentials["CA"]
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    assert hub_client.put("/v1/policy", json={"real_id_only": True},
                          headers=auth(admin)).status_code == 200  # fmt: skip
    upload_id = start(hub_client, ca).json()["upload_id"]
    refused = batch(hub_client, ca, upload_id, 2, [*people("C1"), pointer("C2", real_id=False)])
    assert refused.status_code == 422, refused.text
    progress = hub_client.get(f"/v1/uploads/{upload_id}", headers=auth(ca)).json()
    assert (progress["last_seq"], progress["rows_read"], progress["added"]) == (0, 0, 0)
    assert hub_client.get("/v1/pointers/records/C1", headers=auth(ca)).status_code == 404


def test_complete_abort_and_resume(hub_client: TestClient, credentials: dict[str, str]) -> None:
    ca = credentials["CA"]
    upload_id = start(hub_client, ca).json()["upload_id"]
    assert batch(hub_client, ca, upload_id, 1, people("D1")).status_code == 200
    aborted = hub_client.post(f"/v1/uploads/{upload_id}/abort", headers=auth(ca))
    assert aborted.json()["status"] == "aborted"
    resumed = start(hub_client, ca)
    assert (resumed.json()["upload_id"], resumed.json()["status"], resumed.json()["last_seq"]) \
        == (upload_id, "running", 1)  # fmt: skip
    tail = {"seq": 3, "rows_read": 2, "rejected": 2, "rejected_reasons": {"record_id": 2}}
    done = hub_client.post(f"/v1/uploads/{upload_id}/complete", json=tail, headers=auth(ca))
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["rows_read"], done.json()["rejected"]) == \
        ("complete", 3, 2)  # fmt: skip
    twice = hub_client.post(f"/v1/uploads/{upload_id}/complete", json=tail, headers=auth(ca))
    assert twice.json() == done.json() | {"updated_at": twice.json()["updated_at"]}
    late = batch(hub_client, ca, upload_id, 4, people("D2"))
    assert late.status_code == 409
    assert hub_client.post(f"/v1/uploads/{upload_id}/abort", headers=auth(ca)).status_code == 409


def test_cases_opened_are_counted_per_state(hub: Hub, hub_client: TestClient,
                                            credentials: dict[str, str]) -> None:  # fmt: skip
    ca, ny = credentials["CA"], credentials["NY"]
    twin = pointer("N1", ssn=tokens("twin"))
    assert hub_client.put("/v1/pointers/records/N1", json=twin,
                          headers=auth(ny)).status_code in (200, 201)  # fmt: skip
    upload_id = start(hub_client, ca).json()["upload_id"]
    sent = batch(hub_client, ca, upload_id, 1, [pointer("T1", ssn=tokens("twin"))])
    assert sent.json()["cases_opened"] == {"NY": 1}
    actor = Actor("CA", "console", frozenset({Role.RECORDS}), 0)
    assert hub.uploads.progress(actor, upload_id).cases_opened == {"NY": 1}
    assert [u.upload_id for u in hub.uploads.list_own(actor)] == [upload_id]
