"""The age-check demo in a real headless Chromium: a person clicks through the check and the
website shows "over 21: yes" and nothing else.

Runs against a uvicorn hub this test starts on 127.0.0.1 (SQLite). Needs Debian's
``/usr/bin/chromium`` (never a downloaded browser); without it the test skips, unless
LPX_REQUIRE_BROWSER=1 (as in CI), where it fails. Run alone: ``.venv/bin/pytest tests/e2e``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import uvicorn_app

from lpx.storage.db import make_engine, migrate

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _need_browser() -> None:
    missing = None
    if not CHROMIUM.exists():
        missing = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[dev]')"
    if missing is None:
        return
    if os.environ.get("LPX_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required (LPX_REQUIRE_BROWSER=1) but {missing}")
    pytest.skip(f"browser test skipped: {missing}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A hub on its own SQLite file, served by uvicorn in a child process."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k != "LPX_NETWORK_KEYS"}
    env.update(LPX_DATABASE_URL=url, LPX_DATA_DIR=str(tmp_path / "data"))
    with uvicorn_app("lpx.api.app:create_app", env, tmp_path) as base:
        yield base


def test_a_person_proves_over_21_and_nothing_else(server: str) -> None:
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(f"{server}/demo/age-check")
            expect(page.get_by_role("heading", level=1)).to_have_text("Private age check (demo)")
            page.get_by_role("button", name="Check my age (over 21)").click()

            # The wallet's consent, by keyboard: the label names what goes to which origin.
            consent = page.get_by_label(re.compile(r'Share "over 21" with http://127\.0\.0\.1'))
            consent.focus()
            page.keyboard.press("Space")
            expect(consent).to_be_checked()
            page.get_by_role("button", name="Share", exact=True).click()
            page.get_by_role("button", name="Send to the website").click()

            expect(page.locator("#verdict")).to_contain_text("Verified: issued by ZZ")
            disclosed = page.locator("#disclosed li")
            expect(disclosed).to_have_count(1)
            expect(disclosed).to_have_text(["over 21: yes"])
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "age-check.png"), full_page=True)
        finally:
            browser.close()
