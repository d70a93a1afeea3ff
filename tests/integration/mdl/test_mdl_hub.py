"""The hub's mobile-licence publication: IACA registration, the trust list, vouching for a
batch, and status lists that follow pointer changes (on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi.testclient import TestClient
from helpers import auth
from httpx import Response
from mdl_hub_support import State, hub_key, make_state, put_pointer

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.mdl import StatusList, TrustStore, VerificationError
from lpx.services.credentials_status import CredentialStatusService

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
def ca(hub: Hub, hub_client: TestClient, tmp_path: Path) -> State:
    return make_state(hub, hub_client, "CA", tmp_path)


def register(client: TestClient, state: State, record_id: str, indices: list[int]) -> Response:
    return client.post("/v1/mdl/credentials",
                       json={"record_id": record_id, "status_indices": indices},
                       headers=auth(state.records))  # fmt: skip


def status(client: TestClient, state: State) -> StatusList:
    resp = client.get(f"/v1/status-lists/{state.code}")
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/cbor"
    trust = TrustStore.from_signed(client.get("/v1/trust-list").content, hub_key(client))
    return StatusList.from_signed(resp.content, trust, NOW, hub_key(client))


def test_trust_list_is_public_signed_and_names_registered_roots(
    hub: Hub, hub_client: TestClient, ca: State, tmp_path: Path
) -> None:
    make_state(hub, hub_client, "NY", tmp_path)
    resp = hub_client.get("/v1/trust-list")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/cbor"
    trust = TrustStore.from_signed(resp.content, hub_key(hub_client))
    assert [a.state for a in trust.anchors] == ["CA", "NY"]
    assert trust.anchors[0].der == ca.keys.iaca_certificate_der
    with pytest.raises(VerificationError) as err:  # another key: the list is not accepted
        TrustStore.from_signed(resp.content, ec.generate_private_key(ec.SECP256R1()).public_key())
    assert err.value.check == "trust_list"


def test_re_registering_replaces_the_states_root(hub: Hub, hub_client: TestClient,
                                                 ca: State, tmp_path: Path) -> None:  # fmt: skip
    newer = make_state(hub, hub_client, "CA", tmp_path / "rollover")
    trust = TrustStore.from_signed(hub_client.get("/v1/trust-list").content, hub_key(hub_client))
    assert [a.der for a in trust.anchors] == [newer.keys.iaca_certificate_der]


@pytest.mark.parametrize("which", ["other state", "document signer", "garbage"])
def test_only_an_own_iaca_root_is_accepted(hub: Hub, hub_client: TestClient, ca: State,
                                          tmp_path: Path, which: str) -> None:  # fmt: skip
    ny = make_state(hub, hub_client, "NY", tmp_path, register=False)
    certificate = {
        "other state": ca.iaca_pem(),
        "document signer": ny.ds_pem(),
        "garbage": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    }
    resp = hub_client.put("/v1/mdl/iaca", json={"certificate": certificate[which]},
                          headers=auth(ny.admin))  # fmt: skip
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    trust = TrustStore.from_signed(hub_client.get("/v1/trust-list").content, hub_key(hub_client))
    assert [a.state for a in trust.anchors] == ["CA"]


def test_issuance_is_refused_for_another_states_pointer(
    hub: Hub, hub_client: TestClient, ca: State, tmp_path: Path
) -> None:
    ny = make_state(hub, hub_client, "NY", tmp_path)
    put_pointer(hub_client, ca, "C1")
    resp = register(hub_client, ny, "C1", [1, 2])
    assert resp.status_code == 404, resp.text
    assert register(hub_client, ca, "C1", [1, 2]).status_code == 201


@pytest.mark.parametrize("card_status", ["cancelled", "surrendered", "suspended", "revoked",
                                         "expired"])  # fmt: skip
def test_issuance_is_refused_for_a_card_that_is_not_active(
    hub_client: TestClient, ca: State, card_status: str
) -> None:
    put_pointer(hub_client, ca, "C1", status=card_status)
    resp = register(hub_client, ca, "C1", [5])
    assert resp.status_code == 409, resp.text
    assert card_status in resp.json()["detail"]


def test_issuance_needs_the_states_iaca_and_fresh_indices(
    hub: Hub, hub_client: TestClient, ca: State, tmp_path: Path
) -> None:
    ny = make_state(hub, hub_client, "NY", tmp_path, register=False)
    put_pointer(hub_client, ny, "N1")
    resp = register(hub_client, ny, "N1", [1])
    assert resp.status_code == 409
    assert "IACA" in resp.json()["detail"]
    put_pointer(hub_client, ca, "C1")
    put_pointer(hub_client, ca, "C2")
    assert register(hub_client, ca, "C1", [7, 8]).status_code == 201
    again = register(hub_client, ca, "C2", [8, 9])
    assert again.status_code == 409
    for bad in ([], [3, 3], [1 << 17], [-1]):
        assert register(hub_client, ca, "C2", bad).status_code == 422


def test_the_answer_names_the_status_list_to_put_in_each_mso(
    hub_client: TestClient, ca: State
) -> None:
    pointer_id = put_pointer(hub_client, ca, "C1")
    resp = register(hub_client, ca, "C1", [10, 20, 30])
    body = resp.json()
    assert body == {"pointer_id": pointer_id, "state": "CA", "registered": 3,
                    "status_list_uri": "http://testserver/v1/status-lists/CA",
                    "list_size": 1 << 17}  # fmt: skip
    assert status(hub_client, ca).uri == body["status_list_uri"]


@pytest.mark.parametrize("change", ["cancelled", "surrendered", "revoked", "suspended",
                                    "delete"])  # fmt: skip
def test_status_list_revokes_a_pointers_credentials_when_it_changes(
    hub_client: TestClient, ca: State, change: str
) -> None:
    put_pointer(hub_client, ca, "C1")
    put_pointer(hub_client, ca, "C2")
    register(hub_client, ca, "C1", [11, 12, 131071])
    register(hub_client, ca, "C2", [13])
    before = status(hub_client, ca)
    assert not any(before.revoked(i) for i in (11, 12, 13, 131071))
    if change == "delete":
        resp = hub_client.delete("/v1/pointers/records/C1", headers=auth(ca.records))
        assert resp.status_code == 204
    else:
        put_pointer(hub_client, ca, "C1", status=change)
    after = status(hub_client, ca)
    assert [after.revoked(i) for i in (11, 12, 131071)] == [True, True, True]
    assert not after.revoked(13)  # another pointer's credential is untouched
    assert after.state == "CA"


def test_an_unchanged_or_still_active_update_revokes_nothing(
    hub_client: TestClient, ca: State
) -> None:
    put_pointer(hub_client, ca, "C1")
    register(hub_client, ca, "C1", [40])
    put_pointer(hub_client, ca, "C1", expiry_date="2030-01-02")  # renewed, still active
    assert not status(hub_client, ca).revoked(40)


def test_transfer_revokes_the_old_states_credentials(
    hub: Hub, hub_client: TestClient, ca: State
) -> None:
    """A change of state of record through the transfer API revokes the old state's licences."""
    pointer_id = put_pointer(hub_client, ca, "C1")
    register(hub_client, ca, "C1", [50, 51])
    ny = hub.access.issue_credential("NY", "records", [Role.RECORDS])
    body = {"pointer_id": pointer_id, "record_id": "N1", "card_type": "DL", "real_id": True}
    moved = hub_client.post("/v1/transfers", headers=auth(ny), json=body)
    assert moved.status_code in (200, 201), moved.text
    listed = status(hub_client, ca)
    assert listed.revoked(50)
    assert listed.revoked(51)
    with hub.engine.begin() as conn:  # an unchanged, still active pointer revokes nothing more
        assert CredentialStatusService.on_pointer_changed(conn, pointer_id, "active") == 0


def test_status_list_of_an_unknown_state_is_not_found(hub_client: TestClient) -> None:
    resp = hub_client.get("/v1/status-lists/ZZ")
    assert resp.status_code == 404
    assert resp.headers["content-type"] == "application/problem+json"
    assert hub_client.get("/v1/status-lists/ca").status_code == 422
