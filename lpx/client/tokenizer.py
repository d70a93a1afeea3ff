"""The state's SSN-5 tokenizer for the hub's web console: the browser asks it, never the hub.

A clerk's browser sends the SSN-5 digits (with the applicant's name and birth date, which a
decoy for "no SSN" needs) here, on the state's own network, and gets back the keyed tokens
the hub accepts; the console's script then sends the tokens, never the digits, to the hub.
It holds the network keys, so it runs on the state's side only, reachable from the state's
counters and nowhere else (it would tokenize any value for anyone who can reach it). CORS
admits the hub console's origin only, so other web pages cannot use it from a browser.

Run: ``LPX_NETWORK_KEYS=keys.json LPX_TOKENIZER_ORIGINS=https://hub.example
uvicorn lpx.client.tokenizer:create_app --factory --host 127.0.0.1 --port 8100``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lpx.client.keys import NetworkKeys, from_env
from lpx.client.ssn import ssn_tokens_for, validate_ssn5

ORIGINS_VARIABLE = "LPX_TOKENIZER_ORIGINS"
MAX_BODY = 2048
NO_STORE = {"Cache-Control": "no-store"}


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=422, headers=NO_STORE)


def tokens_for(body: Any, keys: NetworkKeys) -> dict[str, Any]:
    """Tokens for one inquiry; ValueError names the field (never echoing the digits)."""
    if not isinstance(body, dict):
        raise ValueError("send a JSON object")
    ssn5, first, last, dob = (body.get(k) for k in ("ssn5", "first_name", "last_name", "dob"))
    if not all(isinstance(v, str) for v in (ssn5, first, last, dob)):
        raise ValueError("ssn5, first_name, last_name and dob are required strings")
    assert isinstance(ssn5, str)  # for mypy: checked just above
    assert isinstance(dob, str)
    value = validate_ssn5(ssn5)
    try:
        born = date.fromisoformat(dob)
    except ValueError:
        raise ValueError("dob must be a date like 1980-03-05") from None
    tokens = ssn_tokens_for(value, str(first), str(last), born, keys)
    return {"full": tokens.full, "masked": list(tokens.masked)}


def create_app(keys: NetworkKeys | None = None,
               origins: Sequence[str] | None = None) -> Starlette:  # fmt: skip
    """The tokenizer; by default keys from LPX_NETWORK_KEYS, origins from
    LPX_TOKENIZER_ORIGINS (comma-separated, e.g. the hub's https://hub.example)."""
    network_keys = keys or from_env()
    allowed = list(origins if origins is not None else
                   [o.strip() for o in os.environ.get(ORIGINS_VARIABLE, "").split(",")
                    if o.strip()])  # fmt: skip

    async def tokenize(request: Request) -> JSONResponse:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _refuse("the request is too large")
        try:
            result = tokens_for(json.loads(raw or b"null"), network_keys)
        except ValueError as exc:
            return _refuse(str(exc))
        return JSONResponse(result, headers=NO_STORE)

    return Starlette(
        routes=[Route("/tokenize", tokenize, methods=["POST"])],
        middleware=[Middleware(CORSMiddleware, allow_origins=allowed, allow_methods=["POST"],
                               allow_headers=["content-type"])],
    )
