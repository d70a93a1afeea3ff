"""The hub operator's key use cases: rotate, re-encrypt and destroy (crypto-shred) a state's key.

These run from ``lpx keyadmin`` on the hub host, outside the HTTP API: a state withdraws (or
asks for its data to be destroyed) by agreement, and the operator carries it out. Each action
is written to the audit log under the state's code, so the state sees it in its own feed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, or_, select, update

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.domain.records import Card, CardType, PointerRecord, Status
from lpx.keys.ring import DataKeyRing
from lpx.services.codec import (
    KEYED_FINGERPRINT,
    IdentityCodec,
    content_hash,
    keyed_pair_fingerprint,
)
from lpx.storage import tables as t
from lpx.storage import workflow_tables as w
from lpx.storage.key_tables import DataKeyRow


@dataclass(frozen=True, slots=True)
class DestroyResult:
    versions: int  # live data key versions destroyed
    pointers: int  # rows now unreadable
    blocks_removed: int  # blocking-index entries dropped with them


def operator(jurisdiction: str, user: str) -> Actor:
    """The actor an operator's key action is recorded under (in the state's own feed)."""
    return Actor(jurisdiction, f"operator:{user}"[:100], frozenset({Role.HUB_OPERATOR}), 0)


class KeyAdminService:
    def __init__(self, engine: Engine, ring: DataKeyRing, audit: AuditLog) -> None:
        self._engine = engine
        self.ring = ring
        self._codec = IdentityCodec(ring)
        self._audit = audit

    def versions(self, jurisdiction: str) -> list[DataKeyRow]:
        return self.ring.versions(jurisdiction)

    def rotate(self, jurisdiction: str, user: str) -> int:
        """A new data key version for new writes; run :meth:`reencrypt` to move old rows."""
        version = self.ring.rotate(jurisdiction)
        self._record(jurisdiction, user, f"rotate-v{version}")
        return version

    def destroy(self, jurisdiction: str, user: str) -> DestroyResult:
        """Crypto-shred the state: KEK destroyed, data keys dropped, blocking entries removed.

        The rows stay (status columns only are readable) but their identities can never be
        decrypted again, here or in any backup. Blocking entries go too: they are keyed
        hashes of names and birth dates that would otherwise still answer a guess.
        """
        versions = self.ring.destroy(jurisdiction)
        pks = select(t.pointers.c.pk).where(t.pointers.c.jurisdiction == jurisdiction)
        with self._engine.begin() as conn:
            pointers = len(conn.execute(pks).all())
            blocks = conn.execute(
                delete(t.pointer_blocks).where(t.pointer_blocks.c.pointer_pk.in_(pks))
            ).rowcount
        self._record(jurisdiction, user, "destroy", pointers)
        self._rekey_case_fingerprints(jurisdiction, user)
        return DestroyResult(versions, pointers, int(blocks))

    def reencrypt(self, jurisdiction: str, user: str, batch: int = 500) -> int:
        """Re-seal every row not under the current key (older versions, legacy plaintext)."""
        key = self.ring.current(jurisdiction)
        p = t.pointers
        done, after = 0, 0
        while True:
            with self._engine.begin() as conn:
                rows = conn.execute(
                    select(p.c.pk, p.c.pointer_id, p.c.record_id, p.c.card_type, p.c.real_id,
                           p.c.status, p.c.issue_date, p.c.expiry_date, p.c.identity)
                    .where(p.c.jurisdiction == jurisdiction, p.c.pk > after)
                    .order_by(p.c.pk).limit(batch)
                ).all()  # fmt: skip
                for r in rows:
                    if not self._codec.stale(r.identity, key):
                        continue
                    identity, profile = self._codec.identity(r.identity, jurisdiction,
                                                             r.pointer_id)  # fmt: skip
                    record = PointerRecord(jurisdiction, r.record_id, identity, Card(
                        CardType(r.card_type), r.real_id, Status(r.status),
                        r.issue_date, r.expiry_date))  # fmt: skip
                    conn.execute(update(p).where(p.c.pk == r.pk).values(
                        identity=self._codec.seal(identity, profile, jurisdiction,
                                                  r.pointer_id, key),
                        content_hash=content_hash(record, key)))  # fmt: skip
                    done += 1
            if len(rows) < batch:
                break
            after = rows[-1].pk
        self._record(jurisdiction, user, f"reencrypt-v{key.version}", done)
        self._rekey_case_fingerprints(jurisdiction, user)
        return done

    def _rekey_case_fingerprints(self, jurisdiction: str, user: str) -> None:
        """Key the state's case fingerprints still in the unkeyed form of before revision
        0010 (a migration holds no keys). The keyed form is computed from the unkeyed value
        alone; where a state has no live key (shredded), its sealed pointers can never be
        matched again, so the value becomes random, as if keyed under the destroyed key."""
        c = w.cases.c
        keys: dict[str, bytes | None] = {}
        with self._engine.begin() as conn:
            rows = conn.execute(select(c.case_id, c.identity_fp, c.jurisdiction_a,
                                       c.jurisdiction_b).where(
                or_(c.jurisdiction_a == jurisdiction, c.jurisdiction_b == jurisdiction),
                c.identity_fp.not_like(f"{KEYED_FINGERPRINT}%"))).all()  # fmt: skip
            for r in rows:
                states = (r.jurisdiction_a, r.jurisdiction_b)
                for state in states:
                    if state not in keys:
                        keys[state] = self._codec.fingerprint_key(state)
                live = {s: k for s, k in keys.items() if k is not None}
                fp = keyed_pair_fingerprint(r.identity_fp, live, states) \
                    if all(s in live for s in states) \
                    else KEYED_FINGERPRINT + secrets.token_hex(32)  # fmt: skip
                conn.execute(update(w.cases).where(c.case_id == r.case_id)
                             .values(identity_fp=fp))  # fmt: skip
        if rows:
            self._record(jurisdiction, user, "rekey-case-fingerprints", len(rows))

    def _record(self, jurisdiction: str, user: str, what: str, count: int = 0) -> None:
        with self._engine.begin() as conn:
            self._audit.append(conn, AuditEvent.by(
                operator(jurisdiction, user), Action.KEY_EVENT, refs=(what,),
                result_count=count))  # fmt: skip
