"""Sealing one identity document under a state's data key (AES-256-GCM).

The stored form is text, ``lpx1:<key version>:<base64(nonce || ciphertext || tag)>``, so the
``pointers.identity`` column (and the bulk COPY path that writes it) keeps its type. The
associated data binds the ciphertext to its row: jurisdiction, pointer id and key version.
A ciphertext copied into another row, another state's row or relabelled with another key
version fails authentication instead of decrypting.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "lpx1:"
NONCE_BYTES = 12
KEY_BYTES = 32


class TamperedCiphertext(Exception):
    """A sealed document failed authentication: moved between rows, or altered."""


@dataclass(frozen=True, slots=True)
class DataKey:
    """One version of a state's data key, unwrapped (lives only in the hub's memory)."""

    jurisdiction: str
    version: int
    secret: bytes = field(repr=False)
    aead: AESGCM = field(repr=False, compare=False)

    @classmethod
    def of(cls, jurisdiction: str, version: int, secret: bytes) -> DataKey:
        return cls(jurisdiction, version, secret, AESGCM(secret))


def associated_data(jurisdiction: str, pointer_id: str, version: int) -> bytes:
    return f"lpx:identity:v1|{jurisdiction}|{pointer_id}|{version}".encode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def key_version(stored: str) -> int | None:
    """The data key version a stored document is sealed under (None: legacy plaintext)."""
    if not is_sealed(stored):
        return None
    return int(stored[len(PREFIX) : stored.index(":", len(PREFIX))])


def seal(key: DataKey, pointer_id: str, plaintext: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    aad = associated_data(key.jurisdiction, pointer_id, key.version)
    body = nonce + key.aead.encrypt(nonce, plaintext.encode(), aad)
    return f"{PREFIX}{key.version}:{base64.b64encode(body).decode('ascii')}"


def open_sealed(key: DataKey, pointer_id: str, stored: str) -> str:
    """Decrypt ``stored`` (sealed under ``key``) for the row ``pointer_id`` of key's state."""
    body = base64.b64decode(stored[stored.index(":", len(PREFIX)) + 1 :])
    aad = associated_data(key.jurisdiction, pointer_id, key.version)
    try:
        return key.aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], aad).decode()
    except InvalidTag:
        raise TamperedCiphertext(
            f"the identity of pointer {pointer_id} does not authenticate under "
            f"{key.jurisdiction}'s key version {key.version}"
        ) from None
