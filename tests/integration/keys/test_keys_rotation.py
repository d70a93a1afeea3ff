"""Key rotation: new writes use the new version, old rows stay readable until re-encrypted."""

from __future__ import annotations

import threading

import pytest
from keys_support import actor, raw_identities, record, search, write
from sqlalchemy import update

from lpx.bootstrap import Hub
from lpx.domain.profile import MatchProfile
from lpx.keys.envelope import key_version
from lpx.services.codec import identity_document
from lpx.storage import tables as t
from lpx.storage.key_tables import DataKeyRepository, DataKeyRow


def _versions(hub: Hub) -> dict[str, int | None]:
    return {rid: key_version(doc) for rid, (_, doc) in raw_identities(hub, "CA").items()}


def test_rotate_then_reencrypt(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"), record("CA", "D2", first="Ana"))
    assert hub.keys.rotate("CA", "ops") == 2
    write(hub, "CA", record("CA", "D3", first="Eva"))
    assert _versions(hub) == {"D1": 1, "D2": 1, "D3": 2}
    assert hub.pointers.get_own(actor("CA"), "D1").identity.startswith("{")  # v1 still opens
    assert hub.keys.reencrypt("CA", "ops") == 2
    assert _versions(hub) == {"D1": 2, "D2": 2, "D3": 2}
    assert search(hub) == {"CA"}
    # Re-encryption also re-keyed the fingerprint: a reload changes nothing.
    result = hub.pointers.upsert_batch(actor("CA"), [record("CA", "D1")])
    assert (result.updated, result.unchanged) == (0, 1)


def test_an_unchanged_reload_after_rotation_reseals_lazily(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    hub.keys.rotate("CA", "ops")
    result = hub.pointers.upsert_batch(actor("CA"), [record("CA", "D1")])
    assert result.updated == 1
    assert _versions(hub) == {"D1": 2}


def test_legacy_plaintext_rows_are_read_and_sealed_by_reencrypt(hub: Hub) -> None:
    """Rows written before encryption existed (the migration cannot hold keys)."""
    r = record("CA", "D1")
    write(hub, "CA", r)
    plain = identity_document(r.identity, MatchProfile.of(r.identity))
    with hub.engine.begin() as conn:
        conn.execute(update(t.pointers).values(identity=plain))
    assert _versions(hub) == {"D1": None}
    assert search(hub) == {"CA"}
    assert hub.keys.reencrypt("CA", "ops") == 1
    assert _versions(hub) == {"D1": 1}
    assert '"first_name":"Maria"' in hub.pointers.get_own(actor("CA"), "D1").identity


def test_two_first_writes_at_once_make_one_key_version(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both requests find no key for the state; only one version may come of it (two would
    seal one batch under each, and the next reload would re-seal half the state's rows)."""
    both_looked = threading.Barrier(2, timeout=20)
    looked = threading.local()
    real = DataKeyRepository.current

    def current(self: DataKeyRepository, jurisdiction: str) -> DataKeyRow | None:
        row = real(self, jurisdiction)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait()
        return row

    monkeypatch.setattr(DataKeyRepository, "current", current)
    ring = hub.pointers.codec.ring
    assert ring is not None
    ring.invalidate("CA")
    keys: list[int] = []
    threads = [threading.Thread(target=lambda: keys.append(ring.current("CA").version))
               for _ in range(2)]  # fmt: skip
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert keys == [1, 1]
    assert [r.version for r in ring.versions("CA")] == [1]


def test_a_first_key_made_between_the_look_and_the_write_is_taken(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B looks inside its key creation and finds nothing; A's first key commits before B
    counts versions, so B would add version 2 beside A's live version 1. Seen as a reload of
    an unchanged file reporting one batch as updated: it had been sealed under version 1."""
    b_looked, a_done = threading.Event(), threading.Event()
    calls = threading.local()
    real = DataKeyRepository.current

    def current(self: DataKeyRepository, jurisdiction: str) -> DataKeyRow | None:
        calls.n = getattr(calls, "n", 0) + 1
        if calls.role == "A" and calls.n == 2:  # A's look inside its key creation
            b_looked.wait(5)
        row = real(self, jurisdiction)
        if calls.role == "B" and calls.n == 2 and row is None:
            b_looked.set()
            a_done.wait(5)  # until A has committed its key
        return row

    monkeypatch.setattr(DataKeyRepository, "current", current)
    ring = hub.pointers.codec.ring
    assert ring is not None
    ring.invalidate("CA")
    keys: dict[str, int] = {}

    def make(role: str) -> None:
        calls.role = role
        keys[role] = ring.current("CA").version
        if role == "A":
            a_done.set()

    threads = [threading.Thread(target=make, args=(role,)) for role in "AB"]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert keys == {"A": 1, "B": 1}
    assert [r.version for r in ring.versions("CA")] == [1]
