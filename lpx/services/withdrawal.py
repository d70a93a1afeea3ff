"""A state withdraws from the hub: its keys are shredded and every live row naming its
pointers is removed, for good.

First the state's data keys are destroyed (its KEK, then every wrapped data key version:
``DataKeyRing.destroy``), so any backup or dump holding its rows is unreadable from that
moment, even if the rest fails; then the removal runs as one transaction (all or nothing).
A retry after a failure finds the keys gone and removes what is left. The states that shared
an active case or an unconfirmed transfer with it are notified (``case.withdrawn``,
``transfer.withdrawn``), since those items leave their queues too.

It ends with a receipt the state can keep: the counts removed per table and the data keys
destroyed (count and key ids), signed with the hub's Ed25519 key (the same key provider as
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

from lpx.audit.entries import MAX_IDS, Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.audit.signing import KeyProvider, public_bytes
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.cases import ACTIVE
from lpx.domain.transfers import TransferStatus
from lpx.keys.ring import DataKeyRing
from lpx.services.errors import InvalidRequest
from lpx.services.notifications import notify_many
from lpx.storage.uow import UnitOfWork

DOMAIN = b"lpx-withdrawal-v1"
# What the other state still waits on: these leave its queue with a notification.
OPEN_CASES = sorted(s.value for s in ACTIVE)
UNSETTLED_TRANSFERS = sorted(s.value for s in TransferStatus if s is not TransferStatus.CONFIRMED)


@dataclass(frozen=True, slots=True)
class Receipt:
    # jurisdiction, user, withdrawn_at, removed: {table: count}, keys_destroyed,
    # destroyed_key_ids
    body: dict[str, Any]
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
                 keys: KeyProvider, data_keys: DataKeyRing | None) -> None:  # fmt: skip
        self._uow = uow_factory
        self._audit = audit
        self._keys = keys
        self._data_keys = data_keys  # None only for a plaintext hub (benchmark peer)

    def withdraw(self, actor: Actor, confirm: str) -> Receipt:
        """Shred the actor's state's keys, then remove all its pointers (and the cases,
        transfers and notifications naming them). ``confirm`` must repeat the state's code:
        this is final."""
        authorize(actor, Permission.WITHDRAW, actor.jurisdiction)
        if confirm != actor.jurisdiction:
            raise InvalidRequest(f"Confirm the withdrawal by sending confirm={actor.jurisdiction}"
                                 "; it removes every pointer of the state and cannot be undone.")
        key_ids = self._shred(actor.jurisdiction)
        with self._uow() as uow:
            told = uow.withdrawals.counterparts(actor.jurisdiction, OPEN_CASES,
                                                UNSETTLED_TRANSFERS)  # fmt: skip
            removed = uow.withdrawals.remove_jurisdiction(actor.jurisdiction)
            for other, items in _notices(actor.jurisdiction, told).items():
                notify_many(uow, other, items)
            others = frozenset(other for other, _, _ in told)
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.KEY_EVENT, refs=("withdrawal-destroy", *key_ids[:MAX_IDS - 1]),
                result_count=len(key_ids)))  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_DELETE, refs=("withdrawal",), jurisdictions=others,
                result_count=removed.get("pointers", 0)))  # fmt: skip
            uow.commit()
        body = {"jurisdiction": actor.jurisdiction, "user": actor.user_id,
                "withdrawn_at": datetime.now(UTC).isoformat(), "removed": removed,
                "keys_destroyed": len(key_ids), "destroyed_key_ids": key_ids}  # fmt: skip
        key = self._keys.private_key()
        return Receipt(body, key.sign(message(body)), public_bytes(key.public_key()))

    def _shred(self, jurisdiction: str) -> list[str]:
        """Destroy the state's KEK and data keys; the ids of every version now destroyed
        (those shredded earlier, by an operator or an interrupted withdrawal, included)."""
        if self._data_keys is None:
            return []
        self._data_keys.destroy(jurisdiction)
        return [v.key_id for v in self._data_keys.versions(jurisdiction)
                if v.wrapped_key is None]  # fmt: skip


def _notices(jurisdiction: str, told: list[tuple[str, str, str]]
             ) -> dict[str, list[tuple[str, str, dict[str, Any]]]]:  # fmt: skip
    """Per other state, the notifications saying which shared items left its queue."""
    out: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for other, kind, ref in told:
        detail = {f"{kind}_id": ref, "reason": "withdrawal", "withdrawn": jurisdiction}
        out.setdefault(other, []).append((f"{kind}.withdrawn", ref, detail))
    return out
