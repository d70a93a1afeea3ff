"""The wallet: single use, device MAC, persistence, and verification that never calls home."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mdl_helpers import World

from lpx.mdl import StatusRegistry, VerificationError, Wallet, WalletError, verify
from lpx.mdl.transcript import web_session_transcript


def test_each_credential_is_used_once(world: World, transcript: bytes) -> None:
    wallet = world.wallet(2)
    wallet.present(["age_over_21"], transcript, at=world.now)
    wallet.present(["age_over_21"], transcript, at=world.now)
    assert all(c.spent for c in wallet.credentials)
    with pytest.raises(WalletError):
        wallet.present(["age_over_21"], transcript, at=world.now)


def test_unknown_element_is_refused_and_still_spends(world: World, transcript: bytes) -> None:
    wallet = world.wallet(1)
    with pytest.raises(WalletError):
        wallet.present(["favourite_colour"], transcript, at=world.now)
    assert wallet.unspent(world.now) == []


def test_wallet_file_round_trip(world: World, transcript: bytes, tmp_path: Path) -> None:
    wallet = world.wallet(2)
    wallet.present(["age_over_21"], transcript, at=world.now)
    path = tmp_path / "wallet.json"
    wallet.save(path)
    assert path.stat().st_mode & 0o077 == 0
    loaded = Wallet.load(path)
    assert len(loaded.unspent(world.now)) == 1
    data = loaded.present(["age_over_18"], transcript, at=world.now)
    assert verify(data, transcript, world.trust(), world.now).elements["org.iso.18013.5.1"] == {
        "age_over_18": True
    }


def test_device_mac_path(world: World, transcript: bytes) -> None:
    reader = ec.generate_private_key(ec.SECP256R1())
    data = world.wallet(1).present(
        ["age_over_21"], transcript, at=world.now, reader_key=reader.public_key()
    )
    result = verify(data, transcript, world.trust(), world.now, reader_key=reader)
    assert result.device_auth == "mac"
    for key in (None, ec.generate_private_key(ec.SECP256R1())):
        with pytest.raises(VerificationError) as caught:
            verify(data, transcript, world.trust(), world.now, reader_key=key)
        assert caught.value.check == "device_auth"
    other = web_session_transcript("https://evil.example", "x")
    with pytest.raises(VerificationError):
        verify(data, other, world.trust(), world.now, reader_key=reader)


def test_verify_makes_no_network_call(
    world: World, transcript: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = StatusRegistry(tmp_path / "reg.json", size=4096)
    data = world.wallet(1, registry=registry).present(["age_over_21"], transcript, at=world.now)
    status, trust = world.status(registry), world.trust()
    calls: list[str] = []

    def refuse(name: str) -> Any:
        def blocked(*args: object, **kwargs: object) -> None:
            calls.append(name)
            raise AssertionError(f"verify() tried the network ({name})")

        return blocked

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse(name))
    result = verify(data, transcript, trust, world.now, status)
    assert result.elements["org.iso.18013.5.1"] == {"age_over_21": True}
    assert calls == []
