"""A duplicate case's identity fingerprint is keyed per state: it cannot confirm a guessed
identity without both states' keys, stays stable when a key rotates, and the unkeyed form
written before revision 0010 is still honoured."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import select, update

from lpx.bootstrap import Hub
from lpx.services.codec import IdentityCodec, keyed_pair_fingerprint
from lpx.services.matching import profile_fingerprint
from lpx.storage import tables as t
from lpx.storage import workflow_tables as w


def _one_case(hub: Hub, client: TestClient, credentials: dict[str, str]) -> tuple[str, str]:
    """The same person in CA and NY: one case; returns (case id, stored identity_fp)."""
    client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(credentials["CA"]))
    client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(credentials["NY"]))
    with hub.engine.connect() as conn:
        [(case_id, fp)] = conn.execute(select(w.cases.c.case_id, w.cases.c.identity_fp)).all()
    return case_id, fp


def _unkeyed(hub: Hub, codec: IdentityCodec) -> str:
    """What an attacker holding a backup computes from a guessed identity: the hash of both
    match profiles (read here from the stored pointers, as a right guess would give)."""
    p = t.pointers.c
    with hub.engine.connect() as conn:
        rows = conn.execute(select(p.pointer_id, p.jurisdiction, p.identity)).all()
    fps = sorted((r.pointer_id, profile_fingerprint(codec.profile(r.identity, r.jurisdiction,
                                                                  r.pointer_id))) for r in rows)
    return hashlib.sha256("|".join(f for _, f in fps).encode()).hexdigest()


@pytest.fixture
def codec(hub: Hub) -> IdentityCodec:
    return IdentityCodec(hub.keys.ring)


def test_the_stored_fingerprint_is_keyed_and_dies_with_a_states_keys(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], codec: IdentityCodec
) -> None:
    _, stored = _one_case(hub, hub_client, credentials)
    plain = _unkeyed(hub, codec)
    assert stored.startswith("k1:")
    assert plain not in stored  # the unkeyed form would confirm a guess from a backup
    keys = {j: codec.fingerprint_key(j) for j in ("CA", "NY")}
    assert stored == keyed_pair_fingerprint(plain, keys, ("NY", "CA"))  # type: ignore[arg-type]
    hub.keys.destroy("CA", "operator")
    assert codec.fingerprint_key("CA") is None  # gone with CA's keys
    assert codec.fingerprint_key("NY") == keys["NY"]


def _resolve_then_touch(hub_client: TestClient, credentials: dict[str, str],
                        case_id: str) -> int:  # fmt: skip
    """Resolve the case as different people, update CA's card only; the cases then open."""
    ca = credentials["CA"]
    resp = hub_client.post(f"/v1/cases/{case_id}/transitions", headers=auth(ca),
                           json={"status": "different_people"})  # fmt: skip
    assert resp.status_code == 200, resp.text
    upd = hub_client.put("/v1/pointers/records/C1", json=pointer("C1", status="surrendered"),
                         headers=auth(ca))  # fmt: skip
    assert upd.status_code == 200, upd.text
    return len(hub_client.get("/v1/cases", headers=auth(ca)).json()["items"])


def test_a_rotated_key_keeps_a_pair_resolved_as_different_people_remembered(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    case_id, _ = _one_case(hub, hub_client, credentials)
    hub.keys.rotate("CA", "operator")
    hub.keys.rotate("NY", "operator")
    assert _resolve_then_touch(hub_client, credentials, case_id) == 0


def test_a_legacy_unkeyed_fingerprint_still_remembers_the_pair(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], codec: IdentityCodec
) -> None:
    case_id, _ = _one_case(hub, hub_client, credentials)
    with hub.engine.begin() as conn:  # as a case stored before revision 0010 holds it
        conn.execute(update(w.cases).values(identity_fp=_unkeyed(hub, codec)))
    assert _resolve_then_touch(hub_client, credentials, case_id) == 0


def _stored(hub: Hub) -> str:
    with hub.engine.connect() as conn:
        return str(conn.execute(select(w.cases.c.identity_fp)).scalar_one())


def test_reencrypt_keys_a_legacy_fingerprint_and_destroy_leaves_none(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str], codec: IdentityCodec
) -> None:
    _, keyed = _one_case(hub, hub_client, credentials)
    plain = _unkeyed(hub, codec)
    with hub.engine.begin() as conn:
        conn.execute(update(w.cases).values(identity_fp=plain))
    hub.keys.reencrypt("NY", "operator")
    assert _stored(hub) == keyed  # the keyed form, computed from the unkeyed one
    with hub.engine.begin() as conn:
        conn.execute(update(w.cases).values(identity_fp=plain))
    hub.keys.destroy("CA", "operator")
    after = _stored(hub)
    assert after.startswith("k1:")
    assert plain not in after
    assert after != keyed
