"""The verifier against a hub whose database was tampered with, directly in SQL, on a copy.

Each test: the state verifies the honest log once (it stores the signed head), the log grows
and is sealed, then the database is copied and the copy is tampered with the way a rogue
operator with the hub's signing key could. A second hub serves the copy; the state's
verifier must name what was done. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from audit_support import Recorder, audit_app, copied_hub
from fastapi.testclient import TestClient
from helpers import auth
from sqlalchemy import Connection, delete, insert, select, update

from lpx.audit import build_audit
from lpx.audit.entries import AuditEntry
from lpx.audit.merkle import leaf_hash
from lpx.audit.verifier import Report, Verifier
from lpx.bootstrap import Hub
from lpx.storage import tables as t

FIRST, SECOND = 12, 20  # entries verified in the first run; entries when tampered with


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "state" / "audit-CA.json"


def verify(hub: Hub, key: str, state_file: Path) -> Report:
    with TestClient(audit_app(hub, build_audit(hub.settings, hub.engine))) as client:
        return Verifier(client, "CA", state_file, auth(key, "ca-auditor")).run()


@pytest.fixture
def verified(hub: Hub, keys: dict[str, str], record: Recorder, state_file: Path) -> Hub:
    """A log that CA verified at size FIRST, then grew to SECOND and was sealed."""
    for i in range(FIRST):
        record("CA" if i % 2 else "NY", ("TX",) if i % 2 else ("CA",))
    first = verify(hub, keys["CA"], state_file)
    assert first.ok, first.findings
    assert first.pinned_now
    assert first.head is not None
    assert first.head.size == FIRST
    for i in range(FIRST, SECOND):
        record("CA" if i % 2 else "TX", ("NY",))
    build_audit(hub.settings, hub.engine).seal()
    return hub


def entry(conn: Connection, seq: int) -> AuditEntry:
    data = conn.execute(select(t.audit_entries.c.leaf_data)
                        .where(t.audit_entries.c.seq == seq)).scalar_one()  # fmt: skip
    return AuditEntry.from_leaf(bytes(data))


def rewrite(conn: Connection, new: AuditEntry, *, rehash: bool = True) -> None:
    values: dict[str, object] = {"leaf_data": new.leaf(), "time_us": new.time_us}
    if rehash:
        values["leaf_hash"] = leaf_hash(new.leaf())
    conn.execute(update(t.audit_entries).where(t.audit_entries.c.seq == new.seq).values(values))


def changed(e: AuditEntry) -> AuditEntry:
    return replace(e, event=replace(e.event, result_count=e.event.result_count + 5))


def remove(conn: Connection, *seqs: int) -> None:
    for table in (t.audit_entry_jurisdictions, t.audit_entries):
        conn.execute(delete(table).where(table.c.seq.in_(seqs)))


def rebuild(hub: Hub, conn: Connection, size: int) -> None:
    """Throw the signed tree away and sign a new one over what is now in the table."""
    conn.execute(delete(t.audit_tree_nodes))
    conn.execute(delete(t.audit_tree_heads))
    conn.execute(update(t.audit_counters).where(t.audit_counters.c.name == "append")
                 .values(value=size))  # fmt: skip


def ca_entries(conn: Connection, since: int) -> list[int]:
    j = t.audit_entry_jurisdictions.c
    return list(conn.execute(select(j.seq).where(j.jurisdiction == "CA", j.seq >= since)
                             .order_by(j.seq)).scalars())  # fmt: skip


def run_tampered(hub: Hub, key: str, state_file: Path, tamper: Callable[[Hub, Connection], None],
                 reseal: bool = False) -> Report:  # fmt: skip
    with copied_hub(hub) as copy:
        with copy.engine.begin() as conn:
            tamper(copy, conn)
        if reseal:
            build_audit(copy.settings, copy.engine).seal()
        return verify(copy, key, state_file)


def kinds(report: Report) -> set[str]:
    return {f.kind for f in report.findings}


def test_an_untouched_copy_verifies(verified: Hub, keys: dict[str, str], state_file: Path) -> None:
    """The control: copying alone changes nothing the verifier can see."""
    report = run_tampered(verified, keys["CA"], state_file, lambda _h, _c: None)
    assert report.ok, report.findings
    assert report.head is not None
    assert report.head.size == SECOND
    assert report.checked == len([i for i in range(FIRST, SECOND) if i % 2])


def test_a_deleted_entry_is_found(verified: Hub, keys: dict[str, str], state_file: Path) -> None:
    def tamper(_: Hub, conn: Connection) -> None:
        remove(conn, ca_entries(conn, FIRST)[1])

    report = run_tampered(verified, keys["CA"], state_file, tamper)
    assert kinds(report) == {"deleted"}
    assert "missing" in report.findings[0].message


@pytest.mark.parametrize("rehash", [False, True], ids=["data-only", "data-and-hash"])
def test_an_altered_entry_is_found(verified: Hub, keys: dict[str, str], state_file: Path,
                                   rehash: bool) -> None:  # fmt: skip
    def tamper(_: Hub, conn: Connection) -> None:
        rewrite(conn, changed(entry(conn, ca_entries(conn, FIRST)[2])), rehash=rehash)

    report = run_tampered(verified, keys["CA"], state_file, tamper)
    assert "not-included" in kinds(report)
    assert ("altered" in kinds(report)) is not rehash
    assert {f.seq for f in report.findings} == {report.findings[0].seq}


def test_reordered_entries_are_found(verified: Hub, keys: dict[str, str], state_file: Path) -> None:
    def tamper(_: Hub, conn: Connection) -> None:
        a, b = ca_entries(conn, FIRST)[:2]
        ea, eb = entry(conn, a), entry(conn, b)
        rewrite(conn, replace(eb, seq=a))  # each row now holds the other's entry
        rewrite(conn, replace(ea, seq=b))

    report = run_tampered(verified, keys["CA"], state_file, tamper)
    assert {"not-included", "reordered"} <= kinds(report)


def test_a_backdated_entry_is_found(verified: Hub, keys: dict[str, str], state_file: Path) -> None:
    """The hub appends (and properly signs) an entry dated before entries it already signed."""

    def tamper(_: Hub, conn: Connection) -> None:
        last = entry(conn, SECOND - 1)
        ca = entry(conn, ca_entries(conn, 0)[-1])
        back = replace(last, seq=SECOND, time_us=entry(conn, 0).time_us - 3_600_000_000,
                       positions={"CA": ca.positions["CA"] + 1, "NY": 99})  # fmt: skip
        conn.execute(insert(t.audit_entries).values(
            seq=back.seq, time_us=back.time_us, leaf_data=back.leaf(),
            leaf_hash=leaf_hash(back.leaf())))  # fmt: skip
        conn.execute(insert(t.audit_entry_jurisdictions).values(
            jurisdiction="CA", seq=back.seq, position=back.positions["CA"]))  # fmt: skip
        conn.execute(update(t.audit_counters).where(t.audit_counters.c.name == "append")
                     .values(value=SECOND + 1))  # fmt: skip

    report = run_tampered(verified, keys["CA"], state_file, tamper, reseal=True)
    assert kinds(report) == {"back-dated"}
    assert all(f.seq == SECOND for f in report.findings)
    assert any("after the tree head of size 12 was signed" in f.message for f in report.findings)


@pytest.mark.parametrize("size", [FIRST, SECOND], ids=["same-size", "larger"])
def test_a_forked_tree_is_found(verified: Hub, keys: dict[str, str], state_file: Path,
                                size: int) -> None:  # fmt: skip
    """History the state already verified is rewritten and the whole tree re-signed: a second
    head for the same size, or a larger head that does not extend the one the state holds."""

    def tamper(_: Hub, conn: Connection) -> None:
        rewrite(conn, changed(entry(conn, 3)))
        remove(conn, *range(size, SECOND))
        rebuild(verified, conn, size)

    report = run_tampered(verified, keys["CA"], state_file, tamper, reseal=True)
    assert kinds(report) == {"fork"}
    assert f"size {FIRST}" in report.findings[0].message


def test_a_shrunk_tree_is_found(verified: Hub, keys: dict[str, str], state_file: Path) -> None:
    def tamper(_: Hub, conn: Connection) -> None:
        remove(conn, *range(8, SECOND))
        rebuild(verified, conn, 8)

    report = run_tampered(verified, keys["CA"], state_file, tamper, reseal=True)
    assert kinds(report) == {"rollback"}


def test_a_head_signed_with_another_key_is_refused(
    verified: Hub, keys: dict[str, str], state_file: Path, tmp_path: Path
) -> None:
    settings = verified.settings.model_copy(update={"data_dir": tmp_path / "impostor"})
    other = replace(verified, settings=settings, audit=build_audit(settings, verified.engine))
    report = verify(other, keys["CA"], state_file)
    assert kinds(report) == {"key-changed"}


def test_a_failed_check_keeps_the_last_good_head(verified: Hub, keys: dict[str, str],
                                                 state_file: Path) -> None:  # fmt: skip
    before = state_file.read_text()
    report = run_tampered(verified, keys["CA"], state_file,
                          lambda _h, conn: remove(conn, ca_entries(conn, FIRST)[0]))  # fmt: skip
    assert not report.ok
    assert state_file.read_text() == before
    again = verify(verified, keys["CA"], state_file)  # the honest hub still verifies
    assert again.ok, again.findings
