"""Console sign-in, session cookie, CSRF and headers; and that the console decides no access
itself (checked on the syntax tree, like the API's rule)."""

from __future__ import annotations

import ast
import base64
import json
import re
from pathlib import Path

import pytest
from console_support import Seeded, csrf, sign_in
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, update
from test_console_matrix import MATRIX, SIGNED_IN, request_for

import lpx.web
from lpx.api.app import create_app
from lpx.bootstrap import Hub
from lpx.storage.console_tables import console_sessions
from lpx.web import sessions
from lpx.web.middleware import COOKIE
from lpx.web.sessions import MAX_AGE, SessionStore, _hash

WEB = Path(lpx.web.__file__).parent


def _cookie_payload(client: TestClient) -> dict[str, str]:
    raw = client.cookies[COOKIE].split(".")[0]
    payload: dict[str, str] = json.loads(base64.b64decode(raw))
    return payload


def test_sign_in_keeps_only_a_reference_in_a_strict_http_only_cookie(
    console: TestClient, seeded: Seeded
) -> None:
    token = csrf(console, "/console/sign-in")
    key = seeded.keys["CA:clerk"]
    resp = console.post("/console/sign-in", data={"api_key": key, "user_id": "clerk-9",
                                                  "csrf_token": token, "next": "/console/search"},
                        follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303
    assert resp.headers["location"] == "/console/search"
    cookie = resp.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert "path=/console" in cookie
    assert "secure" not in cookie  # plain http here; https requests get Secure (next test)
    payload = _cookie_payload(console)
    assert set(payload) == {"sid", "csrf"}
    assert key not in json.dumps(payload)
    # The whole secret (lpx_ca_<secret>): the secret may hold "_" itself, and a fragment
    # after its last one can be a single letter that any cookie contains.
    assert key.split("_", 2)[2] not in resp.headers["set-cookie"]
    assert payload["csrf"] != token  # a fresh token after sign-in
    page = console.get("/console/search")
    assert "clerk-9" in page.text
    assert "(CA)" in page.text


def test_cookie_is_secure_over_https(console: TestClient, seeded: Seeded) -> None:
    https = TestClient(console.app, base_url="https://testserver")
    token = csrf(https, "/console/sign-in")
    resp = https.post("/console/sign-in", data={"api_key": seeded.keys["CA:clerk"],
                                                "user_id": "c", "csrf_token": token},
                      follow_redirects=False)  # fmt: skip
    assert "secure" in resp.headers["set-cookie"].lower()


def test_a_wrong_key_or_missing_user_is_refused_with_the_form_again(
    console: TestClient, seeded: Seeded
) -> None:
    token = csrf(console, "/console/sign-in")
    bad = console.post("/console/sign-in", data={"api_key": "lpx_ca_nope", "user_id": "c",
                                                 "csrf_token": token})  # fmt: skip
    assert bad.status_code == 401
    assert "unknown or revoked" in bad.text
    no_user = console.post("/console/sign-in", data={
        "api_key": seeded.keys["CA:clerk"], "user_id": " ", "csrf_token": token})
    assert no_user.status_code == 401
    assert "as your user id" in no_user.text
    assert console.get("/console/search", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session_on_the_server(console: TestClient, seeded: Seeded) -> None:
    token = sign_in(console, seeded.keys["CA:clerk"])
    stolen = dict(console.cookies)
    out = console.post("/console/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert console.get("/console/search", follow_redirects=False).status_code == 303
    replay = TestClient(console.app, cookies=stolen)  # the old cookie, replayed
    resp = replay.get("/console/search", follow_redirects=False)
    assert resp.status_code == 303
    assert resp.headers["location"].startswith("/console/sign-in")


def test_next_never_leaves_the_console(console: TestClient, seeded: Seeded) -> None:
    for target in ("https://evil.example/", "//evil.example/console/", "/v1/pointers",
                   "/console/\\evil"):  # fmt: skip
        token = csrf(console, "/console/sign-in")
        resp = console.post("/console/sign-in", data={"api_key": seeded.keys["CA:clerk"],
                            "user_id": "c", "csrf_token": token, "next": target},
                            follow_redirects=False)  # fmt: skip
        assert resp.headers["location"] == "/console", target


@pytest.mark.parametrize("route", sorted(r for r in MATRIX | dict.fromkeys(SIGNED_IN)
                                         if r[0] == "POST"), ids=" ".join)  # fmt: skip
def test_every_post_needs_the_sessions_csrf_token(console: TestClient, seeded: Seeded,
                                                  route: tuple[str, str]) -> None:  # fmt: skip
    sign_in(console, seeded.keys["CA:system"])
    for token in ("forged", ""):
        method, url, data = request_for(route, seeded, token)
        resp = console.request(method, url, data=data, follow_redirects=False)
        assert resp.status_code == 403, resp.text
        assert "Form expired" in resp.text
    # Nothing happened: still signed in, and the case is still open.
    page = console.get(f"/console/cases/{seeded.case_id}")
    assert page.status_code == 200
    assert re.search(r"<h1>Case [0-9a-f]{8}: Open</h1>", page.text)


def test_sign_in_itself_needs_the_token(console: TestClient, seeded: Seeded) -> None:
    console.cookies.clear()
    resp = console.post("/console/sign-in", data={"api_key": seeded.keys["CA:clerk"],
                                                  "user_id": "c", "csrf_token": "x"},
                        follow_redirects=False)  # fmt: skip
    assert resp.status_code == 403
    assert "Form expired" in resp.text
    assert console.get("/console/search", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/console/sign-in", "/console/transparency",
                                  "/console/static/console.css"])  # fmt: skip
def test_security_headers(console: TestClient, path: str) -> None:
    resp = console.get(path)
    assert resp.status_code == 200
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["referrer-policy"] == "no-referrer"
    assert resp.headers["x-content-type-options"] == "nosniff"


def test_the_api_gets_no_cookie_and_no_console_headers(console: TestClient) -> None:
    resp = console.get("/v1/health")
    assert "set-cookie" not in resp.headers
    assert "content-security-policy" not in resp.headers


def test_templates_hold_no_inline_script_or_handler() -> None:
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
        assert "javascript:" not in text, template.name


def test_htmx_is_vendored_with_its_licence() -> None:
    vendor = WEB / "static" / "vendor"
    assert (vendor / "htmx.min.js").read_text().startswith("var htmx=function()")
    assert "Zero-Clause BSD" in (vendor / "htmx.LICENSE").read_text()
    assert "2.0.11" in (vendor / "README.md").read_text()


def test_sessions_expire_when_idle_and_after_a_working_day(hub: Hub) -> None:
    now = [0.0]
    store = SessionStore(hub.engine, idle_seconds=60, clock=lambda: now[0])
    sid = store.open("lpx_key", "u")
    now[0] = 59
    assert store.get(sid) is not None
    now[0] = 59 + 61
    assert store.get(sid) is None
    sid = store.open("lpx_key", "u")
    for _ in range(int(MAX_AGE // 50) + 1):
        now[0] += 50
        found = store.get(sid)
    assert found is None
    assert store.get("unknown") is None
    assert store.get(None) is None


def test_the_oldest_sign_ins_go_first_beyond_the_bound(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "MAX_SESSIONS", 2)
    now = [0.0]
    store = SessionStore(hub.engine, idle_seconds=600, clock=lambda: now[0])
    sids = []
    for _ in range(3):
        sids.append(store.open("lpx_key", "u"))
        now[0] += 1
    assert [store.get(s) is not None for s in sids] == [False, True, True]


def test_every_worker_knows_a_sign_in_and_sign_out(hub: Hub, seeded: Seeded) -> None:
    """Two apps over one database, as ``lpx serve --workers 2`` runs two processes (which
    share the cookie's secret): a sign-in made through one is good on the other, and a
    sign-out on the other ends it on both."""
    hub.settings.console_session_secret = SecretStr("shared-by-the-workers-" + "0" * 32)
    with TestClient(create_app(hub)) as one, TestClient(create_app(hub)) as two:
        sign_in(one, seeded.keys["CA:clerk"], "clerk-7")
        two.cookies.update(one.cookies)
        page = two.get("/console/search", follow_redirects=False)
        assert page.status_code == 200
        assert "clerk-7" in page.text
        token = csrf(two, "/console/search")
        two.post("/console/sign-out", data={"csrf_token": token}, follow_redirects=False)
        assert one.get("/console/search", follow_redirects=False).status_code == 303


def test_the_database_alone_holds_no_usable_sign_in(hub: Hub) -> None:
    """The row is found by a hash of the session id and holds the key sealed under it."""
    store = SessionStore(hub.engine, idle_seconds=60)
    key = "lpx_ca_" + "k" * 40
    sid = store.open(key, "clerk-1")
    with hub.engine.connect() as conn:
        [row] = conn.execute(select(console_sessions)).all()
    assert key.encode() not in row.sealed_key
    assert (found := store.get(sid)) is not None
    assert found.api_key == key
    forged = sid[:-1] + ("A" if sid[-1] != "A" else "B")
    with hub.engine.begin() as conn:  # the row moved under another id's hash
        conn.execute(update(console_sessions).values(sid_hash=_hash(forged)))
    assert store.get(forged) is None


# The console asks the one policy (lpx/web/access.py); nowhere else does it look at roles.
FORBIDDEN = {"Role", "GRANTS", "OWN_JURISDICTION_ONLY", "Permission", "authorize"}


@pytest.mark.parametrize("path", sorted(p for p in WEB.rglob("*.py") if p.name != "access.py"),
                         ids=lambda p: str(p.relative_to(WEB)))  # fmt: skip
def test_console_modules_do_not_decide_access(path: Path) -> None:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN:
            found.append(node.id)
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN | {"roles"}:
            found.append(node.attr)
        elif isinstance(node, ast.ImportFrom) and {a.name for a in node.names} & FORBIDDEN:
            found.append(f"import from {node.module}")
    assert found == []
