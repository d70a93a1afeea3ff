"""The age-check demo: its relying party verifies offline, once per nonce, for its origin;
and the page walks through ask → share → send with only ``age_over_21`` disclosed."""

from __future__ import annotations

import datetime as dt
import re
import socket
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lpx.api.routes.age_demo import ELEMENT, DemoWorld, build_world

SITE = "https://shop.example"


@pytest.fixture(scope="module")
def demo() -> DemoWorld:
    return build_world()


def test_relying_party_verifies_without_any_network_call(
    demo: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    ask = demo.site.ask(SITE)
    response = demo.wallet.answer(SITE, ask.nonce, ELEMENT)
    calls: list[str] = []

    def refuse(name: str) -> Any:
        def blocked(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"the relying party tried the network ({name})")

        return blocked

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(name))
    result = demo.site.check(ask.nonce, response, dt.datetime.now(dt.UTC))
    assert result.valid, result
    assert result.disclosed == {"age_over_21": True}
    assert result.issuer_state == "ZZ"
    assert calls == []


def test_a_nonce_answers_once(demo: DemoWorld) -> None:
    ask = demo.site.ask(SITE)
    response = demo.wallet.answer(SITE, ask.nonce, ELEMENT)
    now = dt.datetime.now(dt.UTC)
    assert demo.site.check(ask.nonce, response, now).valid
    replay = demo.site.check(ask.nonce, response, now)
    assert (replay.valid, replay.check) == (False, "nonce")


def test_an_answer_made_for_another_origin_fails(demo: DemoWorld) -> None:
    """A phishing site relaying the request: the wallet binds the origin it is shown."""
    ask = demo.site.ask(SITE)
    response = demo.wallet.answer("https://shop.example.evil", ask.nonce, ELEMENT)
    result = demo.site.check(ask.nonce, response, dt.datetime.now(dt.UTC))
    assert (result.valid, result.check) == (False, "device_auth")


def test_the_wallet_refills_when_its_batch_is_spent(demo: DemoWorld) -> None:
    for _ in range(25):  # more than one batch of 20
        ask = demo.site.ask(SITE)
        response = demo.wallet.answer(SITE, ask.nonce, ELEMENT)
        assert demo.site.check(ask.nonce, response, dt.datetime.now(dt.UTC)).valid


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


def test_the_page_walks_through_the_check(hub_client: TestClient) -> None:
    start = hub_client.get("/demo/age-check")
    assert start.status_code == 200
    assert 'lang="en"' in start.text
    asked = hub_client.post("/demo/age-check", data={"step": "ask"})
    assert "<label for=\"consent\">" in asked.text
    nonce = _field(asked.text, "nonce")
    no_consent = hub_client.post("/demo/age-check", data={"step": "share", "nonce": nonce})
    assert "Nothing was shared" in no_consent.text
    shared = hub_client.post("/demo/age-check",
                             data={"step": "share", "nonce": nonce, "consent": "yes"},
                             headers={"Origin": "http://testserver"})  # fmt: skip
    sent = hub_client.post("/demo/age-check", data={
        "step": "send", "nonce": _field(shared.text, "nonce"),
        "response": _field(shared.text, "response")})  # fmt: skip
    assert "Verified" in sent.text
    disclosed = re.search(r'<ul id="disclosed">(.*?)</ul>', sent.text)
    assert disclosed
    assert disclosed.group(1) == "<li>over 21: yes</li>"


def test_junk_never_breaks_the_page(hub_client: TestClient) -> None:
    for data in ({"step": "send", "nonce": "x", "response": "%%%"},
                 {"step": "send"}, {"step": "share", "consent": "yes"}, {"step": "?"}):  # fmt: skip
        resp = hub_client.post("/demo/age-check", data=data)
        assert resp.status_code == 200
    stale = {"step": "send", "nonce": "x", "response": "AAAA"}
    assert "Not verified (nonce)" in hub_client.post("/demo/age-check", data=stale).text
