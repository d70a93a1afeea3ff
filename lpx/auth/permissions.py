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
    CASE_READ_OWN = "case:read-own"  # duplicate cases naming the caller's own pointers
    CASE_RESOLVE = "case:resolve"  # move such a case on (same person, different people, ...)
    TRANSFER = "transfer:write"  # take over a pointer (CSOR), confirm or dispute one taken
    TRANSFER_READ_OWN = "transfer:read-own"  # transfers from or to the caller's state
    NOTIFICATION_READ = "notification:read"  # the caller's state's notification feed
    WEBHOOK_MANAGE = "notification:webhook"  # register the state's webhook
    WITHDRAW = "jurisdiction:withdraw"  # remove every pointer of the state from the hub
    OUTSIDE_REGISTER = "outside:register"  # register and follow an outside request
    OUTSIDE_DECIDE = "outside:decide"  # record the release/deny decision on one
    OUTSIDE_NOTICE_OWN = "outside:notice-own"  # read and object to notices to the own state
    ALERT_READ_OWN = "alert:read-own"  # enumeration alerts touching the own state's records
    MDL_ISSUE = "mdl:issue"  # register an own pointer's credential batch (status indices)
    MDL_IACA_WRITE = "mdl:iaca-write"  # register the own state's IACA root for the trust list

    POLICY_READ_OWN = "policy:read-own"  # read the own state's upload policy
    POLICY_WRITE_OWN = "policy:write-own"  # declare which cards and fields the state sends

class Role(StrEnum):
    CLERK = "clerk"
    RECORDS = "records"
    STATE_ADMIN = "state_admin"
    HUB_OPERATOR = "hub_operator"
    AUDITOR = "auditor"
    LEGAL = "legal"


P = Permission

GRANTS: dict[Role, frozenset[Permission]] = {
    # At the counter: search and status inquiries.
    Role.CLERK: frozenset({P.INQUIRY_SEARCH, P.INQUIRY_STATUS, P.JURISDICTION_READ,
                           P.AUDIT_TREE_READ}),
    # The state's records system: its own pointers, cases, transfers and mobile licences.
    Role.RECORDS: frozenset({P.POINTER_WRITE, P.POINTER_READ_OWN, P.INQUIRY_STATUS,
                             P.JURISDICTION_READ, P.AUDIT_TREE_READ, P.CASE_READ_OWN,
                             P.CASE_RESOLVE, P.TRANSFER, P.TRANSFER_READ_OWN,
                             P.NOTIFICATION_READ, P.MDL_ISSUE,
                             P.POLICY_READ_OWN}),  # the loader applies the declared policy
    # The state's administrator: policy, credentials, audit feed, notices and alerts.
    Role.STATE_ADMIN: frozenset({P.POINTER_READ_OWN, P.JURISDICTION_READ, P.AUDIT_TREE_READ,
                                 P.AUDIT_READ_OWN, P.CASE_READ_OWN, P.TRANSFER_READ_OWN,
                                 P.NOTIFICATION_READ, P.WEBHOOK_MANAGE, P.WITHDRAW,
                                 P.MDL_IACA_WRITE, P.OUTSIDE_NOTICE_OWN, P.ALERT_READ_OWN,
                                 P.POLICY_READ_OWN, P.POLICY_WRITE_OWN}),
    # Runs the hub and sees no personal data at all.
    Role.HUB_OPERATOR: frozenset({P.JURISDICTION_READ, P.AUDIT_TREE_READ}),
    # Reads the audit log of every state (ids and counts, no personal data).
    Role.AUDITOR: frozenset({P.JURISDICTION_READ, P.AUDIT_TREE_READ, P.AUDIT_READ}),
    # Registers outside requests (subpoenas) and records the decisions on them.
    Role.LEGAL: frozenset({P.JURISDICTION_READ, P.AUDIT_TREE_READ, P.OUTSIDE_REGISTER,
                           P.OUTSIDE_DECIDE}),
}  # fmt: skip

# Permissions that act on a state's own records only.
OWN_JURISDICTION_ONLY = frozenset({
    P.POINTER_WRITE, P.POINTER_READ_OWN, P.AUDIT_READ_OWN, P.CASE_READ_OWN, P.CASE_RESOLVE,
    P.TRANSFER, P.TRANSFER_READ_OWN, P.NOTIFICATION_READ, P.WEBHOOK_MANAGE, P.WITHDRAW,
    P.MDL_ISSUE, P.MDL_IACA_WRITE, P.OUTSIDE_NOTICE_OWN, P.ALERT_READ_OWN, P.POLICY_READ_OWN,
    P.POLICY_WRITE_OWN,
})  # fmt: skip
