"""Builders for the hub-side mDL tests: a state's PKI, its registered IACA, its pointers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.mdl import FileIssuerKeys, Person, make_state_pki
from lpx.mdl.pki import DS_CERT, IACA_CERT


@dataclass
class State:
    """One state's side: its API keys, its issuer PKI (held by the state, never the hub)."""

    code: str
    records: str
    admin: str
    keys: FileIssuerKeys
    pki: Path

    def iaca_pem(self) -> str:
        return (self.pki / IACA_CERT).read_text()

    def ds_pem(self) -> str:
        return (self.pki / DS_CERT).read_text()


def make_state(hub: Hub, client: TestClient, code: str, tmp: Path, register: bool = True) -> State:
    records = hub.access.issue_credential(code, "records", [Role.RECORDS])
    admin = hub.access.issue_credential(code, "admin", [Role.STATE_ADMIN])
    keys = make_state_pki(code, tmp / code)
    state = State(code, records, admin, keys, tmp / code)
    if register:
        resp = client.put("/v1/mdl/iaca", json={"certificate": state.iaca_pem()},
                          headers=auth(admin))  # fmt: skip
        assert resp.status_code == 200, resp.text
    return state


def put_pointer(client: TestClient, state: State, record_id: str, **fields: object) -> str:
    resp = client.put(f"/v1/pointers/records/{record_id}",
                      json=pointer(record_id, ssn=tokens(record_id), **fields),
                      headers=auth(state.records))  # fmt: skip
    assert resp.status_code in (200, 201), resp.text
    return str(resp.json()["pointer_id"])


def hub_key(client: TestClient) -> ec.EllipticCurvePublicKey:
    resp = client.get("/v1/trust-list/key")
    assert resp.status_code == 200
    key = serialization.load_pem_public_key(resp.content)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def person(code: str, born: dt.date = dt.date(1990, 4, 12)) -> Person:
    today = dt.datetime.now(dt.UTC).date()
    return Person("Garcia Lopez", "William", born, f"{code}123", code, today,
                  today + dt.timedelta(days=1000))  # fmt: skip
