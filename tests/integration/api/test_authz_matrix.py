"""The authorization matrix: every route of the app against every role, and own vs other state.

Routes are read from ``app.routes``, so a route added without a row in ``MATRIX`` (or in
``PUBLIC``) fails ``test_every_route_has_a_matrix_entry``. Allowed calls are valid requests
that must succeed (2xx); denied calls must get 403 problem+json; calls without credentials
get 401 everywhere but the public routes.
"""

from __future__ import annotations

import functools
import secrets
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.mdl import make_state_pki
from lpx.mdl.pki import IACA_CERT

Route = tuple[str, str]  # (method, path template)
CLERK, RECORDS, ADMIN = Role.CLERK, Role.RECORDS, Role.STATE_ADMIN
OPERATOR, AUDITOR, LEGAL = Role.HUB_OPERATOR, Role.AUDITOR, Role.LEGAL
EVERY_ROLE = frozenset(Role)

# Who may call each route. Written out by hand (not derived from GRANTS) on purpose.
MATRIX: dict[Route, frozenset[Role]] = {
    ("GET", "/v1/jurisdictions"): EVERY_ROLE,
    ("POST", "/v1/pointers/batch"): frozenset({RECORDS}),
    ("PUT", "/v1/pointers/records/{record_id}"): frozenset({RECORDS}),
    ("GET", "/v1/pointers/records/{record_id}"): frozenset({RECORDS, ADMIN}),
    ("DELETE", "/v1/pointers/records/{record_id}"): frozenset({RECORDS}),
    ("GET", "/v1/pointers"): frozenset({RECORDS, ADMIN}),
    ("POST", "/v1/inquiries/search"): frozenset({CLERK}),
    # At issuance, the SSN tokens of a candidate the clerk confirmed (docs/privacy.md).
    ("POST", "/v1/inquiries/carry"): frozenset({CLERK}),
    ("GET", "/v1/pointers/{pointer_id}/status"): frozenset({CLERK, RECORDS}),
    ("GET", "/v1/audit/tree-head"): EVERY_ROLE,
    ("GET", "/v1/audit/consistency"): EVERY_ROLE,
    ("GET", "/v1/audit/entries"): frozenset({ADMIN, AUDITOR}),
    # Upload policy (lpx/api/routes/policy.py): declared by a state administrator, read by
    # the state's loader too (records); own state only.
    ("GET", "/v1/policy"): frozenset({ADMIN, RECORDS}),
    ("PUT", "/v1/policy"): frozenset({ADMIN}),
    # State-to-state workflows (lpx/api/routes/{cases,transfers,notifications,withdrawal}.py).
    ("GET", "/v1/cases"): frozenset({RECORDS, ADMIN}),
    ("GET", "/v1/cases/{case_id}"): frozenset({RECORDS, ADMIN}),
    ("POST", "/v1/cases/{case_id}/transitions"): frozenset({RECORDS}),
    ("POST", "/v1/transfers"): frozenset({RECORDS}),
    ("GET", "/v1/transfers"): frozenset({RECORDS, ADMIN}),
    ("GET", "/v1/transfers/{transfer_id}"): frozenset({RECORDS, ADMIN}),
    ("POST", "/v1/transfers/{transfer_id}/answer"): frozenset({RECORDS}),
    ("GET", "/v1/notifications"): frozenset({RECORDS, ADMIN}),
    ("PUT", "/v1/notifications/webhook"): frozenset({ADMIN}),
    ("POST", "/v1/withdrawal"): frozenset({ADMIN}),
    ("PUT", "/v1/mdl/iaca"): frozenset({ADMIN}),
    ("POST", "/v1/mdl/credentials"): frozenset({RECORDS}),
    # Privacy safeguards (lpx/api/routes/{alerts,outside}.py, docs/privacy.md).
    ("GET", "/v1/alerts"): frozenset({ADMIN}),
    ("POST", "/v1/outside-requests"): frozenset({LEGAL}),
    ("GET", "/v1/outside-requests"): frozenset({LEGAL}),
    ("POST", "/v1/outside-decisions"): frozenset({LEGAL}),
    ("GET", "/v1/outside-notices"): frozenset({ADMIN}),
    ("POST", "/v1/outside-objections"): frozenset({ADMIN}),
    # Upload sessions of `lpx load` (lpx/api/routes/uploads.py): own state only.
    ("POST", "/v1/uploads"): frozenset({RECORDS}),
    ("GET", "/v1/uploads"): frozenset({RECORDS, ADMIN}),
    ("GET", "/v1/uploads/{upload_id}"): frozenset({RECORDS, ADMIN}),
    ("POST", "/v1/uploads/{upload_id}/batches"): frozenset({RECORDS}),
    ("POST", "/v1/uploads/{upload_id}/complete"): frozenset({RECORDS}),
    ("POST", "/v1/uploads/{upload_id}/abort"): frozenset({RECORDS}),
}
# Routes that act only on the caller's own state's records.
MDL_OWN_STATE: frozenset[Route] = frozenset({("PUT", "/v1/mdl/iaca"),
                                            ("POST", "/v1/mdl/credentials")})  # fmt: skip
OWN_STATE_ONLY = frozenset(r for r in MATRIX if r[1].startswith("/v1/pointers") and
                           not r[1].endswith("/status")) | MDL_OWN_STATE  # fmt: skip
OWN_STATE_ONLY |= {("GET", "/v1/policy"), ("PUT", "/v1/policy")}
OWN_STATE_ONLY |= {r for r in MATRIX if r[1].startswith("/v1/uploads")}
# No sign-in: liveness and the API's own documentation.
PUBLIC: frozenset[Route] = frozenset({
    ("GET", "/v1/health"),
    ("GET", "/v1/openapi.json"), ("HEAD", "/v1/openapi.json"),
    ("GET", "/docs"), ("HEAD", "/docs"),
    ("GET", "/docs/oauth2-redirect"), ("HEAD", "/docs/oauth2-redirect"),
    # Mobile licence publication (docs/mdl.md) and the age-check demo page.
    ("GET", "/v1/trust-list"), ("GET", "/v1/trust-list/key"), ("GET", "/v1/status-lists/{state}"),
    ("GET", "/demo/age-check"), ("HEAD", "/demo/age-check"), ("POST", "/demo/age-check"),
    # The transparency report: counts only (docs/privacy.md, "Transparency report").
    ("GET", "/v1/transparency"), ("GET", "/transparency"),
})  # fmt: skip
PERSONAL_FIELDS = {"first_name", "last_name", "middle_name", "dob", "aka_names", "ssn"}


@functools.cache
def ca_iaca_pem() -> str:
    """A CA IACA root (the PUT /v1/mdl/iaca body); made once per test process."""
    with tempfile.TemporaryDirectory() as tmp:
        make_state_pki("CA", Path(tmp))
        return (Path(tmp) / IACA_CERT).read_text()


# The web console's pages have their own matrix (tests/integration/web/test_console_matrix.py).
CONSOLE = "/console"


def app_routes(app: FastAPI) -> set[Route]:
    return {(method, ctx.path) for ctx in iter_route_contexts(app.routes)
            if ctx.path is not None and not ctx.path.startswith(CONSOLE)
            for method in (ctx.methods or ())}  # fmt: skip


@dataclass
class Env:
    client: TestClient
    keys: dict[str, str]  # "CA:records", "NY:clerk", ... and "CA:none"
    ca_pointer_id: str
    ids: dict[str, str] | None = None  # case_id, transfer_id (from CA), ny_pointer_id

    def call(self, route: Route, key: str | None) -> Any:
        if "case_id" not in (self.ids or {}) and route[1].startswith(WORKFLOW_PREFIXES):
            # Only for the routes needing them: they add NY pointers that NY would then list.
            self.ids = {**(self.ids or {}), **_workflow_ids(self.client, self.keys)}
        if route == ("POST", "/v1/inquiries/carry"):  # a fresh inquiry: one carry each
            search = request_for(("POST", "/v1/inquiries/search"), self.ca_pointer_id)[2]
            found = self.client.post("/v1/inquiries/search", json=search,
                                     headers=auth(self.keys["CA:clerk"], "matrix")).json()
            self.ids = {**(self.ids or {}), "inquiry_id": found["inquiry_id"]}
        method, url, body = request_for(route, self.ca_pointer_id, self.ids or {})
        headers = auth(self.keys[key], "matrix") if key else {}
        return self.client.request(method, url, json=body, headers=headers)

    def reseed(self) -> None:
        """Put CA's record M1 back (a permitted DELETE removed it)."""
        resp = self.client.put("/v1/pointers/records/M1", json=pointer("M1", ssn=tokens("7")),
                               headers=auth(self.keys["CA:records"]))  # fmt: skip
        assert resp.status_code in (200, 201)


ZERO_ID = "0" * 8 + "-0000-0000-0000-" + "0" * 12
UPLOAD_FINGERPRINT = "sha256:" + "ab" * 32 + ":1234"  # CA's upload in the matrix
# An outside request naming M1's holder: CA (and NY, holder of M9) are notified at once.
OUTSIDE_REQUEST = {"requester": "Superior Court, Example County", "kind": "subpoena",
                   "legal_basis": "Subpoena duces tecum 2026-123",
                   "individuals": [{"first_name": "William", "last_name": "Garcia Lopez",
                                    "dob": "1980-03-05"}]}  # fmt: skip


def request_for(route: Route, pointer_id: str,
                ids: dict[str, str] | None = None) -> tuple[str, str, Any]:  # fmt: skip
    """A valid request for each route (what an allowed caller would really send)."""
    method, path = route
    ids = ids or {}
    bodies: dict[Route, Any] = {
        # Admits every card and field the matrix's own pointers carry, so reseeding still works.
        ("PUT", "/v1/policy"): {"real_id_only": True},
        ("POST", "/v1/cases/{case_id}/transitions"): {"status": "under_investigation"},
        ("POST", "/v1/transfers"): {"pointer_id": ids.get("ny_pointer_id", pointer_id),
                                    "record_id": "Z1CA", "card_type": "DL", "real_id": False},
        ("POST", "/v1/transfers/{transfer_id}/answer"): {"answer": "confirmed"},
        # A public address: registering it resolves nothing and sends nothing.
        ("PUT", "/v1/notifications/webhook"): {"url": "https://93.184.215.14/hook"},
        ("POST", "/v1/withdrawal"): {"confirm": "CA"},
        ("POST", "/v1/pointers/batch"): {"pointers": [pointer("M2")]},
        ("PUT", "/v1/pointers/records/{record_id}"): pointer("M1", status="surrendered"),
        ("POST", "/v1/inquiries/search"): {"first_name": "William", "last_name": "Garcia Lopez",
                                           "dob": "1980-03-05", "purpose": "license_issuance"},
        # Names the issuance search CA's clerk made just before (Env.call), which showed M1.
        ("POST", "/v1/inquiries/carry"): {"inquiry_id": ids.get("inquiry_id", ZERO_ID),
                                          "pointer_id": pointer_id},
        ("PUT", "/v1/mdl/iaca"): {"certificate": ca_iaca_pem()},
        ("POST", "/v1/outside-requests"): OUTSIDE_REQUEST,
        ("POST", "/v1/outside-decisions"): {"request_id": ids.get("request_id", ZERO_ID),
                                            "outcome": "denied", "basis": "Motion to quash"},
        ("POST", "/v1/outside-objections"): {"request_id": ids.get("request_id", ZERO_ID),
                                             "reason": "Overbroad; we will move to quash"},
        ("POST", "/v1/uploads"): {"fingerprint": UPLOAD_FINGERPRINT},
        ("POST", "/v1/uploads/{upload_id}/batches"): {"seq": 1, "rows_read": 1,
                                                      "pointers": [pointer("M3")]},
        ("POST", "/v1/uploads/{upload_id}/complete"): {"seq": 1, "rows_read": 1,
                                                       "rejected": 1},
        ("POST", "/v1/mdl/credentials"): {"record_id": "M1", "status_indices": [
            secrets.randbelow(1 << 17) for _ in range(3)]},
    }  # fmt: skip
    queries = {"/v1/audit/consistency": "?from=0&to=1", "/v1/audit/entries": "?jurisdiction=CA"}
    url = path.replace("{record_id}", "M1").replace("{pointer_id}", pointer_id)
    url = url.replace("{case_id}", ids.get("case_id", "0" * 8 + "-0000-0000-0000-" + "0" * 12))
    url = url.replace("{upload_id}", ids.get("upload_id", ZERO_ID))
    url = url.replace("{transfer_id}", ids.get("transfer_id", "0" * 8 + "-0000-0000-0000-" +
                                               "0" * 12))  # fmt: skip
    return method, url + queries.get(path, ""), bodies.get(route)


@pytest.fixture
def env(hub: Hub) -> Iterator[Env]:
    keys = {f"{code}:{role.value}": hub.access.issue_credential(code, role.value, [role])
            for code in ("CA", "NY") for role in Role}  # fmt: skip
    keys["CA:none"] = hub.access.issue_credential("CA", "no roles", [])
    with TestClient(create_app(hub)) as client:
        e = Env(client, keys, "")
        e.reseed()
        assert client.put("/v1/mdl/iaca", json={"certificate": ca_iaca_pem()},
                          headers=auth(keys["CA:state_admin"])).status_code == 200  # fmt: skip
        own = client.get("/v1/pointers/records/M1", headers=auth(keys["CA:records"]))
        e.ca_pointer_id = own.json()["pointer_id"]
        e.ids = {}  # the workflow ids are made on first use (see Env.call)
        e.ids["request_id"] = client.post("/v1/outside-requests", json=OUTSIDE_REQUEST,
                                          headers=auth(keys["CA:legal"])).json()["request_id"]
        e.ids["upload_id"] = client.post("/v1/uploads", json={"fingerprint": UPLOAD_FINGERPRINT},
                                         headers=auth(keys["CA:records"])).json()["upload_id"]
        yield e


WORKFLOW_PREFIXES = ("/v1/cases", "/v1/transfers", "/v1/notifications", "/v1/withdrawal")


def _workflow_ids(client: TestClient, keys: dict[str, str]) -> dict[str, str]:
    """A case between CA and NY, a transfer from CA to NY, and a NY pointer CA may take."""
    ca, ny = auth(keys["CA:records"]), auth(keys["NY:records"])
    client.put("/v1/pointers/records/M9", json=pointer("M9", ssn=tokens("7")), headers=ny)
    case_id = client.get("/v1/cases", headers=ca).json()["items"][0]["case_id"]
    other = {"first_name": "Zelda", "last_name": "Quartermaine", "sex": "F"}
    y1 = client.put("/v1/pointers/records/Y1", json=pointer("Y1", dob="1961-02-03", **other),
                    headers=ca).json()["pointer_id"]  # fmt: skip
    moved = client.post("/v1/transfers", headers=ny, json={
        "pointer_id": y1, "record_id": "Y1NY", "card_type": "DL", "real_id": False})
    z1 = client.put("/v1/pointers/records/Z1", json=pointer("Z1", dob="1972-08-09", **other),
                    headers=ny).json()["pointer_id"]  # fmt: skip
    return {"case_id": case_id, "transfer_id": moved.json()["transfer_id"], "ny_pointer_id": z1}


def test_every_route_has_a_matrix_entry() -> None:
    """A new route without a decision here fails: authorization is never left implicit."""
    served = app_routes(create_app(cast(Hub, object())))
    assert served - set(MATRIX) - PUBLIC == set(), "add these routes to MATRIX or PUBLIC"
    assert set(MATRIX) | PUBLIC <= served, "MATRIX names routes the app no longer serves"
    assert not set(MATRIX) & PUBLIC


def _assert_denied(resp: Any, who: str, route: Route) -> None:
    assert resp.status_code == 403, f"{who} on {route}: {resp.status_code} {resp.text}"
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["detail"], resp.text


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_route_against_every_role(env: Env, route: Route) -> None:
    failures: list[str] = []
    for role in Role:
        env.reseed()
        resp = env.call(route, f"CA:{role.value}")
        allowed = role in MATRIX[route]
        if allowed and not 200 <= resp.status_code < 300:
            failures.append(f"{role.value} should be allowed: {resp.status_code} {resp.text}")
        if not allowed and (
            resp.status_code != 403 or resp.headers["content-type"] != "application/problem+json"
        ):
            failures.append(f"{role.value} should get 403: {resp.status_code} {resp.text}")
        if allowed and role in (OPERATOR, AUDITOR, LEGAL):
            leaked = {f for f in PERSONAL_FIELDS if f'"{f}"' in resp.text}
            assert not leaked, f"{role.value} must see no personal data: {leaked}"
    assert not failures, f"{route}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_a_credential_without_roles_is_denied(env: Env, route: Route) -> None:
    """Deny by default: a credential that holds no role can do nothing."""
    _assert_denied(env.call(route, "CA:none"), "no roles", route)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_unauthenticated_calls_get_401(env: Env, route: Route) -> None:
    resp = env.call(route, None)
    assert resp.status_code == 401, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("route", sorted(PUBLIC), ids=" ".join)
def test_public_routes_need_no_sign_in(env: Env, route: Route) -> None:
    method, path = route
    assert env.client.request(method, path.replace("{state}", "CA")).status_code == 200


def _other_state_checks() -> dict[Route, Callable[[Env, Any], None]]:
    """What a NY credential allowed on an own-state route gets when it names CA's record."""

    def not_found(env: Env, resp: Any) -> None:
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"] == "application/problem+json"

    def own_write_only(env: Env, resp: Any) -> None:
        assert 200 <= resp.status_code < 300, resp.text
        if isinstance(body := resp.json(), dict) and "jurisdiction" in body:
            assert body["jurisdiction"] == "NY"

    def refused(env: Env, resp: Any) -> None:
        """NY cannot put CA's IACA root on the trust list as its own."""
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"

    def lists_own_only(env: Env, resp: Any) -> None:
        assert resp.status_code == 200
        assert resp.json()["items"] == []

    return {
        ("GET", "/v1/pointers/records/{record_id}"): not_found,
        ("DELETE", "/v1/pointers/records/{record_id}"): not_found,
        ("PUT", "/v1/pointers/records/{record_id}"): own_write_only,
        ("POST", "/v1/pointers/batch"): own_write_only,
        ("GET", "/v1/policy"): own_write_only,  # NY's own policy, never CA's
        ("PUT", "/v1/policy"): own_write_only,
        ("GET", "/v1/pointers"): lists_own_only,
        ("PUT", "/v1/mdl/iaca"): refused,
        ("POST", "/v1/mdl/credentials"): not_found,
        # NY starts its own upload of the same file; CA's upload is not found for NY.
        ("POST", "/v1/uploads"): own_write_only,
        ("GET", "/v1/uploads"): lists_own_only,
        ("GET", "/v1/uploads/{upload_id}"): not_found,
        ("POST", "/v1/uploads/{upload_id}/batches"): not_found,
        ("POST", "/v1/uploads/{upload_id}/complete"): not_found,
        ("POST", "/v1/uploads/{upload_id}/abort"): not_found,
    }


OTHER_STATE = _other_state_checks()


def test_every_own_state_route_has_an_other_state_check() -> None:
    assert set(OTHER_STATE) == OWN_STATE_ONLY


@pytest.mark.parametrize("route", sorted(OWN_STATE_ONLY), ids=" ".join)
def test_own_state_routes_never_reach_another_states_records(env: Env, route: Route) -> None:
    """Own vs other: the same roles at NY act only on NY's records, and CA's stay untouched."""
    ca = auth(env.keys["CA:records"])
    before = env.client.get("/v1/pointers/records/M1", headers=ca).json()
    for role in sorted(MATRIX[route]):
        resp = env.call(route, f"NY:{role.value}")
        OTHER_STATE[route](env, resp)
        assert env.client.get("/v1/pointers/records/M1", headers=ca).json() == before
    assert [p["record_id"] for p in env.client.get("/v1/pointers", headers=ca).json()["items"]] \
        == ["M1"]  # fmt: skip


def test_a_state_administrator_reads_only_their_own_states_audit_feed(env: Env) -> None:
    own = env.client.get(
        "/v1/audit/entries?jurisdiction=NY", headers=auth(env.keys["NY:state_admin"])
    )
    other = env.client.get("/v1/audit/entries?jurisdiction=CA",
                           headers=auth(env.keys["NY:state_admin"]))  # fmt: skip
    assert own.status_code == 200
    assert other.status_code == 403
    assert other.headers["content-type"] == "application/problem+json"


def test_a_state_administrator_sees_only_notices_and_alerts_of_their_own_state(env: Env) -> None:
    """Own vs other: TX holds no record in the request's scope, so it has no notice and
    cannot object; CA, which does, can."""
    assert env.ids is not None
    body = {"request_id": env.ids["request_id"], "reason": "Overbroad"}
    tx_key = env.client.app.state.hub.access.issue_credential(  # type: ignore[attr-defined]
        "TX", "admin", [Role.STATE_ADMIN])
    tx = auth(tx_key)
    assert env.client.get("/v1/outside-notices", headers=tx).json() == []
    resp = env.client.post("/v1/outside-objections", json=body, headers=tx)
    assert resp.status_code == 404, resp.text
    ca = auth(env.keys["CA:state_admin"])
    notices = env.client.get("/v1/outside-notices", headers=ca).json()
    assert [n["request_id"] for n in notices] == [env.ids["request_id"]]
    assert env.client.post("/v1/outside-objections", json=body, headers=ca).status_code == 200
    assert env.client.get("/v1/alerts", headers=tx).json() == []
