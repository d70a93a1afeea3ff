"""The permission vocabulary and which role holds which permission."""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    POINTER_WRITE = "pointer:write"  # add, update, delete the caller's own pointers
    POINTER_READ_OWN = "pointer:read-own"  # read and list the caller's own pointers
    INQUIRY_SEARCH = "inquiry:search"
    INQUIRY_STATUS = "inquiry:status"
    JURISDICTION_READ = "jurisdiction:read"
    AUDIT_TREE_READ = "audit:tree-read"  # signed tree heads and consistency proofs
    AUDIT_READ_OWN = "audit:read-own"  # audit entries touching the caller's own records
    AUDIT_READ = "audit:read"  # audit entries of any jurisdiction


class Role(StrEnum):
    CLERK = "clerk"
    RECORDS = "records"
    STATE_ADMIN = "state_admin"
    HUB_OPERATOR = "hub_operator"
    AUDITOR = "auditor"
    LEGAL = "legal"


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: frozenset({Permission.INQUIRY_SEARCH, Permission.INQUIRY_STATUS,
                           Permission.JURISDICTION_READ, Permission.AUDIT_TREE_READ}),
    Role.RECORDS: frozenset({Permission.POINTER_WRITE, Permission.POINTER_READ_OWN,
                             Permission.INQUIRY_STATUS, Permission.JURISDICTION_READ,
                             Permission.AUDIT_TREE_READ}),
    Role.STATE_ADMIN: frozenset({Permission.POINTER_READ_OWN, Permission.JURISDICTION_READ,
                                 Permission.AUDIT_TREE_READ, Permission.AUDIT_READ_OWN}),
    Role.HUB_OPERATOR: frozenset({Permission.JURISDICTION_READ, Permission.AUDIT_TREE_READ}),
    Role.AUDITOR: frozenset({Permission.JURISDICTION_READ, Permission.AUDIT_TREE_READ,
                             Permission.AUDIT_READ}),
    Role.LEGAL: frozenset({Permission.JURISDICTION_READ, Permission.AUDIT_TREE_READ}),
}  # fmt: skip

# Permissions that act on a state's own records only.
OWN_JURISDICTION_ONLY = frozenset({Permission.POINTER_WRITE, Permission.POINTER_READ_OWN,
                                   Permission.AUDIT_READ_OWN})  # fmt: skip
