"""The key-encryption-key (KEK) interface a local file, a KMS or an HSM can satisfy.

The hub never stores a data key in the clear: it asks the provider to ``wrap`` it under the
state's KEK and keeps only the result. Destroying the KEK (``destroy``) makes every data key
wrapped under it, and so every row sealed under those, unreadable for good, backups included.
Providers see key bytes only, never personal data.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from lpx.services.errors import ServiceError


class KeyDestroyed(ServiceError):
    """The state's key was destroyed (crypto-shredding): its rows can never be read again."""

    status = 410
    title = "Key destroyed"

    def __init__(self, jurisdiction: str) -> None:
        self.jurisdiction = jurisdiction
        super().__init__(
            f"{jurisdiction}'s data key was destroyed: its pointers can no longer be read. "
            f"{jurisdiction} must upload again to take part."
        )


class KeyUnavailable(Exception):
    """The provider cannot be reached or refuses (permissions, a KEK file others can read)."""


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps and unwraps data keys under one KEK per jurisdiction.

    ``context`` is bound to the wrapped key (AES-GCM associated data, or a KMS encryption
    context), so a wrapped key copied to another state's or version's row fails to unwrap.
    """

    name: str

    def wrap(self, jurisdiction: str, key: bytes, context: bytes) -> bytes:
        """Encrypt ``key`` under the jurisdiction's KEK, creating the KEK on first use."""
        ...

    def unwrap(self, jurisdiction: str, wrapped: bytes, context: bytes) -> bytes:
        """Decrypt a wrapped key; raise :class:`KeyDestroyed` if the KEK is gone."""
        ...

    def destroy(self, jurisdiction: str) -> None:
        """Destroy the jurisdiction's KEK; idempotent."""
        ...
