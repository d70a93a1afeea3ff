"""What a state sends at all: ``lpx load`` without ``--policy`` fetches the policy the state
declared at the hub and applies it before anything leaves the state; the hub refuses what
falls outside it if a misconfigured loader sends it anyway.

Evidence from both sides: every request body the loader sends is recorded on its way out
(the state's side), and the hub's pointers table is read back (the hub's side).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import typer
from fastapi.testclient import TestClient
from helpers import auth, pointer
from typer.testing import CliRunner

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.cli import load as load_cmd
from lpx.client.hub import HubClient
from lpx.client.keys import NetworkKeys

POLICY = {"real_id_only": True, "fields": ["middle_name", "sex", "ssn", "suffix"]}  # no AKA
HEADER = ("record_id,card_type,real_id,first_name,middle_name,last_name,suffix,aka_names,dob,"
          "sex,ssn_last5,issue_date,expiry_date,status\n")  # fmt: skip
ROWS = [
    "R1,DL,true,Maria,Elena,Lopez,,Maria Garcia,1980-03-05,F,12345,2020-01-02,,active",
    "R2,DL,false,Ana,,Ruiz,,,1981-04-06,F,,2020-01-02,,active",
    "R3,ID,true,Eva,,Diaz,Jr,,1982-05-07,X,,2020-01-02,,expired",
]


class _Recording(HubClient):
    """The loader's hub client, recording every body it sends; stays open for the test."""

    sent: ClassVar[list[tuple[str, str, str]]] = []

    def _request(self, method: str, path: str, payload: Any, *args: Any,
                 **kwargs: Any) -> dict[str, Any]:  # fmt: skip
        type(self).sent.append((method, path, json.dumps(payload)))
        return super()._request(method, path, payload, *args, **kwargs)

    def close(self) -> None:
        pass


@pytest.fixture
def env(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    key_file = tmp_path / "network-keys.json"
    NetworkKeys.generate().save(key_file)
    monkeypatch.setenv("LPX_NETWORK_KEYS", str(key_file))
    _Recording.sent = []
    keys = {"admin": hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN]),
            "records": hub.access.issue_credential("CA", "loader", [Role.RECORDS]),
            "clerk": hub.access.issue_credential("CA", "counter", [Role.CLERK])}  # fmt: skip
    path = tmp_path / "CA.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    with TestClient(create_app(hub)) as client:
        monkeypatch.setattr(
            load_cmd, "connect", lambda _hub, api_key, user: _Recording(client, api_key, user)
        )
        resp = client.put("/v1/policy", json=POLICY, headers=auth(keys["admin"]))
        assert resp.status_code == 200, resp.text
        cli = typer.Typer()
        cli.command("load")(load_cmd.load)
        cli.command("other")(lambda: None)  # two commands, so "load" is a subcommand
        yield {"client": client, "keys": keys, "path": path, "cli": cli, "tmp": tmp_path}


def _load(env: dict[str, Any], *extra: str, key: str = "records") -> Any:
    args = ["load", str(env["path"]), "--jurisdiction", "CA", "--no-resume", *extra]
    return CliRunner().invoke(env["cli"], args, env={"LPX_API_KEY": env["keys"][key],
                                                     "LPX_USER": "ops-1"})  # fmt: skip


def _stored(env: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The state's pointers as the hub holds them, by record id."""
    resp = env["client"].get("/v1/pointers", params={"limit": 100},
                             headers=auth(env["keys"]["records"]))  # fmt: skip
    assert resp.status_code == 200, resp.text
    out = {}
    for item in resp.json()["items"]:
        one = env["client"].get(f"/v1/pointers/records/{item['record_id']}",
                                headers=auth(env["keys"]["records"]))  # fmt: skip
        out[item["record_id"]] = one.json()
    return out


def test_the_loader_applies_the_policy_declared_at_the_hub(env: dict[str, Any]) -> None:
    done = _load(env)
    assert done.exit_code == 0, done.output
    # The state's side: the policy was fetched first; R2 and R1's AKA never left the state.
    methods = [(m, p) for m, p, _ in _Recording.sent]
    assert methods[0] == ("GET", "/v1/policy")
    outgoing = " ".join(body for _, _, body in _Recording.sent)
    assert "R2" not in outgoing
    assert "Ruiz" not in outgoing
    assert "Maria Garcia" not in outgoing
    # The hub's side: only the admitted cards, without the withheld field.
    stored = _stored(env)
    assert sorted(stored) == ["R1", "R3"]
    assert stored["R1"]["aka_names"] == []
    assert stored["R1"]["middle_name"] == "Elena"


def test_the_hub_refuses_what_a_misconfigured_loader_sends(env: dict[str, Any]) -> None:
    everything = env["tmp"] / "send-everything.json"
    everything.write_text(json.dumps({"real_id_only": False}))
    refused = _load(env, "--policy", str(everything))
    assert refused.exit_code == 1, refused.output
    assert "REAL ID" in refused.output
    assert _stored(env) == {}  # the whole batch was refused: nothing of it was written
    direct = env["client"].post("/v1/pointers/batch", headers=auth(env["keys"]["records"]),
                                json={"pointers": [pointer("R2", real_id=False)]})  # fmt: skip
    assert direct.status_code == 422
    assert direct.headers["content-type"].startswith("application/problem+json")
    assert _stored(env) == {}


def test_without_a_readable_policy_nothing_is_sent(env: dict[str, Any]) -> None:
    """A key that may not read the state's policy stops the load before any row is sent."""
    refused = _load(env, key="clerk")
    assert refused.exit_code == 2, refused.output
    assert "403" in refused.output
    assert [(m, p) for m, p, _ in _Recording.sent] == [("GET", "/v1/policy")]
    assert _stored(env) == {}
