"""Change of state of record: the new SOR takes over a pointer; the old SOR confirms.

The move happens at once and in one transaction with a row lock on the pointer (PostgreSQL
``SELECT ... FOR UPDATE``): the person never has zero or two active pointers, and parallel
requests for the same pointer yield one move; the others see it and get the same transfer
back (idempotent). The moved pointer keeps its id and identity, its version goes up, and
the old SOR is notified; its answer (confirm cancellation, or dispute) is a state machine in
lpx/domain/transfers.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.records import RECORD_ID_RE
from lpx.domain.transfers import (
    DEFAULT_CONFIRM_WITHIN,
    TransferRefused,
    TransferStatus,
    TransferView,
    check_request,
    check_transition,
    is_overdue,
)
from lpx.services.cases import CaseOpener
from lpx.services.codec import IdentityCodec
from lpx.services.credentials_status import CredentialStatusService
from lpx.services.errors import Conflict, InvalidRequest, NotFound
from lpx.services.matching import Probe
from lpx.services.notifications import notify
from lpx.storage.uow import UnitOfWork
from lpx.storage.workflow_repositories import CardUpdate, TransferRow

MAX_LIST = 500
CURSOR_VERSION = "t1"
_TRANSFER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class TransferRequest:
    pointer_id: str
    record_id: str  # the new state's record id for the card it issued
    card: CardUpdate


@dataclass(frozen=True, slots=True)
class Transfer:
    row: TransferRow
    overdue: bool
    created: bool  # False when an earlier identical request already made this move


@dataclass(frozen=True, slots=True)
class TransferPage:
    items: list[Transfer]
    next_cursor: str | None  # None: this page is the end of the list


def encode_cursor(row: TransferRow) -> str:
    """The list position just after ``row``, in the style of the case queue's cursor:
    opaque, URL-safe, holding only what the client has seen (request time, transfer id)."""
    at = row.requested_at if row.requested_at.tzinfo else row.requested_at.replace(tzinfo=UTC)
    raw = f"{CURSOR_VERSION}|{at.astimezone(UTC).isoformat()}|{row.transfer_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """(requested_at, transfer_id) a cursor names; any cursor this hub did not hand out is
    a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, requested, transfer_id = raw.split("|")
        at = datetime.fromisoformat(requested)
        if version != CURSOR_VERSION or at.tzinfo is None \
                or not _TRANSFER_ID.fullmatch(transfer_id):  # fmt: skip
            raise ValueError(cursor)
        return at.astimezone(UTC), transfer_id
    except (ValueError, OverflowError):
        raise InvalidRequest("cursor is not one this hub handed out; start again without "
                             "it and follow next_cursor.") from None


class TransferService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], audit: AuditLog,
                 codec: IdentityCodec, cases: CaseOpener | None = None,
                 confirm_within: timedelta = DEFAULT_CONFIRM_WITHIN) -> None:  # fmt: skip
        self._uow = uow_factory
        self._audit = audit
        self._codec = codec
        self._cases = cases
        self.confirm_within = confirm_within

    def request(self, actor: Actor, req: TransferRequest) -> Transfer:
        """Move ``req.pointer_id`` to the actor's state (see the module docstring)."""
        authorize(actor, Permission.TRANSFER, actor.jurisdiction)
        if not RECORD_ID_RE.match(req.record_id):
            raise InvalidRequest("record_id must be 1-32 letters, digits or hyphens.")
        key = self._codec.current_key(actor.jurisdiction)  # before the unit of work
        now = datetime.now(UTC)
        with self._uow() as uow:
            row = uow.transfers.lock_pointer(req.pointer_id)
            if row is None:
                raise NotFound(f"No pointer has the id {req.pointer_id}.")
            earlier = uow.transfers.latest_for_pointer(req.pointer_id)
            if row.jurisdiction == actor.jurisdiction and earlier \
                    and earlier.to_jurisdiction == actor.jurisdiction \
                    and earlier.to_record_id == req.record_id:  # fmt: skip
                return Transfer(earlier, self._overdue(earlier, now), created=False)
            unsettled = earlier is not None and earlier.status != TransferStatus.CONFIRMED.value
            try:
                check_request(row.jurisdiction, actor.jurisdiction, row.status, unsettled)
            except TransferRefused as exc:
                raise Conflict(str(exc)) from None
            if uow.transfers.record_taken(actor.jurisdiction, req.record_id):
                raise Conflict(f"{actor.jurisdiction} already has a pointer with record id "
                               f"{req.record_id}; a transfer must not leave two.")  # fmt: skip
            identity, profile = self._codec.identity(row.identity, row.jurisdiction,
                                                     row.pointer_id)  # fmt: skip
            sealed = self._codec.seal(identity, profile, actor.jurisdiction, row.pointer_id, key)
            fingerprint = hashlib.sha256(f"transfer|{sealed}|{req.card}".encode()).hexdigest()
            uow.transfers.move_pointer(row, actor.jurisdiction, req.record_id, req.card,
                                       fingerprint, sealed)  # fmt: skip
            t = TransferRow(str(uuid.uuid4()), row.pointer_id, row.jurisdiction, row.record_id,
                            actor.jurisdiction, req.record_id, TransferStatus.PENDING.value,
                            actor.user_id, now, None, None)  # fmt: skip
            uow.transfers.add(t)
            # The old state's mobile licences for this pointer turn invalid (status list).
            CredentialStatusService.on_pointer_changed(uow.conn, row.pointer_id, req.card.status,
                                                       transferred=True)  # fmt: skip
            notify(uow, row.jurisdiction, "transfer.requested", t.transfer_id,
                   {"transfer_id": t.transfer_id, "pointer_id": row.pointer_id,
                    "record_id": row.record_id, "to_jurisdiction": actor.jurisdiction})
            if self._cases is not None:  # a second active REAL ID card raises a case here too
                c = req.card
                self._cases.after_write(uow, actor, [Probe(
                    row.pointer_id, row.pk, actor.jurisdiction, req.record_id, c.real_id,
                    c.status, sealed)], self._codec)  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.TRANSFER, pointer_ids=(row.pointer_id,), refs=(t.transfer_id,),
                jurisdictions=frozenset({row.jurisdiction}), result_count=1))  # fmt: skip
            uow.commit()
        return Transfer(t, False, created=True)

    def answer(self, actor: Actor, transfer_id: str, target: TransferStatus) -> Transfer:
        """The old SOR confirms that its card is cancelled, or disputes the transfer."""
        authorize(actor, Permission.TRANSFER, actor.jurisdiction)
        now = datetime.now(UTC)
        with self._uow() as uow:
            t = self._visible(uow, actor, transfer_id, lock=True)
            try:
                check_transition(_view(t), target, actor.jurisdiction)
            except TransferRefused as exc:
                raise Conflict(str(exc)) from None
            uow.transfers.answer(transfer_id, target.value, actor.user_id, now)
            notify(uow, t.to_jurisdiction, f"transfer.{target.value}", transfer_id,
                   {"transfer_id": transfer_id, "status": target.value,
                    "pointer_id": t.pointer_id})  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.TRANSFER, pointer_ids=(t.pointer_id,), refs=(transfer_id,),
                jurisdictions=frozenset({t.to_jurisdiction}), result_count=1))  # fmt: skip
            uow.commit()
            updated = uow.transfers.get(transfer_id)
        assert updated is not None
        return Transfer(updated, self._overdue(updated, now), created=False)

    def get(self, actor: Actor, transfer_id: str) -> Transfer:
        authorize(actor, Permission.TRANSFER_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            t = self._visible(uow, actor, transfer_id, lock=False)
        return Transfer(t, self._overdue(t, datetime.now(UTC)), created=False)

    def list_own(self, actor: Actor, statuses: list[TransferStatus] | None = None,
                 overdue_only: bool = False, limit: int = 100,
                 cursor: str | None = None) -> TransferPage:  # fmt: skip
        """One page of the transfers from or to the actor's state, oldest first (then by
        transfer id); ``overdue_only`` is the list of moves the old SOR has not confirmed in
        time. Filters run in the query, so pages are full and ``next_cursor`` walks the list
        without gaps."""
        authorize(actor, Permission.TRANSFER_READ_OWN, actor.jurisdiction)
        after = decode_cursor(cursor) if cursor is not None else None
        now = datetime.now(UTC)
        wanted = [s.value for s in (statuses or list(TransferStatus))
                  if not (overdue_only and s is TransferStatus.CONFIRMED)]  # fmt: skip
        # The overdue filter runs in the query, so the limit never cuts overdue moves away.
        cutoff = now - self.confirm_within if overdue_only else None
        size = max(1, min(limit, MAX_LIST))
        with self._uow() as uow:
            rows = uow.transfers.for_jurisdiction(actor.jurisdiction, wanted, size + 1,
                                                  cutoff, after)  # fmt: skip
        page = [Transfer(r, self._overdue(r, now), created=False) for r in rows[:size]]
        more = len(rows) > size
        return TransferPage(page, encode_cursor(page[-1].row) if more else None)

    def _overdue(self, t: TransferRow, now: datetime) -> bool:
        return is_overdue(_view(t), now, self.confirm_within)

    @staticmethod
    def _visible(uow: UnitOfWork, actor: Actor, transfer_id: str, lock: bool) -> TransferRow:
        t = uow.transfers.get(transfer_id, lock=lock)
        if t is None or actor.jurisdiction not in (t.from_jurisdiction, t.to_jurisdiction):
            raise NotFound(f"No transfer has the id {transfer_id}.")
        return t


def _view(t: TransferRow) -> TransferView:
    at = t.requested_at if t.requested_at.tzinfo else t.requested_at.replace(tzinfo=UTC)
    return TransferView(TransferStatus(t.status), t.from_jurisdiction, t.to_jurisdiction, at)


def card(card_type: str, real_id: bool, status: str, issue_date: date | None,
         expiry_date: date | None) -> CardUpdate:  # fmt: skip
    return CardUpdate(card_type, real_id, status, issue_date, expiry_date)
