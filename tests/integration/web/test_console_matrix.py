"""The console's authorization matrix: every console route against every role, signed out,
with a credential holding no role, and from another state. Deny by default.

Routes are read from the app, so a console page added without a row here fails
``test_every_console_route_has_a_row``. Allowed calls must succeed (200, or 303 after a
POST); denied ones get the 403 error page; signed-out calls go to the sign-in form.
"""

from __future__ import annotations

from typing import cast

import httpx
import pytest
from console_support import PERSONAL, Seeded, csrf, sign_in, visible
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub

Route = tuple[str, str]
CLERK, RECORDS, ADMIN = Role.CLERK, Role.RECORDS, Role.STATE_ADMIN
OPERATOR, AUDITOR = Role.HUB_OPERATOR, Role.AUDITOR

# Who may use each signed-in console route. Written out by hand, not derived from GRANTS.
MATRIX: dict[Route, frozenset[Role]] = {
    ("GET", "/console/search"): frozenset({CLERK}),
    ("POST", "/console/search"): frozenset({CLERK}),
    ("GET", "/console/status/{pointer_id}"): frozenset({CLERK, RECORDS}),
    ("POST", "/console/transfers"): frozenset({RECORDS}),
    ("GET", "/console/cases"): frozenset({RECORDS, ADMIN}),
    ("GET", "/console/cases/{case_id}"): frozenset({RECORDS, ADMIN}),
    ("POST", "/console/cases/{case_id}/transitions"): frozenset({RECORDS}),
    ("GET", "/console/transfers"): frozenset({RECORDS, ADMIN}),
    ("POST", "/console/transfers/{transfer_id}/answer"): frozenset({RECORDS}),
    ("GET", "/console/admin"): frozenset({ADMIN}),
    ("GET", "/console/admin/watch"): frozenset({ADMIN}),
    ("GET", "/console/uploads"): frozenset({RECORDS, ADMIN}),
}
# Any signed-in user: the landing redirect and signing out.
SIGNED_IN: frozenset[Route] = frozenset({("GET", "/console"), ("POST", "/console/sign-out")})
PUBLIC: frozenset[Route] = frozenset({("GET", "/console/sign-in"), ("POST", "/console/sign-in"),
                                      ("GET", "/console/transparency")})  # fmt: skip


def console_routes() -> set[Route]:
    app = create_app(cast(Hub, object()))
    return {(m, c.path) for c in iter_route_contexts(app.routes)
            if c.path and c.path.startswith("/console") and not c.path.startswith(
                "/console/static") for m in (c.methods or ())}  # fmt: skip


def test_every_console_route_has_a_row() -> None:
    served = console_routes()
    assert served - set(MATRIX) - SIGNED_IN - PUBLIC == set(), "add these console routes"
    assert set(MATRIX) | SIGNED_IN | PUBLIC <= served


def request_for(route: Route, s: Seeded, token: str) -> tuple[str, str, dict[str, str] | None]:
    method, path = route
    url = (path.replace("{pointer_id}", s.ca_pointer_id).replace("{case_id}", s.case_id)
           .replace("{transfer_id}", s.transfer_id))  # fmt: skip
    forms: dict[Route, dict[str, str]] = {
        ("POST", "/console/search"): {"last_name": "Garcia Lopez", "first_name": "William",
                                      "dob": "1980-03-05", "purpose": "license_issuance"},
        ("POST", "/console/transfers"): {"pointer_id": s.ny_pointer_id, "record_id": "Z1CA",
                                         "card_type": "DL"},
        ("POST", "/console/cases/{case_id}/transitions"): {"status": "under_investigation"},
        ("POST", "/console/transfers/{transfer_id}/answer"): {"answer": "confirmed"},
    }  # fmt: skip
    data = {**forms.get(route, {}), "csrf_token": token} if method == "POST" else None
    return method, url, data


def call(client: TestClient, route: Route, s: Seeded, token: str) -> httpx.Response:
    method, url, data = request_for(route, s, token)
    return client.request(method, url, data=data, follow_redirects=False)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_console_route_against_every_role(console: TestClient, seeded: Seeded,
                                          route: Route) -> None:  # fmt: skip
    failures = []
    for role in Role:
        token = sign_in(console, seeded.keys[f"CA:{role.value}"])
        resp = call(console, route, seeded, token)
        allowed = role in MATRIX[route]
        ok = {"GET": (200,), "POST": (200, 303)}[route[0]]
        if allowed and resp.status_code not in ok:
            failures.append(f"{role.value} should be allowed: {resp.status_code}")
        if not allowed and (resp.status_code != 403 or "Not allowed" not in resp.text):
            failures.append(f"{role.value} should get the 403 page: {resp.status_code}")
        if role in (OPERATOR, AUDITOR):
            leaked = [p for p in PERSONAL if p in visible(resp.text)]
            assert not leaked, f"{role.value} saw personal data on {route}: {leaked}"
    assert not failures, f"{route}:\n" + "\n".join(failures)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=" ".join)
def test_a_credential_without_roles_gets_nothing(console: TestClient, seeded: Seeded,
                                                 route: Route) -> None:  # fmt: skip
    token = sign_in(console, seeded.keys["CA:none"])
    resp = call(console, route, seeded, token)
    assert resp.status_code == 403


@pytest.mark.parametrize("route", sorted(MATRIX | dict.fromkeys(SIGNED_IN)), ids=" ".join)
def test_signed_out_users_are_sent_to_sign_in(console: TestClient, seeded: Seeded,
                                              route: Route) -> None:  # fmt: skip
    console.cookies.clear()
    token = csrf(console, "/console/sign-in")  # a valid anonymous token: only sign-in is missing
    resp = call(console, route, seeded, token)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/console/sign-in")


@pytest.mark.parametrize("route", sorted(PUBLIC), ids=" ".join)
def test_public_console_routes(console: TestClient, seeded: Seeded, route: Route) -> None:
    console.cookies.clear()
    token = csrf(console, "/console/sign-in")
    method, url, _ = request_for(route, seeded, token)
    data = {"api_key": seeded.keys["CA:clerk"], "user_id": "u", "csrf_token": token}
    resp = console.request(method, url, data=data if method == "POST" else None,
                           follow_redirects=False)  # fmt: skip
    assert resp.status_code in (200, 303)
    assert not [p for p in PERSONAL if p in visible(resp.text)]


# Own vs other state: TX is no party to the CA-NY case or the CA-to-NY transfer.
OTHER_STATE_HIDDEN: dict[Route, int] = {
    ("GET", "/console/cases/{case_id}"): 404,
    ("POST", "/console/cases/{case_id}/transitions"): 404,
    ("POST", "/console/transfers/{transfer_id}/answer"): 404,
}
OTHER_STATE_OWN_ONLY: tuple[Route, ...] = (
    ("GET", "/console/cases"), ("GET", "/console/transfers"), ("GET", "/console/admin"),
    ("GET", "/console/admin/watch"), ("GET", "/console/uploads"),
)  # fmt: skip


@pytest.mark.parametrize("route", sorted(OTHER_STATE_HIDDEN), ids=" ".join)
def test_another_state_cannot_reach_a_case_or_transfer(console: TestClient, seeded: Seeded,
                                                        route: Route) -> None:  # fmt: skip
    for role in sorted(MATRIX[route]):
        token = sign_in(console, seeded.keys[f"TX:{role.value}"])
        resp = call(console, route, seeded, token)
        assert resp.status_code == OTHER_STATE_HIDDEN[route], f"{role.value}: {resp.text}"
    token = sign_in(console, seeded.keys["CA:records"])
    page = console.get(f"/console/cases/{seeded.case_id}")
    assert "Open" in page.text or "open" in page.text  # untouched by TX
    assert "Under investigation" not in page.text.split("<h1>")[1].split("</h1>")[0]


@pytest.mark.parametrize("route", OTHER_STATE_OWN_ONLY, ids=" ".join)
def test_another_states_lists_show_only_its_own(console: TestClient, seeded: Seeded,
                                                route: Route) -> None:  # fmt: skip
    for role in sorted(MATRIX[route]):
        token = sign_in(console, seeded.keys[f"TX:{role.value}"])
        resp = call(console, route, seeded, token)
        assert resp.status_code == 200
        for leak in ("CA M1", "NY M9", "Y1NY", seeded.case_id[:8], *PERSONAL):
            assert leak not in visible(resp.text), f"TX {role.value} saw {leak} on {route}"
