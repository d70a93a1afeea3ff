"""Writing and reading a state's own pointers."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.blocking import KeyHasher, pointer_keys
from lpx.domain.errors import ValidationFailed
from lpx.domain.policy import UploadPolicy
from lpx.domain.profile import MatchProfile
from lpx.domain.records import PointerRecord
from lpx.keys.envelope import DataKey
from lpx.services.cases import CaseOpener
from lpx.services.codec import IdentityCodec, content_hash
from lpx.services.credentials_status import CredentialStatusService
from lpx.services.errors import BatchRejected, Conflict, ItemError, NotFound
from lpx.services.matching import Probe
from lpx.storage.policy_tables import PolicyRepository
from lpx.storage.repositories import NewPointer, PointerRow, RecordIdTaken
from lpx.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class BatchResult:
    added: int
    updated: int
    unchanged: int
    pointer_ids: tuple[str, ...]
    # Duplicate cases this batch opened, per counterpart state (see lpx/services/cases.py).
    cases_opened: dict[str, int] = field(default_factory=dict)
    replayed: bool = False  # an upload batch committed before: acknowledged, not rewritten


class BatchProgress(Protocol):
    """Records an upload's batch inside the batch's own transaction (lpx/services/uploads.py),
    so the upload's last committed batch is exactly the last one whose pointers committed."""

    def begin(self, uow: UnitOfWork) -> None:
        """First in the batch's transaction: mark it in flight, so that a later batch of the
        upload that reaches its claim first waits for it."""
        ...

    def claim(self, uow: UnitOfWork) -> bool:
        """Lock the upload (once the batch before has ended); False when this batch was
        committed before (a replay)."""
        ...

    def record(self, uow: UnitOfWork, result: BatchResult) -> None: ...


class PointerService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], index_key: bytes,
                 audit: AuditLog, batch_limit: int = 1000, *,
                 codec: IdentityCodec | None = None,
                 cases: CaseOpener | None = None) -> None:  # fmt: skip
        self._uow = uow_factory
        self.cases = cases  # opens duplicate cases after each write (lpx/services/cases.py)
        # Without a codec identities are stored in the clear (the benchmark's peer only).
        self._codec = codec or IdentityCodec(None)
        self._hash_keys = KeyHasher(index_key)
        self._audit = audit
        self.batch_limit = batch_limit

    def upsert_batch(self, actor: Actor, records: Sequence[PointerRecord],
                     progress: BatchProgress | None = None) -> BatchResult:  # fmt: skip
        """Add or update the actor's own pointers, all or nothing, idempotent on record_id.

        Batches may arrive concurrently (a loader keeps two in flight): a batch writes its
        pointers and scores their candidates first, and only then claims its place in the
        upload (``progress``) and opens cases, both of which wait for the batch before it
        to commit. So one batch's validation, sealing, writes and candidate scoring overlap
        the case opening of the one before, and upload order still holds. Two writes racing
        on one record id meet at its unique key: the loser waits for the winner's commit,
        then runs again and updates."""
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        self._check(actor, records)
        try:
            return self._write(actor, records, progress)
        except RecordIdTaken:
            pass  # the other write has committed: run again, now seeing its rows (updates)
        try:
            return self._write(actor, records, progress)
        except RecordIdTaken as exc:  # a third write raced this one too
            raise Conflict("Another write of the same record ids is still running; send "
                           "this batch again once it has finished.") from exc

    def _write(self, actor: Actor, records: Sequence[PointerRecord],
               progress: BatchProgress | None) -> BatchResult:  # fmt: skip
        key = self._codec.current_key(actor.jurisdiction)  # before the unit of work: see ring
        with self._uow() as uow:
            if progress is not None:
                progress.begin(uow)
            self._check_policy(records, PolicyRepository(uow.conn).get(actor.jurisdiction))
            existing = uow.pointers.by_records(actor.jurisdiction,
                                               [r.record_id for r in records])  # fmt: skip
            added: list[NewPointer] = []
            updated = unchanged = 0
            ids: list[str] = []
            changed: list[str] = []
            written: list[tuple[NewPointer, MatchProfile, int | None]] = []
            for record in records:
                old = existing.get(record.record_id)
                fingerprint = content_hash(record, key)
                # A row under an older key version is re-sealed even if unchanged (rotation).
                if old is not None and old.content_hash == fingerprint \
                        and not self._codec.stale(old.identity, key):
                    unchanged += 1
                    ids.append(old.pointer_id)
                    continue
                new, profile = self._new_pointer(record, fingerprint, old, key)
                ids.append(new.pointer_id)
                changed.append(new.pointer_id)
                if old is None:
                    added.append(new)
                else:
                    uow.pointers.replace(old, new)
                    CredentialStatusService.on_pointer_changed(uow.conn, new.pointer_id, new.status)
                    updated += 1
                written.append((new, profile, old.pk if old else None))
            pks = uow.pointers.add_many(added)
            probes = [Probe(new.pointer_id, pks[new.pointer_id] if pk is None else pk,
                            new.jurisdiction, new.record_id, new.real_id, new.status,
                            new.identity, profile)
                      for new, profile, pk in written]  # fmt: skip
            # Candidates are looked up and scored before the claim and the case-opening lock,
            # both of which wait for earlier writers: this is the work that overlaps theirs.
            found = self.cases.find(uow, probes, self._codec) if self.cases else None
            # A batch of an upload committed before: acknowledged, rolled back, not rewritten.
            if progress is not None and not progress.claim(uow):
                return BatchResult(0, 0, 0, (), replayed=True)
            # Same transaction: the pointers and the cases they raise commit together.
            opened = (self.cases.open(uow, actor, found, self._codec)
                      if self.cases and found is not None else {})  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_WRITE, pointer_ids=tuple(changed),
                result_count=len(changed)))  # fmt: skip
            result = BatchResult(len(added), updated, unchanged, tuple(ids), opened)
            if progress is not None:
                progress.record(uow, result)
            uow.commit()
        return result

    def delete(self, actor: Actor, record_id: str) -> None:
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        with self._uow() as uow:
            row = uow.pointers.by_records(actor.jurisdiction, [record_id]).get(record_id)
            if row is None:
                raise NotFound(f"{actor.jurisdiction} has no pointer with record id {record_id}.")
            uow.pointers.remove(row)
            CredentialStatusService.on_pointer_changed(uow.conn, row.pointer_id, None)
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_DELETE, pointer_ids=(row.pointer_id,), result_count=1))
            uow.commit()

    def get_own(self, actor: Actor, record_id: str) -> PointerRow:
        authorize(actor, Permission.POINTER_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            row = uow.pointers.by_records(actor.jurisdiction, [record_id]).get(record_id)
            if row is None:
                raise NotFound(f"{actor.jurisdiction} has no pointer with record id {record_id}.")
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_READ, pointer_ids=(row.pointer_id,), result_count=1))
            uow.commit()
        return self._opened(row)

    def list_own(self, actor: Actor, after: str, limit: int) -> list[PointerRow]:
        """A page of the actor's own pointers in record-id order; no one lists another state."""
        authorize(actor, Permission.POINTER_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            rows = uow.pointers.page(actor.jurisdiction, after, limit)
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_READ, pointer_ids=tuple(r.pointer_id for r in rows),
                result_count=len(rows)))  # fmt: skip
            uow.commit()
        return [self._opened(r) for r in rows]

    @property
    def codec(self) -> IdentityCodec:
        return self._codec

    def _opened(self, row: PointerRow) -> PointerRow:
        """The row with its identity decrypted (KeyDestroyed if its state was shredded)."""
        identity = self._codec.open(row.identity, row.jurisdiction, row.pointer_id)
        return dataclasses.replace(row, identity=identity)

    @staticmethod
    def _check_policy(records: Sequence[PointerRecord], policy: UploadPolicy) -> None:
        """The hub's half of the upload policy: refuse what the state declared it keeps."""
        errors = [ItemError(i, e.field, e.message)
                  for i, record in enumerate(records) for e in policy.violations(record)]
        if errors:
            raise BatchRejected(errors)

    def _check(self, actor: Actor, records: Sequence[PointerRecord]) -> None:
        errors: list[ItemError] = []
        if not records:
            errors.append(ItemError(0, "pointers", "must hold at least one pointer"))
        if len(records) > self.batch_limit:
            errors.append(ItemError(0, "pointers", f"must hold at most {self.batch_limit}"))
        seen: dict[str, int] = {}
        for i, record in enumerate(records):
            if record.jurisdiction != actor.jurisdiction:
                errors.append(ItemError(i, "jurisdiction",
                                        f"must be your own ({actor.jurisdiction})"))  # fmt: skip
            try:
                record.validate()
            except ValidationFailed as exc:
                errors.extend(ItemError(i, e.field, e.message) for e in exc.errors)
            if record.record_id in seen:
                errors.append(ItemError(i, "record_id",
                                        f"repeats item {seen[record.record_id]}"))  # fmt: skip
            seen.setdefault(record.record_id, i)
        if errors:
            raise BatchRejected(errors)

    def _new_pointer(self, record: PointerRecord, fingerprint: str,
                     old: PointerRow | None,
                     key: DataKey | None) -> tuple[NewPointer, MatchProfile]:  # fmt: skip
        """The row to store, and its match profile (case opening scores it as it is)."""
        profile = MatchProfile.of(record.identity)
        card = record.card
        pointer_id = old.pointer_id if old else str(uuid.uuid4())
        return NewPointer(
            pointer_id=pointer_id,
            jurisdiction=record.jurisdiction,
            record_id=record.record_id,
            card_type=card.card_type.value,
            real_id=card.real_id,
            status=card.status.value,
            issue_date=card.issue_date,
            expiry_date=card.expiry_date,
            identity=self._codec.seal(record.identity, profile, record.jurisdiction,
                                      pointer_id, key),
            content_hash=fingerprint,
            block_keys=self._hash_keys(pointer_keys(profile)),
        ), profile

