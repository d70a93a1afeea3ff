"""Change-of-state-of-record rules: every answer transition (allowed and refused), who may
answer, which requests are refused, and when a transfer is overdue. The expected table is
written out here so a change to the rules has to change this test too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from lpx.domain.transfers import (
    DEFAULT_CONFIRM_WITHIN,
    TransferRefused,
    TransferStatus,
    TransferView,
    check_request,
    check_transition,
    is_overdue,
)

T = TransferStatus
ALLOWED = {(T.PENDING, T.CONFIRMED), (T.PENDING, T.DISPUTED), (T.DISPUTED, T.CONFIRMED)}
NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)


def transfer(status: TransferStatus = T.PENDING, at: datetime = NOW) -> TransferView:
    return TransferView(status, "CA", "NY", at)


@pytest.mark.parametrize(("source", "target"), sorted(product(T, T)))
def test_every_answer_is_allowed_or_refused_as_the_table_says(
    source: TransferStatus, target: TransferStatus
) -> None:
    if (source, target) in ALLOWED:
        check_transition(transfer(source), target, "CA")
    else:
        with pytest.raises(TransferRefused, match=f"cannot become {target.value}"):
            check_transition(transfer(source), target, "CA")


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
@pytest.mark.parametrize("who", ["NY", "TX"])
def test_only_the_former_state_of_record_answers(
    source: TransferStatus, target: TransferStatus, who: str
) -> None:
    with pytest.raises(TransferRefused, match="Only CA, the former state of record"):
        check_transition(transfer(source), target, who)


@pytest.mark.parametrize("status", ["active", "surrendered", "suspended", "expired"])
def test_a_live_pointer_of_another_state_may_be_requested(status: str) -> None:
    check_request("CA", "NY", status)


@pytest.mark.parametrize(("current", "status", "unsettled", "message"), [
    ("NY", "active", False, "already NY's"),
    ("CA", "cancelled", False, "card is cancelled"),
    ("CA", "revoked", False, "card is revoked"),
    ("CA", "active", True, "awaits the former SOR's answer"),
    ("NY", "cancelled", True, "awaits the former SOR's answer"),  # unsettled is checked first
])  # fmt: skip
def test_requests_the_rules_refuse(current: str, status: str, unsettled: bool,
                                   message: str) -> None:  # fmt: skip
    with pytest.raises(TransferRefused, match=message):
        check_request(current, "NY", status, unsettled)


@pytest.mark.parametrize("status", list(T))
def test_overdue_while_unconfirmed_past_the_deadline(status: TransferStatus) -> None:
    within = timedelta(days=3)
    assert not is_overdue(transfer(status, NOW - within), NOW, within)
    late = transfer(status, NOW - within - timedelta(microseconds=1))
    assert is_overdue(late, NOW, within) is (status is not T.CONFIRMED)


def test_default_deadline_is_fourteen_days() -> None:
    assert timedelta(days=14) == DEFAULT_CONFIRM_WITHIN
    assert is_overdue(transfer(at=NOW - timedelta(days=15)), NOW)
    assert not is_overdue(transfer(at=NOW - timedelta(days=13)), NOW)
