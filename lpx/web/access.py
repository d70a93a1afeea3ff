"""Which console pages to offer a signed-in user: asked of the one policy, never decided here.

Only navigation and the pages that show an empty form use this; every action and every
read is still authorized by the service it calls, so a link shown by mistake only leads to
the service's refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from lpx.auth.permissions import OWN_JURISDICTION_ONLY, Permission
from lpx.auth.policy import Actor, Forbidden, authorize


def permitted(actor: Actor, permission: Permission) -> bool:
    """Whether ``authorize`` lets ``actor`` do ``permission`` (on its own state's records)."""
    scope = actor.jurisdiction if permission in OWN_JURISDICTION_ONLY else None
    try:
        authorize(actor, permission, scope)
    except Forbidden:
        return False
    return True


def require(actor: Actor, permission: Permission) -> None:
    """Raise Forbidden, as the service would, before showing a form only it can answer."""
    authorize(actor, permission, actor.jurisdiction if permission in OWN_JURISDICTION_ONLY
              else None)  # fmt: skip


def may_transfer(actor: Actor) -> bool:
    return permitted(actor, Permission.TRANSFER)


def may_check_status(actor: Actor) -> bool:
    return permitted(actor, Permission.INQUIRY_STATUS)


def may_resolve_cases(actor: Actor) -> bool:
    return permitted(actor, Permission.CASE_RESOLVE)


def may_read_own_records(actor: Actor) -> bool:
    return permitted(actor, Permission.POINTER_READ_OWN)


def require_search(actor: Actor) -> None:
    """The empty search form is for those the search service would answer."""
    require(actor, Permission.INQUIRY_SEARCH)


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    permission: Permission | None  # None: public


# In order of who lands where after sign-in: clerks search, administrators oversee.
NAV = (
    NavItem("Search", "/console/search", Permission.INQUIRY_SEARCH),
    NavItem("State administration", "/console/admin", Permission.AUDIT_READ_OWN),
    NavItem("Duplicate cases", "/console/cases", Permission.CASE_READ_OWN),
    NavItem("Transfers", "/console/transfers", Permission.TRANSFER_READ_OWN),
    NavItem("Onboarding", "/console/uploads", Permission.POINTER_READ_OWN),
    NavItem("Transparency", "/console/transparency", None),
)


def navigation(actor: Actor | None) -> list[NavItem]:
    return [n for n in NAV if (
        n.permission is None or (actor is not None and permitted(actor, n.permission)))]
