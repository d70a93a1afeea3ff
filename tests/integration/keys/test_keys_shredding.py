"""Crypto-shredding: once a state's key is destroyed its rows are unreadable, backups included."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from helpers import auth
from keys_support import actor, raw_identities, record, search, write
from sqlalchemy import func, select
from typer.testing import CliRunner

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.cli.keys_admin import keyadmin_app
from lpx.keys.envelope import DataKey, TamperedCiphertext, key_version, open_sealed
from lpx.keys.provider import KeyDestroyed
from lpx.keys.ring import wrap_context
from lpx.storage import tables as t
from lpx.storage.key_tables import DataKeyRepository


def _backup(hub: Hub, tmp_path: Path) -> tuple[dict[str, tuple[str, str]], list[bytes | None]]:
    """A copy taken before destruction: identities and wrapped data keys as bytes on the side.

    SQLite: a real copy of the database file (online backup API), read back afterwards.
    PostgreSQL: the raw rows SELECTed into lists, as a dump would hold them.
    """
    if hub.engine.dialect.name == "sqlite":
        copy = tmp_path / "backup.db"
        src = sqlite3.connect(str(hub.engine.url.database))
        dst = sqlite3.connect(copy)
        src.backup(dst)
        src.close()
        identities = {r[0]: (r[1], r[2]) for r in dst.execute(
            "SELECT record_id, pointer_id, identity FROM pointers WHERE jurisdiction='CA'")}
        wrapped = [r[0] for r in dst.execute(
            "SELECT wrapped_key FROM state_data_keys WHERE jurisdiction='CA'")]  # fmt: skip
        dst.close()
        return identities, wrapped
    with hub.engine.connect() as conn:
        wrapped = [r.wrapped_key for r in DataKeyRepository(conn).versions("CA")]
    return raw_identities(hub, "CA"), wrapped


def _everything_the_hub_holds(hub: Hub) -> list[DataKey]:
    """Every data key the hub can still unwrap, of every state and version."""
    keys = []
    for code in ("CA", "NY", "TX"):
        for row in hub.keys.versions(code):
            with contextlib.suppress(KeyDestroyed):
                keys.append(hub.keys.ring.get(code, row.version))
    return keys


def test_a_destroyed_key_makes_rows_and_their_backup_unreadable(hub: Hub, tmp_path: Path) -> None:
    write(hub, "CA", record("CA", "D1"), record("CA", "D2", first="Ana"))
    write(hub, "NY", record("NY", "N1"))
    backup, wrapped = _backup(hub, tmp_path)
    assert len(backup) == 2
    assert all(w for w in wrapped)

    result = hub.keys.destroy("CA", "ops")
    assert (result.versions, result.pointers) == (1, 2)

    # The backup's wrapped data key no longer unwraps: the KEK it needs is gone.
    assert not (hub.settings.data_dir / "kek" / "CA.kek").exists()
    for w in wrapped:
        assert w is not None
        with pytest.raises(KeyDestroyed):
            hub.keys.ring.provider.unwrap("CA", w, wrap_context("CA", 1))
    # No key the hub still holds (NY's, a new CA key) opens the copied ciphertexts.
    write(hub, "CA", record("CA", "D9", first="Zoe", last="Okafor"))  # CA rejoins, new key
    held = _everything_the_hub_holds(hub)
    assert {(k.jurisdiction, k.version) for k in held} == {("NY", 1), ("CA", 2)}
    for pointer_id, stored in backup.values():
        assert key_version(stored) == 1
        for key in held:
            with pytest.raises((TamperedCiphertext, ValueError)):
                open_sealed(DataKey.of("CA", 1, key.secret), pointer_id, stored)
    # The live rows: a clear error for the state, and skipped in search.
    with pytest.raises(KeyDestroyed, match="CA's data key was destroyed"):
        hub.pointers.get_own(actor("CA"), "D1")
    assert search(hub) == {"NY"}


def test_search_skips_rows_whose_key_is_gone_even_if_still_indexed(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    write(hub, "NY", record("NY", "N1"))
    hub.keys.ring.destroy("CA")  # the key only: blocking entries are still there
    assert search(hub) == {"NY"}


def test_destruction_drops_the_states_blocking_entries(hub: Hub) -> None:
    write(hub, "CA", record("CA", "D1"))
    hub.keys.destroy("CA", "ops")
    b, p = t.pointer_blocks, t.pointers
    with hub.engine.connect() as conn:
        left = conn.execute(select(func.count()).select_from(b.join(p, b.c.pointer_pk == p.c.pk))
                            .where(p.c.jurisdiction == "CA")).scalar_one()  # fmt: skip
    assert left == 0


def test_the_api_answers_410_for_a_shredded_states_pointer(hub: Hub) -> None:
    key = hub.access.issue_credential("CA", "sys", [Role.RECORDS])
    write(hub, "CA", record("CA", "D1"))
    hub.keys.destroy("CA", "ops")
    with TestClient(create_app(hub)) as client:
        resp = client.get("/v1/pointers/records/D1", headers=auth(key))
    assert resp.status_code == 410
    assert resp.headers["content-type"] == "application/problem+json"
    assert "destroyed" in resp.json()["detail"]


def test_keyadmin_destroy_needs_yes(hub: Hub, monkeypatch: pytest.MonkeyPatch) -> None:
    write(hub, "CA", record("CA", "D1"))
    monkeypatch.setenv("LPX_DATABASE_URL", hub.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LPX_DATA_DIR", str(hub.settings.data_dir))
    refused = CliRunner().invoke(keyadmin_app, ["destroy", "--jurisdiction", "CA"])
    assert refused.exit_code == 2
    assert "--yes" in refused.output
    hub.pointers.get_own(actor("CA"), "D1")  # still readable
    done = CliRunner().invoke(keyadmin_app, ["destroy", "--jurisdiction", "CA", "--yes"])
    assert done.exit_code == 0, done.output
    assert "1 pointer(s) can no longer be read" in done.output
    hub.keys.ring.invalidate()  # this test's hub is "the server": its cache would expire
    with pytest.raises(KeyDestroyed):
        hub.pointers.get_own(actor("CA"), "D1")
