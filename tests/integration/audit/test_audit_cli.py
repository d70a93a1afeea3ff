"""``lpx audit verify``: exit codes and what it prints, against an in-process hub."""

from __future__ import annotations

from pathlib import Path

import pytest
from audit_support import Recorder, audit_app
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from lpx.audit import AuditService
from lpx.bootstrap import Hub
from lpx.cli import audit as audit_cli
from lpx.storage import tables as t


@pytest.fixture
def run(hub: Hub, audit: AuditService, keys: dict[str, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]  # fmt: skip
    monkeypatch.setattr(audit_cli, "connect", lambda _url: TestClient(audit_app(hub, audit)))
    state_file = tmp_path / "ca.json"

    def invoke(*extra: str, key: str = keys["CA"]):  # type: ignore[no-untyped-def]
        args = ["verify", "--state", "ca", "--api-key", key, "--user", "ca-auditor",
                "--state-file", str(state_file), *extra]  # fmt: skip
        return CliRunner().invoke(audit_cli.audit_app, args)

    return invoke


def test_verify_pins_the_key_then_reports_ok(run, record: Recorder) -> None:  # type: ignore[no-untyped-def]
    record("NY", ("CA",))
    first = run()
    assert first.exit_code == 0, first.output
    assert "Pinned the hub's audit key" in first.output
    assert "OK: signed tree head size 1" in first.output
    record("CA", ())
    second = run()
    assert second.exit_code == 0
    assert "Pinned" not in second.output
    assert "extends size 1" in second.output
    assert "1 CA entries verified" in second.output


def test_verify_says_what_failed_and_exits_1(run, record: Recorder, hub: Hub,
                                             audit: AuditService) -> None:  # type: ignore[no-untyped-def]  # fmt: skip
    record("CA", ())
    assert run().exit_code == 0
    record("CA", ())
    audit.seal()
    with hub.engine.begin() as conn:
        conn.execute(update(t.audit_entries).where(t.audit_entries.c.seq == 1)
                     .values(leaf_data=b"{}"))  # fmt: skip
    result = run()
    assert result.exit_code == 1
    assert "AUDIT LOG CHECK FAILED" in result.output
    assert "altered: entry 1: its data does not hash to its leaf hash" in result.output


def test_refused_credentials_exit_2(run, keys: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    result = run(key=keys["clerk"])
    assert result.exit_code == 2
    assert "hub-error" in result.output
    assert "403" in result.output


def test_a_bad_state_code_is_refused(run) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(audit_cli.audit_app, ["verify", "--state", "California",
                                                      "--api-key", "k", "--user", "u"])  # fmt: skip
    assert result.exit_code == 2
    assert "two-letter" in result.output
