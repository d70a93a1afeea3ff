"""The one place where access is decided. Deny unless a role grants the permission."""

from __future__ import annotations

from dataclasses import dataclass

from lpx.auth.permissions import GRANTS, OWN_JURISDICTION_ONLY, Permission, Role


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: the jurisdiction's system credential and the end user it names."""

    jurisdiction: str
    user_id: str
    roles: frozenset[Role]
    credential_id: int


class Forbidden(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def authorize(actor: Actor, permission: Permission, jurisdiction: str | None = None) -> None:
    """Raise Forbidden unless the actor may do ``permission`` on ``jurisdiction``'s records."""
    if not any(permission in GRANTS[r] for r in actor.roles):
        raise Forbidden(f"Your credential's roles do not allow {permission.value}.")
    if permission in OWN_JURISDICTION_ONLY:
        if jurisdiction is None:
            raise Forbidden("This action needs a jurisdiction.")
        if jurisdiction != actor.jurisdiction:
            raise Forbidden(
                f"A {actor.jurisdiction} credential may act only on {actor.jurisdiction} records."
            )
