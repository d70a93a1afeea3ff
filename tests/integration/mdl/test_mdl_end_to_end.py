"""Issue → present → verify with lists fetched from the hub; then the pointer is cancelled
and the refetched status list turns the remaining credentials away (check ``status``)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import Result
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens
from mdl_hub_support import State, hub_key, make_state, person, put_pointer
from typer.testing import CliRunner

from lpx.bootstrap import Hub
from lpx.cli import mdl as mdl_cli
from lpx.mdl import (
    StatusLists,
    TrustStore,
    VerificationError,
    Wallet,
    issue_batch,
    verify,
    web_session_transcript,
)

ORIGIN = "https://shop.example"


class RelyingParty:
    """A website: what it fetched from the hub, and nothing else at verification time."""

    def __init__(self, client: TestClient, state: str) -> None:
        key = hub_key(client)
        self.trust = TrustStore.from_signed(client.get("/v1/trust-list").content, key)
        self.status = StatusLists.load([client.get(f"/v1/status-lists/{state}").content],
                                       self.trust, dt.datetime.now(dt.UTC), key)  # fmt: skip

    def over_21(self, wallet: Wallet, nonce: str) -> bool | None:
        transcript = web_session_transcript(ORIGIN, nonce)
        response = wallet.present(["age_over_21"], transcript)
        doc = verify(response, transcript, self.trust, dt.datetime.now(dt.UTC), self.status)
        assert doc.elements == {"org.iso.18013.5.1": {"age_over_21": True}}
        assert doc.issuer_state == "CA"
        return doc.age_over(21)


@pytest.fixture
def ca(hub: Hub, hub_client: TestClient, tmp_path: Path) -> State:
    return make_state(hub, hub_client, "CA", tmp_path)


def test_issue_present_verify_then_cancel_revokes(hub_client: TestClient, ca: State) -> None:
    put_pointer(hub_client, ca, "C1")
    # The state's issuer: the hub vouches and keeps the bits; the state signs locally.
    indices, uri = mdl_cli.register_batch(hub_client, ca.records, "issuer-1", "C1", 3)
    wallet = Wallet()
    wallet.add(issue_batch(ca.keys, person("CA"), wallet.new_device_keys(3), indices, uri))

    before = RelyingParty(hub_client, "CA")
    assert before.over_21(wallet, "n-1") is True

    cancel = hub_client.put("/v1/pointers/records/C1",
                            json=pointer("C1", ssn=tokens("C1"), status="cancelled"),
                            headers=auth(ca.records))  # fmt: skip
    assert cancel.status_code == 200, cancel.text
    after = RelyingParty(hub_client, "CA")
    with pytest.raises(VerificationError) as err:
        after.over_21(wallet, "n-2")
    assert err.value.check == "status"
    # Revocation is as fresh as the list a site holds: the old list still says "valid".
    assert before.over_21(wallet, "n-3") is True


def test_cli_issues_only_after_the_hub_vouches(
    hub_client: TestClient, ca: State, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_pointer(hub_client, ca, "C1")
    put_pointer(hub_client, ca, "C2", status="surrendered")
    monkeypatch.setattr(mdl_cli, "_hub_client", lambda base: contextlib.nullcontext(hub_client))
    subject = tmp_path / "person.json"
    fields = person("CA")
    subject.write_text(json.dumps({k: str(v) for k, v in vars(fields).items()}))
    wallet_file = tmp_path / "wallet.json"
    runner = CliRunner()

    def issue(record_id: str) -> Result:
        return runner.invoke(mdl_cli.mdl_app, [
            "issue", str(subject), "--pki", str(ca.pki), "--wallet", str(wallet_file),
            "--count", "4", "--hub", "http://testserver", "--record-id", record_id,
            "--api-key", ca.records, "--user", "issuer-1"])  # fmt: skip

    refused = issue("C2")
    assert refused.exit_code == 2
    assert "surrendered" in refused.output
    assert not wallet_file.exists()
    done = issue("C1")
    assert done.exit_code == 0, done.output
    assert len(Wallet.load(wallet_file).credentials) == 4
    assert RelyingParty(hub_client, "CA").over_21(Wallet.load(wallet_file), "n") is True
