"""The web console in a real headless Chromium: a clerk signs in, searches and opens a card's
status; records staff resolve a duplicate case; a state administrator opens the dashboard;
anyone opens the transparency page. Screenshots go to test-artifacts/console-*.png.

Runs against a uvicorn hub this test starts on 127.0.0.1 (SQLite), with Debian's
``/usr/bin/chromium`` and the same flags and skip rule as test_age_check_browser.py
(LPX_REQUIRE_BROWSER=1 turns a missing browser into a failure). Run alone:
``.venv/bin/pytest tests/e2e``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import auth, pointer
from servers import free_port, uvicorn_app
from test_age_check_browser import ARGS, ARTIFACTS, CHROMIUM, _need_browser

from lpx.auth.permissions import Role
from lpx.bootstrap import build_hub
from lpx.client.keys import generate, save
from lpx.client.ssn import tokenize
from lpx.config import Settings
from lpx.storage.db import migrate


@dataclass
class Console:
    url: str
    keys: dict[str, str]


SSN_PERSON = {"first_name": "Amara", "last_name": "Oyelaran", "dob": "1990-01-02"}
SSN5 = "12345"


@pytest.fixture
def console_hub(tmp_path: Path) -> Iterator[Console]:
    """A hub with CA, NY and TX, one person on file in CA and NY (so a case is open)."""
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    hub = build_hub(Settings(database_url=db, data_dir=tmp_path / "data"))
    migrate(hub.engine)
    for code, name in (("CA", "California"), ("NY", "New York"), ("TX", "Texas")):
        hub.access.add_jurisdiction(code, name)
    keys = {code: hub.access.issue_credential(code, "system", [Role.CLERK, Role.RECORDS])
            for code in ("CA", "NY")}  # fmt: skip
    keys["CA:admin"] = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    hub.engine.dispose()
    port, tokenizer_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    tokenizer_url = f"http://127.0.0.1:{tokenizer_port}/tokenize"
    # NY's state side: network keys and the SSN-5 tokenizer its clerks' browsers call.
    network_keys, keys_file = generate(), tmp_path / "state" / "network-keys.json"
    keys_file.parent.mkdir()
    save(network_keys, keys_file)
    state_env = os.environ | {"LPX_NETWORK_KEYS": str(keys_file), "LPX_TOKENIZER_ORIGINS": base}
    env = {k: v for k, v in os.environ.items() if k != "LPX_NETWORK_KEYS"}
    env.update(LPX_DATABASE_URL=db, LPX_DATA_DIR=str(tmp_path / "data"),
               LPX_CONSOLE_TOKENIZER_URLS=json.dumps({"NY": tokenizer_url}))
    with (
        uvicorn_app("lpx.client.tokenizer:create_app", state_env, tmp_path, "/tokenize",
                    port=tokenizer_port, any_status=True),
        uvicorn_app("lpx.api.app:create_app", env, tmp_path, port=port),
    ):  # fmt: skip
        for code, record in (("CA", "D1000001"), ("NY", "N2000002")):
            resp = httpx.put(f"{base}/v1/pointers/records/{record}", json=pointer(record),
                             headers=auth(keys[code], "loader"))  # fmt: skip
            assert resp.status_code == 201, resp.text
        tokens = tokenize(SSN5, network_keys)  # what CA's loader sends for its record
        ssn = {"full": tokens.full, "masked": list(tokens.masked)}
        resp = httpx.put(f"{base}/v1/pointers/records/S7", headers=auth(keys["CA"], "loader"),
                         json=pointer("S7", **SSN_PERSON, sex="F", ssn=ssn))  # fmt: skip
        assert resp.status_code == 201, resp.text
        search = {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05"}
        for purpose in ("license_renewal", "duplicate_investigation"):  # NY's clerks asked
            httpx.post(f"{base}/v1/inquiries/search", json=search | {"purpose": purpose},
                       headers=auth(keys["NY"], "ny-clerk-2"))  # fmt: skip
        yield Console(base, keys)


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)


def _sign_in(page: Any, url: str, key: str, user: str) -> None:
    page.goto(f"{url}/console/sign-in")
    page.get_by_label("Jurisdiction API key").fill(key)
    page.get_by_label("Your user id").fill(user)
    page.get_by_role("button", name="Sign in").click()


def test_clerk_records_officer_and_administrator_work_in_the_browser(
    console_hub: Console,
) -> None:
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    url, keys = console_hub.url, console_hub.keys
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            blocked: list[str] = []  # CSP violations and script errors: the page must have none

            def record(message: Any) -> None:
                if message.type == "error" and "status of 422" not in message.text:  # see below
                    blocked.append(message.text)

            page.on("console", record)

            # The clerk signs in with the office system's key and their own id, and searches.
            _sign_in(page, url, keys["CA"], "clerk-7")
            expect(page.get_by_role("heading", level=1)).to_have_text("Search for one person")
            page.keyboard.press("Tab")  # the skip link is the first stop for keyboard users
            expect(page.locator(":focus")).to_have_text("Skip to main content")
            # A mistake gets the problem's message (htmx swaps the error page in), not a 500.
            page.get_by_label("Last name").fill("Garcia Lopez")
            page.get_by_label("First name").fill("Bill")
            page.get_by_label("Date of birth").fill("2999-03-05")
            page.get_by_role("button", name="Search", exact=True).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Please check the form")
            expect(page.get_by_role("alert")).to_contain_text("dob is in the future")
            page.goto(f"{url}/console/search")
            page.get_by_label("Last name").fill("Garcia Lopez")
            page.get_by_label("First name").fill("Bill")
            page.get_by_label("Date of birth").fill("1980-03-05")
            page.get_by_label("Purpose").select_option("license_issuance")
            expect(page.get_by_label("SSN-5 (optional)")).to_be_disabled()
            page.get_by_role("button", name="Search", exact=True).click()
            results = page.locator("#results")
            expect(results.get_by_role("heading", level=2)).to_have_text("2 candidates")
            expect(results.locator("li.badge.close").first).to_contain_text("First name")
            expect(results.locator("li.badge.agreed").first).to_be_visible()
            _shot(page, "search")

            # Status inquiry on NY's candidate; the transfer form is offered next to it.
            ny = results.locator("li.candidate", has_text="NY ·")
            ny.get_by_role("link", name="Card status").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Card status")
            expect(page.locator("dl.facts")).to_contain_text("NY")
            expect(page.get_by_role("button", name="Start transfer")).to_be_visible()
            _shot(page, "status")

            # Records staff (the same system key here) resolve the duplicate case.
            page.get_by_role("link", name="Duplicate cases").click()
            expect(page.locator("table.data")).to_contain_text("two REAL ID cards")
            _shot(page, "cases")
            page.get_by_role("link", name="Open case").first.click()
            expect(page.get_by_role("heading", level=2, name="Evidence")).to_be_visible()
            expect(page.locator(".record").first).to_contain_text("William James Garcia Lopez")
            _shot(page, "case")
            page.get_by_role("button", name="Same person").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Same person")
            expect(page.locator("table.data").last).to_contain_text("clerk-7")

            page.get_by_role("button", name="Sign out").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

            # The state administrator: audit verification, alerts, notices, who searched.
            _sign_in(page, url, keys["CA:admin"], "admin-1")
            expect(page.get_by_role("heading", level=1)).to_have_text("CA administration")
            expect(page.locator("#verify-h")).to_have_text("Audit log verification: verified")
            expect(page.locator("#who-h + table")).to_contain_text("ny-clerk-2")
            expect(page.locator("figure.chart img").first).to_be_visible()
            _shot(page, "admin")

            # The public transparency page, signed out.
            page.get_by_role("button", name="Sign out").click()
            page.goto(f"{url}/console/transparency")
            expect(page.get_by_role("heading", level=1)).to_contain_text("Transparency report")
            expect(page.locator("figure.chart img").first).to_be_visible()
            _shot(page, "transparency")

            # NY's clerk gives SSN-5: the browser gets tokens from NY's tokenizer, the hub
            # gets only the tokens, and the candidate's SSN-5 agrees.
            to_hub: list[str] = []
            page.on("request", lambda r: to_hub.append(r.post_data or "")
                    if r.url.startswith(url + "/") else None)  # fmt: skip
            _sign_in(page, url, keys["NY"], "ny-clerk-3")
            page.get_by_label("Last name").fill(SSN_PERSON["last_name"])
            page.get_by_label("First name").fill(SSN_PERSON["first_name"])
            page.get_by_label("Date of birth").fill(SSN_PERSON["dob"])
            page.get_by_label("SSN-5 (optional)").fill(SSN5)
            page.get_by_role("button", name="Search", exact=True).click()
            found = page.locator("li.candidate", has_text="CA ·")
            expect(found.locator("li.badge.agreed", has_text="SSN-5")).to_be_visible()
            _shot(page, "search-ssn")
            assert to_hub
            assert not [body for body in to_hub if SSN5 in body]
            assert blocked == [], blocked
        finally:
            browser.close()
