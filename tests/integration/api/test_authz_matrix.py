"""The authorization matrix: every route of the app against every role, and own vs other state.

Routes are read from ``app.routes``, so a route added without a row in ``MATRIX`` (or in
``PUBLIC``) fails ``test_every_route_has_a_matrix_entry``. Allowed calls are valid requests
that must succeed (2xx); denied calls must get 403 problem+json; calls without credentials
get 401 everywhere but the public routes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from helpers import auth, pointer, tokens

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub

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
    ("GET", "/v1/pointers/{pointer_id}/status"): frozenset({CLERK, RECORDS}),
    ("GET", "/v1/audit/tree-head"): EVERY_ROLE,
    ("GET", "/v1/audit/consistency"): EVERY_ROLE,
    ("GET", "/v1/audit/entries"): frozenset({ADMIN, AUDITOR}),
}
# Routes that act only on the caller's own state's records.
OWN_STATE_ONLY = frozenset(r for r in MATRIX if r[1].startswith("/v1/pointers") and
                           not r[1].endswith("/status"))  # fmt: skip
# No sign-in: liveness and the API's own documentation.
PUBLIC: frozenset[Route] = frozenset({
    ("GET", "/v1/health"),
    ("GET", "/v1/openapi.json"), ("HEAD", "/v1/openapi.json"),
    ("GET", "/docs"), ("HEAD", "/docs"),
    ("GET", "/docs/oauth2-redirect"), ("HEAD", "/docs/oauth2-redirect"),
})  # fmt: skip
PERSONAL_FIELDS = {"first_name", "last_name", "middle_name", "dob", "aka_names", "ssn"}


def app_routes(app: FastAPI) -> set[Route]:
    return {(method, ctx.path) for ctx in iter_route_contexts(app.routes)
            if ctx.path is not None for method in (ctx.methods or ())}  # fmt: skip


@dataclass
class Env:
    client: TestClient
    keys: dict[str, str]  # "CA:records", "NY:clerk", ... and "CA:none"
    ca_pointer_id: str

    def call(self, route: Route, key: str | None) -> Any:
        method, url, body = request_for(route, self.ca_pointer_id)
        headers = auth(self.keys[key], "matrix") if key else {}
        return self.client.request(method, url, json=body, headers=headers)

    def reseed(self) -> None:
        """Put CA's record M1 back (a permitted DELETE removed it)."""
        resp = self.client.put("/v1/pointers/records/M1", json=pointer("M1", ssn=tokens("7")),
                               headers=auth(self.keys["CA:records"]))  # fmt: skip
        assert resp.status_code in (200, 201)


def request_for(route: Route, pointer_id: str) -> tuple[str, str, Any]:
    """A valid request for each route (what an allowed caller would really send)."""
    method, path = route
    bodies: dict[Route, Any] = {
        ("POST", "/v1/pointers/batch"): {"pointers": [pointer("M2")]},
        ("PUT", "/v1/pointers/records/{record_id}"): pointer("M1", status="surrendered"),
        ("POST", "/v1/inquiries/search"): {"first_name": "William", "last_name": "Garcia Lopez",
                                           "dob": "1980-03-05", "purpose": "license_issuance"},
    }  # fmt: skip
    queries = {"/v1/audit/consistency": "?from=0&to=1", "/v1/audit/entries": "?jurisdiction=CA"}
    url = path.replace("{record_id}", "M1").replace("{pointer_id}", pointer_id)
    return method, url + queries.get(path, ""), bodies.get(route)


@pytest.fixture
def env(hub: Hub) -> Iterator[Env]:
    keys = {f"{code}:{role.value}": hub.access.issue_credential(code, role.value, [role])
            for code in ("CA", "NY") for role in Role}  # fmt: skip
    keys["CA:none"] = hub.access.issue_credential("CA", "no roles", [])
    with TestClient(create_app(hub)) as client:
        e = Env(client, keys, "")
        e.reseed()
        own = client.get("/v1/pointers/records/M1", headers=auth(keys["CA:records"]))
        e.ca_pointer_id = own.json()["pointer_id"]
        yield e


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
    assert env.client.request(method, path).status_code == 200


def _other_state_checks() -> dict[Route, Callable[[Env, Any], None]]:
    """What a NY credential allowed on an own-state route gets when it names CA's record."""

    def not_found(env: Env, resp: Any) -> None:
        assert resp.status_code == 404, resp.text
        assert resp.headers["content-type"] == "application/problem+json"

    def own_write_only(env: Env, resp: Any) -> None:
        assert 200 <= resp.status_code < 300, resp.text
        if isinstance(body := resp.json(), dict) and "jurisdiction" in body:
            assert body["jurisdiction"] == "NY"

    def lists_own_only(env: Env, resp: Any) -> None:
        assert resp.status_code == 200
        assert resp.json()["items"] == []

    return {
        ("GET", "/v1/pointers/records/{record_id}"): not_found,
        ("DELETE", "/v1/pointers/records/{record_id}"): not_found,
        ("PUT", "/v1/pointers/records/{record_id}"): own_write_only,
        ("POST", "/v1/pointers/batch"): own_write_only,
        ("GET", "/v1/pointers"): lists_own_only,
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
