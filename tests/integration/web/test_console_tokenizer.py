"""SSN-5 in the console: the state's tokenizer turns digits into tokens for the browser,
and the hub's console accepts the tokens (never digits) and compares them."""

from __future__ import annotations

import re

from console_support import Seeded, sign_in
from fastapi.testclient import TestClient
from helpers import auth, pointer

from lpx.client.keys import NetworkKeys
from lpx.client.ssn import tokenize
from lpx.client.tokenizer import create_app
from lpx.domain.records import MASKED_TOKEN_COUNT

HUB = "http://hub.example"
PERSON = {"first_name": "William", "last_name": "Garcia Lopez", "dob": "1980-03-05"}


def test_the_tokenizer_answers_tokens_to_the_hubs_console_only() -> None:
    keys = NetworkKeys.generate()
    client = TestClient(create_app(keys, [HUB]))
    resp = client.post("/tokenize", json={"ssn5": "12345", **PERSON},
                       headers={"Origin": HUB})  # fmt: skip
    assert resp.status_code == 200
    expected = tokenize("12345", keys)
    assert resp.json() == {"full": expected.full, "masked": list(expected.masked)}
    assert resp.headers["access-control-allow-origin"] == HUB
    other = client.post("/tokenize", json={"ssn5": "12345", **PERSON},
                        headers={"Origin": "http://evil.example"})  # fmt: skip
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options("/tokenize", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 400
    decoy = client.post("/tokenize", json={"ssn5": "99999", **PERSON}).json()
    assert decoy["full"] != tokenize("12345", keys).full
    assert len(decoy["masked"]) == MASKED_TOKEN_COUNT


def test_the_tokenizer_refuses_bad_input_without_echoing_it() -> None:
    client = TestClient(create_app(NetworkKeys.generate(), [HUB]))
    for body in ({"ssn5": "1234x", **PERSON}, {"ssn5": "12345", **PERSON, "dob": "5/3/80"},
                 {"ssn5": "12345"}, [1, 2], "not json"):  # fmt: skip
        resp = client.post("/tokenize", content=body if isinstance(body, str) else None,
                           json=None if isinstance(body, str) else body)  # fmt: skip
        assert resp.status_code == 422, body
        assert "1234" not in resp.text


def test_tokens_from_the_tokenizer_find_the_record_with_ssn_agreed(
    console: TestClient, seeded: Seeded
) -> None:
    keys = NetworkKeys.generate()
    tokens = tokenize("12345", keys)
    ssn = {"full": tokens.full, "masked": list(tokens.masked)}
    ca = auth(seeded.keys["CA:records"])
    amara = {"first_name": "Amara", "last_name": "Oyelaran", "dob": "1990-01-02"}
    resp = console.put("/v1/pointers/records/S1", headers=ca, json=pointer("S1", **amara, ssn=ssn))
    assert resp.status_code == 201
    answer = TestClient(create_app(keys, [HUB])).post("/tokenize", json={
        "ssn5": "12345", **amara}).json()
    token = sign_in(console, seeded.keys["NY:clerk"])
    page = console.post("/console/search", data={
        "first_name": "Amara", "last_name": "Oyelaran", "dob": "1990-01-02",
        "purpose": "license_issuance", "ssn_full": answer["full"], "ssn_masked": answer["masked"],
        "csrf_token": token}).text
    assert re.search(r'class="badge agreed"[^>]*>SSN-5: <strong>agreed', page)
