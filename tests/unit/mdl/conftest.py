"""Fixtures for the mDL tests: two states' PKI, a hub key, a wallet with a batch.

PKI is made once per session (key generation is the slow part); wallets are per test because
presenting spends credentials.
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mdl_helpers import NONCE, ORIGIN, World

from lpx.mdl import make_state_pki, web_session_transcript


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("pki")
    return World(
        make_state_pki("CA", root / "ca"),
        make_state_pki("NY", root / "ny"),
        root / "ca",
        ec.generate_private_key(ec.SECP256R1()),
        dt.datetime.now(dt.UTC).replace(microsecond=0),
    )


@pytest.fixture
def transcript() -> bytes:
    return web_session_transcript(ORIGIN, NONCE)


@pytest.fixture
def response(world: World, transcript: bytes) -> bytes:
    return world.wallet(1).present(["age_over_21"], transcript, at=world.now)
