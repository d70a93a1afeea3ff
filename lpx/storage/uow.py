"""Unit of work: one connection and transaction per request; nothing persists without commit()."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from lpx.storage.repositories import (
    CredentialRepository,
    InquiryRepository,
    JurisdictionRepository,
    PointerRepository,
)
from lpx.storage.workflow_repositories import (
    CaseRepository,
    MatchLookup,
    NotificationRepository,
    TransferRepository,
    WithdrawalRepository,
)


class UnitOfWork:
    conn: Connection
    pointers: PointerRepository
    credentials: CredentialRepository
    jurisdictions: JurisdictionRepository
    inquiries: InquiryRepository
    # The state-to-state workflows (lpx/storage/workflow_repositories.py).
    matches: MatchLookup
    cases: CaseRepository
    transfers: TransferRepository
    notifications: NotificationRepository
    withdrawals: WithdrawalRepository

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def __enter__(self) -> UnitOfWork:
        self.conn = self._engine.connect()
        self.conn.begin()
        self.pointers = PointerRepository(self.conn)
        self.credentials = CredentialRepository(self.conn)
        self.jurisdictions = JurisdictionRepository(self.conn)
        self.inquiries = InquiryRepository(self.conn)
        self.matches = MatchLookup(self.conn)
        self.cases = CaseRepository(self.conn)
        self.transfers = TransferRepository(self.conn)
        self.notifications = NotificationRepository(self.conn)
        self.withdrawals = WithdrawalRepository(self.conn)
        return self

    def commit(self) -> None:
        self.conn.commit()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.conn.rollback()
        finally:
            self.conn.close()
