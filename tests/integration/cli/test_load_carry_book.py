"""``lpx load --carry-book``: records issued under the carry protocol keep their carried
SSN tokens when the state reloads its file (docs/privacy.md, "Carrying the decoy")."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
import typer
from fastapi.testclient import TestClient
from helpers import auth
from typer.testing import CliRunner

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.cli import load as load_cmd
from lpx.client.carry import record_outcome
from lpx.client.hub import HubClient
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import IssuanceOutcome, tokenize, value_of_tokens
from lpx.domain.records import SsnTokens

HEADER = ("record_id,card_type,real_id,first_name,middle_name,last_name,suffix,aka_names,dob,"
          "sex,ssn_last5,issue_date,expiry_date,status\n")  # fmt: skip
ROW = "R2,DL,false,Ana,,Ruiz,,,1981-04-06,F,,2020-01-02,,active\n"  # no SSN


class _Open(HubClient):
    """The loader's client over the test app, keeping the SSN tokens it sent per record
    (the hub does not give them back)."""

    sent: ClassVar[dict[str, Any]] = {}

    def _request(self, method: str, path: str, payload: Any, *args: Any,
                 **kwargs: Any) -> dict[str, Any]:  # fmt: skip
        for p in (payload or {}).get("pointers", []) if isinstance(payload, dict) else []:
            type(self).sent[p["record_id"]] = p.get("ssn")
        return super()._request(method, path, payload, *args, **kwargs)

    def close(self) -> None:  # the test client stays open for the read back
        pass


def _load(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
          *extra: str) -> tuple[Any, SsnTokens | None]:  # fmt: skip
    """Run ``lpx load`` on the one-row file; the exit and R2's stored tokens."""
    key = hub.access.issue_credential("CA", "loader", [Role.RECORDS])
    path = tmp_path / "CA.csv"
    path.write_text(HEADER + ROW)
    with TestClient(create_app(hub)) as client:
        monkeypatch.setattr(
            load_cmd, "connect", lambda _hub, api_key, user: _Open(client, api_key, user)
        )
        cli = typer.Typer()
        cli.command("load")(load_cmd.load)
        cli.command("other")(lambda: None)  # two commands, so "load" is a subcommand
        done = CliRunner().invoke(cli, ["load", str(path), "--jurisdiction", "CA",
                                        "--no-resume", *extra],
                                  env={"LPX_API_KEY": key, "LPX_USER": "ops-1"})  # fmt: skip
        stored = client.get("/v1/pointers/records/R2", headers=auth(key)).status_code == 200
    got = _Open.sent.pop("R2", None) if stored else None
    return done, (SsnTokens(got["full"], tuple(got["masked"])) if got else None)


def test_the_carry_book_gives_a_record_its_carried_value(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = NetworkKeys.generate()
    key_file = tmp_path / "network-keys.json"
    keys.save(key_file)
    monkeypatch.setenv("LPX_NETWORK_KEYS", str(key_file))
    book = tmp_path / "carry.jsonl"
    record_outcome(book, "R2", IssuanceOutcome(tokenize("27182", keys), 0))
    done, stored = _load(hub, tmp_path, monkeypatch, "--carry-book", str(book))
    assert done.exit_code == 0, done.output
    assert stored is not None
    adopted = value_of_tokens(stored, keys)
    assert adopted is not None  # one digit may differ (the carried typo rate)
    assert sum(a != b for a, b in zip(adopted, "27182", strict=True)) <= 1


def test_a_malformed_carry_book_stops_the_load_before_anything_is_sent(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = tmp_path / "network-keys.json"
    NetworkKeys.generate().save(key_file)
    monkeypatch.setenv("LPX_NETWORK_KEYS", str(key_file))
    book = tmp_path / "carry.jsonl"
    book.write_text('{"record_id": "R2"}\n')
    done, stored = _load(hub, tmp_path, monkeypatch, "--carry-book", str(book))
    assert done.exit_code == 2, done.output
    assert "line 1" in done.output
    assert stored is None
