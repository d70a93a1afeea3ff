"""Envelope encryption of identity documents: sealed at rest, bound to their row, cached keys."""

from __future__ import annotations

import pytest
from keys_support import actor, raw_identities, record, search, write
from sqlalchemy import update

from lpx.bootstrap import Hub
from lpx.keys.envelope import TamperedCiphertext, key_version
from lpx.keys.provider import KeyDestroyed
from lpx.keys.ring import DataKeyRing
from lpx.storage import tables as t
from lpx.storage.key_tables import DataKeyRepository


def test_identities_are_sealed_at_rest_and_read_back(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    _pointer_id, stored = raw_identities(hub, "CA")["D1"]
    assert stored.startswith("lpx1:1:")
    for clear in ("Maria", "Quintanilla", "Elena", "1980-03-05"):
        assert clear not in stored
    assert '"first_name":"Maria"' in hub.pointers.get_own(actor("CA"), "D1").identity
    assert search(hub) == {"CA"}


def test_each_state_has_its_own_wrapped_data_key(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    write(hub, "NY", record("NY", "N1"))
    with hub.engine.connect() as conn:
        ca, ny = DataKeyRepository(conn).current("CA"), DataKeyRepository(conn).current("NY")
    assert ca is not None
    assert ny is not None
    assert ca.wrapped_key
    assert ny.wrapped_key
    assert ca.wrapped_key != ny.wrapped_key
    kek_dir = hub.settings.data_dir / "kek"
    assert sorted(p.name for p in kek_dir.iterdir()) == ["CA.kek", "NY.kek"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in kek_dir.iterdir())


def _swap(hub: Hub, a: str, b: str) -> None:
    """What an attacker with write access to the table (or a bad restore) would do."""
    rows = {**raw_identities(hub, "CA"), **raw_identities(hub, "NY")}
    with hub.engine.begin() as conn:
        for mine, theirs in ((a, b), (b, a)):
            conn.execute(update(t.pointers).where(t.pointers.c.pointer_id == rows[mine][0])
                         .values(identity=rows[theirs][1]))  # fmt: skip


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"), record("CA", "D2", first="Ana"))
    _swap(hub, "D1", "D2")
    for record_id in ("D1", "D2"):
        with pytest.raises(TamperedCiphertext):
            hub.pointers.get_own(actor("CA"), record_id)


def test_a_ciphertext_moved_to_another_states_row_does_not_decrypt(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    write(hub, "NY", record("NY", "N1"))
    _swap(hub, "D1", "N1")
    with pytest.raises(TamperedCiphertext):
        hub.pointers.get_own(actor("CA"), "D1")
    with pytest.raises(TamperedCiphertext):
        hub.pointers.get_own(actor("NY"), "N1")


def test_the_cache_holds_used_keys_is_bounded_and_forgets_destroyed_ones(hub: Hub) -> None:
    ring = DataKeyRing(hub.engine, hub.keys.ring.provider, cache_size=2)
    for code in ("CA", "NY", "TX"):
        ring.current(code)
    assert ring.cached() == [("NY", 1), ("TX", 1)]  # least recently used went first
    ring.destroy("TX")
    assert ring.cached() == [("NY", 1)]
    with pytest.raises(KeyDestroyed):
        ring.get("TX", 1)


def test_another_process_destroying_a_key_takes_effect_when_the_cache_expires(hub: Hub) -> None:
    now = [0.0]
    server = DataKeyRing(hub.engine, hub.keys.ring.provider, ttl=60, clock=lambda: now[0])
    write(hub, "CA", record("CA", "D1"))
    _pointer_id, stored = raw_identities(hub, "CA")["D1"]
    version = key_version(stored)
    assert version is not None
    server.get("CA", version)
    hub.keys.destroy("CA", "ops")  # the operator's CLI: a different ring, a different process
    assert server.get("CA", version).version == version  # still cached: the stated limit
    now[0] = 61.0
    with pytest.raises(KeyDestroyed):
        server.get("CA", version)
