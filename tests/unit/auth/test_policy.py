"""``authorize``, the one place access is decided: deny by default, own state only for writes."""

from __future__ import annotations

import itertools

import pytest

from lpx.auth.permissions import GRANTS, Permission, Role
from lpx.auth.policy import Actor, Forbidden, authorize

P = Permission
# Written out by hand (not read from GRANTS), so a change to the grants has to change this too.
AUDIT = {P.AUDIT_TREE_READ}  # signed tree heads: no personal data, every role
EXPECTED: dict[Role, set[Permission]] = {
    Role.CLERK: {P.INQUIRY_SEARCH, P.INQUIRY_STATUS, P.JURISDICTION_READ} | AUDIT,
    Role.RECORDS: {P.POINTER_WRITE, P.POINTER_READ_OWN, P.INQUIRY_STATUS, P.JURISDICTION_READ,
                   P.CASE_READ_OWN, P.CASE_RESOLVE, P.TRANSFER, P.TRANSFER_READ_OWN,
                   P.NOTIFICATION_READ, P.MDL_ISSUE, P.POLICY_READ_OWN} | AUDIT,
    Role.STATE_ADMIN: {P.POINTER_READ_OWN, P.JURISDICTION_READ, P.AUDIT_READ_OWN,
                       P.CASE_READ_OWN, P.TRANSFER_READ_OWN, P.NOTIFICATION_READ,
                       P.WEBHOOK_MANAGE, P.WITHDRAW, P.MDL_IACA_WRITE, P.OUTSIDE_NOTICE_OWN,
                       P.ALERT_READ_OWN, P.POLICY_READ_OWN, P.POLICY_WRITE_OWN} | AUDIT,
    Role.HUB_OPERATOR: {P.JURISDICTION_READ} | AUDIT,
    Role.AUDITOR: {P.JURISDICTION_READ, P.AUDIT_READ} | AUDIT,
    Role.LEGAL: {P.JURISDICTION_READ, P.OUTSIDE_REGISTER, P.OUTSIDE_DECIDE} | AUDIT,
}  # fmt: skip
OWN_ONLY = {P.POINTER_WRITE, P.POINTER_READ_OWN, P.AUDIT_READ_OWN, P.CASE_READ_OWN,
            P.CASE_RESOLVE, P.TRANSFER, P.TRANSFER_READ_OWN, P.NOTIFICATION_READ,
            P.WEBHOOK_MANAGE, P.WITHDRAW, P.MDL_ISSUE, P.MDL_IACA_WRITE,
            P.OUTSIDE_NOTICE_OWN, P.ALERT_READ_OWN, P.POLICY_READ_OWN,
            P.POLICY_WRITE_OWN}  # fmt: skip
JURISDICTIONS = ["CA", "NY", None]


def actor(*roles: Role, jurisdiction: str = "CA") -> Actor:
    return Actor(jurisdiction, "clerk-1", frozenset(roles), 1)


def allowed(a: Actor, permission: Permission, jurisdiction: str | None) -> bool:
    try:
        authorize(a, permission, jurisdiction)
    except Forbidden:
        return False
    return True


@pytest.mark.parametrize(("permission", "jurisdiction"),
                         itertools.product(Permission, JURISDICTIONS))  # fmt: skip
def test_an_actor_without_roles_is_denied_everything(
    permission: Permission, jurisdiction: str | None
) -> None:
    with pytest.raises(Forbidden, match=permission.value):
        authorize(actor(), permission, jurisdiction)


def test_every_role_is_in_the_table() -> None:
    assert set(EXPECTED) == set(Role) == set(GRANTS)


@pytest.mark.parametrize(("role", "permission"), itertools.product(Role, Permission))
def test_role_permission_matrix_on_own_state(role: Role, permission: Permission) -> None:
    assert allowed(actor(role), permission, "CA") == (permission in EXPECTED[role])


@pytest.mark.parametrize(("role", "permission"), itertools.product(Role, Permission))
def test_own_state_permissions_never_reach_another_state(
    role: Role, permission: Permission
) -> None:
    """On NY's records a CA actor keeps only what is not own-state-only."""
    expected = permission in EXPECTED[role] and permission not in OWN_ONLY
    assert allowed(actor(role), permission, "NY") == expected


@pytest.mark.parametrize("permission", sorted(OWN_ONLY))
def test_own_state_permissions_need_a_jurisdiction(permission: Permission) -> None:
    with pytest.raises(Forbidden, match="needs a jurisdiction"):
        authorize(actor(*Role), permission, None)


def test_other_state_refusal_names_the_rule() -> None:
    with pytest.raises(Forbidden, match="A CA credential may act only on CA records"):
        authorize(actor(Role.RECORDS), P.POINTER_WRITE, "NY")


def test_roles_add_up() -> None:
    """A credential holding several roles gets the union of their permissions, no more."""
    both = actor(Role.CLERK, Role.STATE_ADMIN)
    granted = {p for p in Permission if allowed(both, p, "CA")}
    assert granted == EXPECTED[Role.CLERK] | EXPECTED[Role.STATE_ADMIN]
    assert not allowed(both, P.POINTER_WRITE, "CA")
