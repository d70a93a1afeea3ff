"""Duplicate cases: two pointers that may be one person, as a state machine between their SORs.

Pure rules only (no I/O): which statuses exist, which transitions are allowed, who may make
them and when a case is overdue. The hub's services apply them and record every transition.

A case is raised for a pair of pointers; both states of record ("parties") see it and either
may move it on. ``different_people`` is final and remembered, so the pair is never raised
again while the identity fields of both pointers stay as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lpx.domain.errors import DomainError


class CaseStatus(StrEnum):
    OPEN = "open"
    UNDER_INVESTIGATION = "under_investigation"
    SAME_PERSON = "same_person"  # one state must now cancel its card or start a transfer
    DIFFERENT_PEOPLE = "different_people"  # final: the pair is remembered, never re-raised
    CLOSED = "closed"  # final: the same-person follow-up (cancel or transfer) is done


TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.OPEN: frozenset({CaseStatus.UNDER_INVESTIGATION, CaseStatus.SAME_PERSON,
                                CaseStatus.DIFFERENT_PEOPLE}),
    CaseStatus.UNDER_INVESTIGATION: frozenset({CaseStatus.SAME_PERSON,
                                               CaseStatus.DIFFERENT_PEOPLE}),
    CaseStatus.SAME_PERSON: frozenset({CaseStatus.CLOSED}),
    CaseStatus.DIFFERENT_PEOPLE: frozenset(),
    CaseStatus.CLOSED: frozenset(),
}  # fmt: skip

# Statuses that still ask something of a state: they sit in the queue and can become overdue.
ACTIVE = frozenset({CaseStatus.OPEN, CaseStatus.UNDER_INVESTIGATION, CaseStatus.SAME_PERSON})
DEFAULT_MAX_AGE = timedelta(days=30)


class TransitionRefused(DomainError):
    """The rules forbid this move (wrong status, or the actor's state is not a party)."""


class NotAParty(TransitionRefused):
    """Only the two states of record named in a case may see or move it."""


@dataclass(frozen=True, slots=True)
class CaseView:
    """What the rules need to know about a case."""

    status: CaseStatus
    jurisdiction_a: str
    jurisdiction_b: str
    opened_at: datetime
    real_id_conflict: bool = False

    @property
    def parties(self) -> frozenset[str]:
        return frozenset({self.jurisdiction_a, self.jurisdiction_b})


def check_party(case: CaseView, jurisdiction: str) -> None:
    if jurisdiction not in case.parties:
        raise NotAParty(f"{jurisdiction} is not a party to this case.")


def check_transition(case: CaseView, target: CaseStatus, jurisdiction: str) -> None:
    """Raise unless ``jurisdiction`` may move ``case`` to ``target``."""
    check_party(case, jurisdiction)
    if target not in TRANSITIONS[case.status]:
        allowed = ", ".join(sorted(TRANSITIONS[case.status])) or "nothing (it is final)"
        raise TransitionRefused(
            f"A case that is {case.status.value} cannot become {target.value}; "
            f"it can become: {allowed}."
        )


def overdue_cutoff(now: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> datetime:
    """Active cases opened before this instant are overdue; storage filters on it, so the
    queue's ``overdue`` filter and :func:`is_overdue` never disagree."""
    return now - max_age


def is_overdue(case: CaseView, now: datetime, max_age: timedelta = DEFAULT_MAX_AGE) -> bool:
    """Still waiting on a state and opened longer ago than ``max_age``."""
    return case.status in ACTIVE and case.opened_at < overdue_cutoff(now, max_age)


def queue_key(case: CaseView) -> tuple[bool, datetime]:
    """Queue order: REAL ID conflicts first (a second REAL ID card is the urgent harm),
    then oldest first."""
    return (not case.real_id_conflict, case.opened_at)


def is_real_id_conflict(a_real_id: bool, a_status: str, b_real_id: bool, b_status: str) -> bool:
    """Two active REAL ID cards for what may be one person."""
    return a_real_id and b_real_id and a_status == "active" and b_status == "active"
