"""A state withdraws from the hub: every live row naming its pointers is removed, for good.

The removal is one transaction (all or nothing) and ends with a receipt the state can keep:
the counts removed per table, signed with the hub's Ed25519 key (the same key provider as
the audit log's tree heads), so the state can later prove what the hub confirmed.
The signed message is ``b"lpx-withdrawal-v1" || canonical JSON of the receipt``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.audit.signing import KeyProvider, public_bytes
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.services.errors import InvalidRequest
from lpx.storage.uow import UnitOfWork

DOMAIN = b"lpx-withdrawal-v1"


@dataclass(frozen=True, slots=True)
class Receipt:
    body: dict[str, Any]  # jurisdiction, withdrawn_at, removed: {table: count}
    signature: bytes
    public_key: bytes

    def message(self) -> bytes:
        return message(self.body)


def message(body: dict[str, Any]) -> bytes:
    return DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def verify_receipt(body: dict[str, Any], signature: bytes, public_key: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message(body))
    except (InvalidSignature, ValueError):
        return False
    return True


class WithdrawalService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], audit: AuditLog,
                 keys: KeyProvider) -> None:  # fmt: skip
        self._uow = uow_factory
        self._audit = audit
        self._keys = keys

    def withdraw(self, actor: Actor, confirm: str) -> Receipt:
        """Remove all of the actor's state's pointers (and the cases, transfers and
        notifications naming them). ``confirm`` must repeat the state's code: this is final."""
        authorize(actor, Permission.WITHDRAW, actor.jurisdiction)
        if confirm != actor.jurisdiction:
            raise InvalidRequest(f"Confirm the withdrawal by sending confirm={actor.jurisdiction}"
                                 "; it removes every pointer of the state and cannot be undone.")
        with self._uow() as uow:
            removed = uow.withdrawals.remove_jurisdiction(actor.jurisdiction)
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_DELETE, refs=("withdrawal",),
                result_count=removed.get("pointers", 0)))  # fmt: skip
            uow.commit()
        body = {"jurisdiction": actor.jurisdiction, "user": actor.user_id,
                "withdrawn_at": datetime.now(UTC).isoformat(), "removed": removed}  # fmt: skip
        key = self._keys.private_key()
        return Receipt(body, key.sign(message(body)), public_bytes(key.public_key()))
