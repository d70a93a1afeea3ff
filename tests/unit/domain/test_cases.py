"""Duplicate-case rules: every transition (allowed and refused), who may make it, the queue
order and when a case is overdue. The expected table is written out here, not read from
``TRANSITIONS``, so a change to the rules has to change this test too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from lpx.domain.cases import (
    ACTIVE,
    DEFAULT_MAX_AGE,
    CaseStatus,
    CaseView,
    NotAParty,
    TransitionRefused,
    check_party,
    check_transition,
    is_overdue,
    is_real_id_conflict,
    overdue_cutoff,
    queue_key,
)

S = CaseStatus
ALLOWED = {
    (S.OPEN, S.UNDER_INVESTIGATION), (S.OPEN, S.SAME_PERSON), (S.OPEN, S.DIFFERENT_PEOPLE),
    (S.UNDER_INVESTIGATION, S.SAME_PERSON), (S.UNDER_INVESTIGATION, S.DIFFERENT_PEOPLE),
    (S.SAME_PERSON, S.CLOSED),
}  # fmt: skip
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def case(status: CaseStatus = S.OPEN, opened: datetime = NOW, conflict: bool = False) -> CaseView:
    return CaseView(status, "CA", "NY", opened, conflict)


@pytest.mark.parametrize(("source", "target"), sorted(product(S, S)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(
    source: CaseStatus, target: CaseStatus
) -> None:
    for party in ("CA", "NY"):
        if (source, target) in ALLOWED:
            check_transition(case(source), target, party)
        else:
            with pytest.raises(TransitionRefused, match=f"cannot become {target.value}"):
                check_transition(case(source), target, party)


@pytest.mark.parametrize("final", [S.DIFFERENT_PEOPLE, S.CLOSED])
def test_final_statuses_say_so(final: CaseStatus) -> None:
    with pytest.raises(TransitionRefused, match="nothing \\(it is final\\)"):
        check_transition(case(final), S.OPEN, "CA")


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_a_state_that_is_not_a_party_may_make_no_transition(
    source: CaseStatus, target: CaseStatus
) -> None:
    with pytest.raises(NotAParty, match="TX is not a party"):
        check_transition(case(source), target, "TX")


def test_parties_are_the_two_states_of_record() -> None:
    check_party(case(), "CA")
    check_party(case(), "NY")
    with pytest.raises(NotAParty):
        check_party(case(), "TX")
    assert CaseView(S.OPEN, "TX", "TX", NOW).parties == frozenset({"TX"})


def test_active_statuses_are_the_ones_waiting_on_a_state() -> None:
    assert frozenset({S.OPEN, S.UNDER_INVESTIGATION, S.SAME_PERSON}) == ACTIVE


@pytest.mark.parametrize("status", list(S))
def test_overdue_only_while_active_and_only_past_the_age(status: CaseStatus) -> None:
    age = timedelta(days=10)
    at_limit = case(status, NOW - age)
    past = case(status, NOW - age - timedelta(microseconds=1))
    assert not is_overdue(at_limit, NOW, age)
    assert is_overdue(past, NOW, age) is (status in ACTIVE)
    assert not is_overdue(case(status, NOW), NOW, age)


def test_overdue_cutoff_agrees_with_is_overdue_and_defaults_to_thirty_days() -> None:
    assert timedelta(days=30) == DEFAULT_MAX_AGE
    cutoff = overdue_cutoff(NOW)
    assert cutoff == NOW - timedelta(days=30)
    assert is_overdue(case(opened=cutoff - timedelta(seconds=1)), NOW)
    assert not is_overdue(case(opened=cutoff), NOW)


def test_queue_puts_real_id_conflicts_first_then_oldest() -> None:
    old = case(opened=NOW - timedelta(days=5))
    new_conflict = case(opened=NOW, conflict=True)
    older_conflict = case(opened=NOW - timedelta(days=1), conflict=True)
    assert sorted([old, new_conflict, older_conflict], key=queue_key) == [
        older_conflict, new_conflict, old]


@pytest.mark.parametrize(("a_real", "a_status", "b_real", "b_status", "expected"), [
    (True, "active", True, "active", True),
    (True, "active", False, "active", False),
    (False, "active", True, "active", False),
    (True, "surrendered", True, "active", False),
    (True, "active", True, "cancelled", False),
])  # fmt: skip
def test_real_id_conflict_needs_two_active_real_id_cards(
    a_real: bool, a_status: str, b_real: bool, b_status: str, expected: bool
) -> None:
    assert is_real_id_conflict(a_real, a_status, b_real, b_status) is expected
