"""Wiring of the state-to-state workflows, called once by the composition root.

Kept apart from lpx/bootstrap.py so the hub's root stays one line longer, not forty.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from lpx.audit.service import AuditLog
from lpx.audit.signing import KeyProvider
from lpx.domain.blocking import LONE_KEY_BLOCK_LIMIT
from lpx.domain.cases import DEFAULT_MAX_AGE
from lpx.domain.model import MatchModel
from lpx.domain.transfers import DEFAULT_CONFIRM_WITHIN
from lpx.services.cases import CaseOpener, CaseService
from lpx.services.notifications import NotificationService
from lpx.services.pointers import PointerService
from lpx.services.transfers import TransferService
from lpx.services.withdrawal import WithdrawalService
from lpx.storage.uow import UnitOfWork


@dataclass
class Workflows:
    cases: CaseService
    transfers: TransferService
    notifications: NotificationService
    withdrawal: WithdrawalService


def build_workflows(uow: Callable[[], UnitOfWork], pointers: PointerService, index_key: bytes,
                    model: MatchModel, audit: AuditLog, keys: KeyProvider,
                    candidate_limit: int = 500,
                    lone_block_limit: int = LONE_KEY_BLOCK_LIMIT,
                    case_max_age: timedelta = DEFAULT_MAX_AGE,
                    transfer_confirm_within: timedelta = DEFAULT_CONFIRM_WITHIN,
                    ) -> Workflows:  # fmt: skip
    """Build the services, and have ``pointers`` open duplicate cases after each write.
    A withdrawal shreds the state's data keys through the pointers' own key ring."""
    opener = CaseOpener(index_key, model, audit, candidate_limit, lone_block_limit)
    pointers.cases = opener
    return Workflows(
        cases=CaseService(uow, audit, case_max_age),
        transfers=TransferService(uow, audit, pointers.codec, opener, transfer_confirm_within),
        notifications=NotificationService(uow),
        withdrawal=WithdrawalService(uow, audit, keys, pointers.codec.ring),
    )
