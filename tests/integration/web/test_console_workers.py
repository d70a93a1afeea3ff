"""``lpx serve --workers 2``: a console sign-in holds whichever worker a request reaches."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from console_support import CSRF
from servers import free_port, serving

from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.config import Settings


def test_a_sign_in_holds_on_every_worker_of_lpx_serve(hub: Hub, settings: Settings,
                                                      tmp_path: Path) -> None:  # fmt: skip
    """Each request comes on a new connection, so the two workers share them; each must
    accept the cookie the other signed and find the session the other opened."""
    key = hub.access.issue_credential("CA", "clerk", [Role.CLERK])
    env = {k: v for k, v in os.environ.items() if not k.startswith("LPX_")}
    env.update(LPX_DATABASE_URL=settings.database_url, LPX_DATA_DIR=str(settings.data_dir),
               LPX_WEBHOOKS="0")  # fmt: skip
    port = free_port()
    with serving(["-m", "lpx.cli.main", "serve", "--port", str(port), "--workers", "2"],
                 port, env, tmp_path) as base:  # fmt: skip
        with httpx.Client(base_url=base) as browser:
            found = CSRF.search(browser.get("/console/sign-in").text)
            assert found is not None
            signed = browser.post("/console/sign-in", data={
                "api_key": key, "user_id": "clerk-3", "csrf_token": found.group(1)})
            assert signed.status_code == 303, signed.text
            cookies = browser.cookies
        pages = []
        for _ in range(20):
            with httpx.Client(base_url=base, cookies=cookies) as fresh:
                pages.append(fresh.get("/console/search"))
    assert [p.status_code for p in pages] == [200] * 20
    assert all("clerk-3" in p.text for p in pages)
