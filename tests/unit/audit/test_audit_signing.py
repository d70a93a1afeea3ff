"""Signed tree heads: a fixed message layout, Ed25519, and a key file kept private."""

from __future__ import annotations

import stat
import struct
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lpx.audit.merkle import EMPTY_ROOT
from lpx.audit.signing import (
    BadSignature,
    FileKeyProvider,
    TreeHead,
    TreeHeadSigner,
    key_id,
    verify_head,
)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "hub" / "audit.key"
    first = TreeHeadSigner(FileKeyProvider(path)).public_key()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert TreeHeadSigner(FileKeyProvider(path)).public_key() == first
    assert len(key_id(first)) == 16


def test_the_signed_message_is_the_documented_layout(tmp_path: Path) -> None:
    signer = TreeHeadSigner(FileKeyProvider(tmp_path / "k"))
    head = signer.sign(TreeHead(5, EMPTY_ROOT, 1_700_000_000_000_000))
    message = b"lpx-audit-sth-v1" + struct.pack(">QQ", 5, 1_700_000_000_000_000) + EMPTY_ROOT
    Ed25519PublicKey.from_public_bytes(signer.public_key()).verify(head.signature, message)
    verify_head(head, signer.public_key())


@pytest.mark.parametrize("change", [{"size": 6}, {"time_us": 1}, {"root_hash": b"\x01" * 32},
                                    {"signature": b"\x00" * 64}])  # fmt: skip
def test_any_change_to_a_head_breaks_its_signature(tmp_path: Path,
                                                   change: dict[str, object]) -> None:  # fmt: skip
    signer = TreeHeadSigner(FileKeyProvider(tmp_path / "k"))
    head = signer.sign(TreeHead(5, EMPTY_ROOT, 1_700_000_000_000_000))
    with pytest.raises(BadSignature):
        verify_head(replace(head, **change), signer.public_key())  # type: ignore[arg-type]


def test_another_key_does_not_verify(tmp_path: Path) -> None:
    head = TreeHeadSigner(FileKeyProvider(tmp_path / "a")).sign(TreeHead(0, EMPTY_ROOT, 0))
    with pytest.raises(BadSignature):
        verify_head(head, TreeHeadSigner(FileKeyProvider(tmp_path / "b")).public_key())
