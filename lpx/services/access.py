"""Jurisdictions, their credentials, and turning a presented API key into an Actor."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lpx.auth.credentials import hash_api_key, new_api_key
from lpx.auth.permissions import Permission, Role
from lpx.auth.policy import Actor, authorize
from lpx.services.errors import Conflict, Unauthenticated
from lpx.storage.uow import UnitOfWork

USER_ID_MAX = 100
_ROLE_VALUES = frozenset(r.value for r in Role)


def _known_roles(stored: Sequence[str]) -> frozenset[Role]:
    """Roles as stored; an empty list (stored as "") or a retired role name grants nothing,
    so the credential is denied by the policy rather than failing authentication with a 500."""
    return frozenset(Role(r) for r in stored if r in _ROLE_VALUES)


class AccessService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def authenticate(self, api_key: str | None, user_id: str | None) -> Actor:
        if not api_key:
            raise Unauthenticated("Send your jurisdiction's API key as 'Authorization: Bearer …'.")
        with self._uow() as uow:
            cred = uow.credentials.by_key_hash(hash_api_key(api_key))
        if cred is None or cred.revoked:
            raise Unauthenticated(
                "The API key is unknown or revoked; ask your state administrator."
            )
        user = (user_id or "").strip()
        if not user or len(user) > USER_ID_MAX or not user.isprintable():
            raise Unauthenticated(
                "Name the person acting in the X-LPX-User header (1-100 printable characters)."
            )
        return Actor(cred.jurisdiction, user, _known_roles(cred.roles), cred.id)

    def add_jurisdiction(self, code: str, name: str) -> None:
        with self._uow() as uow:
            if uow.jurisdictions.exists(code):
                raise Conflict(f"Jurisdiction {code} already exists.")
            uow.jurisdictions.add(code, name)
            uow.commit()

    def issue_credential(self, jurisdiction: str, label: str, roles: Sequence[Role]) -> str:
        """Create a credential and return its key; only its hash is stored."""
        key = new_api_key(jurisdiction)
        with self._uow() as uow:
            uow.credentials.add(jurisdiction, label, hash_api_key(key), [r.value for r in roles])
            uow.commit()
        return key

    def jurisdictions(self, actor: Actor) -> list[tuple[str, str]]:
        authorize(actor, Permission.JURISDICTION_READ)
        with self._uow() as uow:
            return uow.jurisdictions.all()
