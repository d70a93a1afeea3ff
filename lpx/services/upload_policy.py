"""A state's upload policy as the hub keeps it: read and declared by the state's administrator.

The hub enforces the declared policy on every upload (``PointerService``); the state's
loader applies the same policy before anything leaves the state (``lpx load --policy``).
"""

from __future__ import annotations

from collections.abc import Callable

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.policy import UploadPolicy
from lpx.storage.policy_tables import PolicyRepository
from lpx.storage.uow import UnitOfWork


class UploadPolicyService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], audit: AuditLog) -> None:
        self._uow = uow_factory
        self._audit = audit

    def get(self, actor: Actor) -> UploadPolicy:
        authorize(actor, Permission.POLICY_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            return PolicyRepository(uow.conn).get(actor.jurisdiction)

    def put(self, actor: Actor, policy: UploadPolicy) -> UploadPolicy:
        """Declare the state's policy; it applies to every later upload (not to stored rows)."""
        authorize(actor, Permission.POLICY_WRITE_OWN, actor.jurisdiction)
        with self._uow() as uow:
            PolicyRepository(uow.conn).put(actor.jurisdiction, policy, actor.user_id)
            self._audit.append(uow.conn, AuditEvent.by(actor, Action.POLICY_CHANGE))
            uow.commit()
        return policy
