"""A state's withdrawal is final: its keys are shredded (a backup taken before is
unreadable with anything the hub holds), no live row names it, other states are untouched,
those sharing a case or a transfer are told, and the receipt verifies."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import func, select

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.keys.envelope import DataKey, TamperedCiphertext, key_version, open_sealed
from lpx.keys.provider import KeyDestroyed
from lpx.keys.ring import wrap_context
from lpx.services.withdrawal import verify_receipt
from lpx.storage import tables as t
from lpx.storage import workflow_tables as w
from lpx.storage.key_tables import state_data_keys
from lpx.storage.tables import metadata
from lpx.storage.workflow_repositories import WithdrawalRepository


def test_withdrawal_removes_everything_and_signs_a_receipt(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    ca, ny = credentials["CA"], credentials["NY"]
    hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("C1"), pointer("C2",
                    first_name="Zed", dob="1970-01-09")]}, headers=auth(ca))  # fmt: skip
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    refused = hub_client.post("/v1/withdrawal", json={"confirm": "NY"}, headers=auth(admin))
    assert refused.status_code == 422
    resp = hub_client.post("/v1/withdrawal", json={"confirm": "CA"}, headers=auth(admin))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    removed = body["receipt"]["removed"]
    assert removed["pointers"] == 2
    assert removed["cases"] == 1
    assert removed["pointer_blocks"] > 0
    assert verify_receipt(body["receipt"], bytes.fromhex(body["signature"]),
                          bytes.fromhex(body["public_key"]))  # fmt: skip
    tampered = {**body["receipt"], "removed": {**removed, "pointers": 1}}
    assert not verify_receipt(tampered, bytes.fromhex(body["signature"]),
                              bytes.fromhex(body["public_key"]))  # fmt: skip
    with hub.engine.connect() as conn:
        from lpx.storage.workflow_repositories import WithdrawalRepository

        assert WithdrawalRepository(conn).remaining("CA") == 0
    assert hub_client.get("/v1/cases", headers=auth(ny)).json()["items"] == []
    assert hub_client.get("/v1/pointers/records/N1", headers=auth(ny)).status_code == 200


@pytest.mark.parametrize("role", [Role.RECORDS, Role.CLERK])
def test_only_a_state_administrator_withdraws(hub: Hub, hub_client: TestClient,
                                              role: Role) -> None:  # fmt: skip
    key = hub.access.issue_credential("CA", "x", [role])
    assert hub_client.post("/v1/withdrawal", json={"confirm": "CA"},
                           headers=auth(key)).status_code == 403  # fmt: skip


def _backup(hub: Hub, code: str) -> dict[str, Any]:
    """What a dump taken now would hold of the state: its sealed rows and wrapped keys."""
    p, k = t.pointers.c, state_data_keys.c
    with hub.engine.connect() as conn:
        rows = conn.execute(select(p.pointer_id, p.identity, p.content_hash)
                            .where(p.jurisdiction == code)).all()  # fmt: skip
        keys = conn.execute(select(k.version, k.key_id, k.wrapped_key)
                            .where(k.jurisdiction == code)).all()  # fmt: skip
    return {"rows": [tuple(r) for r in rows], "keys": [tuple(r) for r in keys]}


def _every_secret_the_hub_holds(hub: Hub) -> list[bytes]:
    """Every data key any state still has (all versions), and the hub's index key."""
    secrets = [hub.settings.index_key()]
    with hub.engine.connect() as conn:
        versions = conn.execute(select(state_data_keys.c.jurisdiction,
                                       state_data_keys.c.version)).all()  # fmt: skip
    for code, version in versions:
        with contextlib.suppress(KeyDestroyed):
            secrets.append(hub.keys.ring.get(code, version).secret)
    return secrets


def _live_text(hub: Hub, audit: bool = True) -> str:
    """Every value of every live table, as one string to search for leftovers. The audit
    log keeps pointer ids by design (append-only and hash-chained; never identity fields),
    so ``audit=False`` leaves it out when looking for ids."""
    parts: list[str] = []
    with hub.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if not audit and table.name.startswith("audit_"):
                continue
            for row in conn.execute(select(table)):
                parts += [f"{v.hex()} {v.decode('latin-1')}" if isinstance(v, bytes)
                          else str(v) for v in row]  # fmt: skip
    return "\n".join(parts)


def _setup(hub_client: TestClient, credentials: dict[str, str]) -> dict[str, Any]:
    """CA holds C1 (a case with NY's N1) and C2, which NY takes over (pending); TX holds T1."""
    ca, ny, tx = credentials["CA"], credentials["NY"], credentials["TX"]
    other = {"first_name": "Zed", "last_name": "Oyelaran", "dob": "1970-01-09"}
    hub_client.post("/v1/pointers/batch", json={"pointers": [pointer("C1"), pointer("C2", **other),
                    pointer("C3", first_name="Ines", dob="1991-09-19")]},
                    headers=auth(ca))  # fmt: skip
    hub_client.put("/v1/pointers/records/N1", json=pointer("N1"), headers=auth(ny))
    hub_client.put("/v1/pointers/records/T1", json=pointer("T1", first_name="Ruth",
                   last_name="Abara", dob="1955-05-05"), headers=auth(tx))  # fmt: skip
    c2 = hub_client.get("/v1/pointers/records/C2", headers=auth(ca)).json()["pointer_id"]
    moved = hub_client.post("/v1/transfers", headers=auth(ny), json={
        "pointer_id": c2, "record_id": "N2", "card_type": "DL", "real_id": True})
    assert moved.status_code == 201, moved.text
    [case] = hub_client.get("/v1/cases", headers=auth(ny)).json()["items"]
    return {"case_id": case["case_id"], "transfer_id": moved.json()["transfer_id"]}


def test_withdrawal_shreds_the_keys_so_a_backup_cannot_be_read(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    shared = _setup(hub_client, credentials)
    backup = _backup(hub, "CA")
    assert len(backup["rows"]) == 2  # C1 and C3 (C2 now belongs to NY)
    [(version, key_id, wrapped)] = backup["keys"]
    ny_before = _backup(hub, "NY")
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])

    resp = hub_client.post("/v1/withdrawal", json={"confirm": "CA"}, headers=auth(admin))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    receipt = body["receipt"]
    assert (receipt["keys_destroyed"], receipt["destroyed_key_ids"]) == (1, [key_id])
    assert (receipt["removed"]["pointers"], receipt["removed"]["transfers"]) == (2, 1)
    assert verify_receipt(receipt, bytes.fromhex(body["signature"]),
                          bytes.fromhex(body["public_key"]))  # fmt: skip
    forged = {**receipt, "keys_destroyed": 0, "destroyed_key_ids": []}
    assert not verify_receipt(forged, bytes.fromhex(body["signature"]),
                              bytes.fromhex(body["public_key"]))  # fmt: skip

    # The backup's wrapped key no longer unwraps: CA's key-encryption key is gone.
    assert not (hub.settings.data_dir / "kek" / "CA.kek").exists()
    with pytest.raises(KeyDestroyed):
        hub.keys.ring.provider.unwrap("CA", wrapped, wrap_context("CA", version))
    # CA rejoins later: a new key version, which opens none of the old rows either.
    hub_client.put("/v1/pointers/records/C9", json=pointer("C9", first_name="Ola"),
                   headers=auth(credentials["CA"]))  # fmt: skip
    secrets = _every_secret_the_hub_holds(hub)
    assert len(secrets) == 4  # index key; NY's, TX's and CA's new data key
    for pointer_id, stored, _ in backup["rows"]:
        assert key_version(stored) == version
        with pytest.raises(KeyDestroyed):
            hub.pointers.codec.open(stored, "CA", pointer_id)
        for secret in secrets:
            with pytest.raises(TamperedCiphertext):
                open_sealed(DataKey.of("CA", version, secret), pointer_id, stored)

    # Nothing of CA's old rows is left in any live table.
    live, outside_audit = _live_text(hub), _live_text(hub, audit=False)
    for pointer_id, stored, content_hash in backup["rows"]:
        assert stored not in live
        assert content_hash not in live
        assert pointer_id not in outside_audit
    assert wrapped.hex() not in live
    with hub.engine.connect() as conn:
        p, b = t.pointers.c, t.pointer_blocks.c
        orphans = conn.execute(select(t.pointer_blocks).where(
            b.pointer_pk.not_in(select(p.pk)))).all()  # fmt: skip
        m = w.match_writes.c  # case opening's list of recent writes names no gone pointer
        listed = conn.execute(select(func.count()).select_from(w.match_writes)).scalar_one()
        gone = conn.execute(select(w.match_writes).where(
            m.pointer_pk.not_in(select(p.pk)))).all()  # fmt: skip
    assert orphans == []
    assert listed > 0
    assert gone == []

    # Other states: untouched, readable, and told what left their queues.
    assert _backup(hub, "NY") == ny_before
    ny, tx = auth(credentials["NY"]), auth(credentials["TX"])
    for record, key in (("N1", ny), ("N2", ny), ("T1", tx)):
        got = hub_client.get(f"/v1/pointers/records/{record}", headers=key)
        assert got.status_code == 200, got.text
    assert hub_client.get("/v1/pointers/records/N2", headers=ny).json()["last_name"] == \
        "Oyelaran"  # fmt: skip
    feed = hub_client.get("/v1/notifications", headers=ny).json()["items"]
    told = {(n["kind"], n["ref"]) for n in feed if n["kind"].endswith(".withdrawn")}
    assert told == {("case.withdrawn", shared["case_id"]),
                    ("transfer.withdrawn", shared["transfer_id"])}  # fmt: skip
    assert hub_client.get("/v1/notifications", headers=tx).json()["items"] == []


def test_a_withdrawal_after_the_keys_were_already_shredded_still_completes(
    hub: Hub, hub_client: TestClient, credentials: dict[str, str]
) -> None:
    """An interrupted withdrawal (keys destroyed, rows not yet removed) is simply rerun."""
    hub_client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(credentials["CA"]))
    [(_, key_id, _)] = _backup(hub, "CA")["keys"]
    hub.keys.ring.destroy("CA")
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    resp = hub_client.post("/v1/withdrawal", json={"confirm": "CA"}, headers=auth(admin))
    assert resp.status_code == 200, resp.text
    receipt = resp.json()["receipt"]
    assert (receipt["removed"]["pointers"], receipt["destroyed_key_ids"]) == (1, [key_id])
    with hub.engine.connect() as conn:
        assert WithdrawalRepository(conn).remaining("CA") == 0
