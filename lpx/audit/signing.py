"""Signed tree heads: the hub's Ed25519 commitment to (size, root hash, time).

The signed message is a fixed binary layout, so any verifier can rebuild it without this
code: ``b"lpx-audit-sth-v1"``, size as 8 bytes big-endian, time in microseconds since the
Unix epoch as 8 bytes big-endian, then the 32-byte root hash.
The key comes from a pluggable provider; the default keeps it in a file under the hub's
data directory, created mode 0600 on first use (an HSM-backed provider can replace it).
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN = b"lpx-audit-sth-v1"


class BadSignature(ValueError):
    """The tree head's signature does not verify under the given public key."""


@dataclass(frozen=True, slots=True)
class TreeHead:
    size: int
    root_hash: bytes
    time_us: int
    signature: bytes = b""

    def message(self) -> bytes:
        return DOMAIN + struct.pack(">QQ", self.size, self.time_us) + self.root_hash


class KeyProvider(Protocol):
    def private_key(self) -> Ed25519PrivateKey: ...


class FileKeyProvider:
    """A raw 32-byte Ed25519 seed, hex in a file; created (mode 0600) when first needed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def private_key(self) -> Ed25519PrivateKey:
        if self._key is None:
            if not self.path.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                seed = Ed25519PrivateKey.generate().private_bytes_raw()
                try:
                    fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                except FileExistsError:
                    pass  # another process created it first; use theirs
                else:
                    with os.fdopen(fd, "w") as fh:
                        fh.write(seed.hex())
            seed = bytes.fromhex(self.path.read_text().strip())
            self._key = Ed25519PrivateKey.from_private_bytes(seed)
        return self._key


def public_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short, stable name for a public key (first 16 hex digits of its SHA-256)."""
    return hashlib.sha256(public).hexdigest()[:16]


class TreeHeadSigner:
    def __init__(self, provider: KeyProvider) -> None:
        self._provider = provider

    def public_key(self) -> bytes:
        return public_bytes(self._provider.private_key().public_key())

    def sign(self, head: TreeHead) -> TreeHead:
        signature = self._provider.private_key().sign(head.message())
        return TreeHead(head.size, head.root_hash, head.time_us, signature)


def verify_head(head: TreeHead, public: bytes) -> None:
    """Raise BadSignature unless ``public`` signed exactly this head."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(head.signature, head.message())
    except (InvalidSignature, ValueError):
        raise BadSignature("the tree head's signature does not verify") from None
