"""Helpers for the console tests: signing in through the form, reading tokens, seeding."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PERSONAL = ("Garcia", "William", "1980-03-05", "Quartermaine", "Zelda")


def visible(html: str) -> str:
    """The page without its random CSRF tokens (which may contain any short string)."""
    return CSRF.sub("", html)


def csrf(client: TestClient, path: str = "/console/transparency") -> str:
    """The session's CSRF token, read from a page as a browser would."""
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, key: str, user: str = "tester-1") -> str:
    """Sign in through the form; returns the new session's CSRF token."""
    client.cookies.clear()
    token = csrf(client, "/console/sign-in")
    resp = client.post("/console/sign-in", data={"api_key": key, "user_id": user,
                                                 "csrf_token": token, "next": "/console"},
                       follow_redirects=False)  # fmt: skip
    assert resp.status_code == 303, resp.text
    return csrf(client)


@dataclass
class Seeded:
    """Keys per "STATE:role" and the ids of a CA-NY case and transfers."""

    keys: dict[str, str]
    case_id: str = ""
    transfer_id: str = ""  # CA's pointer Y1, taken over by NY: CA must confirm or dispute
    ny_pointer_id: str = ""  # NY's Z1, which CA may take over
    ca_pointer_id: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def seed(hub: Hub, client: TestClient) -> Seeded:
    keys = {f"{code}:{role.value}": hub.access.issue_credential(code, role.value, [role])
            for code in ("CA", "NY", "TX") for role in Role}  # fmt: skip
    keys["CA:none"] = hub.access.issue_credential("CA", "no roles", [])
    keys["CA:system"] = hub.access.issue_credential("CA", "system", [Role.CLERK, Role.RECORDS])
    ca, ny = auth(keys["CA:records"]), auth(keys["NY:records"])
    assert client.put("/v1/pointers/records/M1", json=pointer("M1"), headers=ca).status_code == 201
    assert client.put("/v1/pointers/records/M9", json=pointer("M9"), headers=ny).status_code == 201
    case_id = client.get("/v1/cases", headers=ca).json()["items"][0]["case_id"]
    other = {"first_name": "Zelda", "last_name": "Quartermaine", "sex": "F"}
    y1 = client.put("/v1/pointers/records/Y1", json=pointer("Y1", dob="1961-02-03", **other),
                    headers=ca).json()["pointer_id"]  # fmt: skip
    moved = client.post("/v1/transfers", headers=ny, json={
        "pointer_id": y1, "record_id": "Y1NY", "card_type": "DL", "real_id": False})
    assert moved.status_code == 201, moved.text
    z1 = client.put("/v1/pointers/records/Z1", json=pointer("Z1", dob="1972-08-09", **other),
                    headers=ny).json()["pointer_id"]  # fmt: skip
    m1 = client.get("/v1/pointers/records/M1", headers=ca).json()["pointer_id"]
    return Seeded(keys, case_id, moved.json()["transfer_id"], z1, m1)
