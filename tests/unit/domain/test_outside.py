"""Outside requests: scopes name people, never classes; release waits for notice and window."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from lpx.domain.errors import ValidationFailed
from lpx.domain.outside import (
    DecisionRefused,
    Individual,
    Notice,
    Outcome,
    check_decision,
    due,
    first_notice,
    validate_scope,
)

TODAY = date(2026, 11, 2)
NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "last"),
    [("All", "holders"), ("*", "Garcia"), ("Maria", "without SSN"), ("Jo%", "Lee")],
)
def test_class_scopes_are_refused(first: str, last: str) -> None:
    with pytest.raises(ValidationFailed):
        validate_scope([Individual(first, last, date(1980, 1, 1))], 25, TODAY)


def test_a_named_person_is_accepted_and_long_lists_are_not() -> None:
    validate_scope([Individual("Maria", "Garcia", date(1980, 1, 1))], 25, TODAY)
    many = [Individual("Maria", "Garcia", date(1980, 1, 1) + timedelta(days=i)) for i in range(3)]
    with pytest.raises(ValidationFailed):
        validate_scope(many, 2, TODAY)


def test_a_gagged_notice_is_held_until_the_order_ends() -> None:
    n = first_notice("CA", date(2026, 12, 1), NOW, timedelta(days=14))
    assert n.sent_at is None
    assert not due(n, date(2026, 11, 30))
    assert due(n, date(2026, 12, 1))
    with pytest.raises(DecisionRefused, match="held"):
        check_decision(Outcome.PENDING, Outcome.RELEASED, [n], [], NOW)
    check_decision(Outcome.PENDING, Outcome.DENIED, [n], [], NOW)


def test_release_waits_for_the_window_and_overruled_objections() -> None:
    n = first_notice("CA", None, NOW, timedelta(days=14))
    with pytest.raises(DecisionRefused, match="still open"):
        check_decision(Outcome.PENDING, Outcome.RELEASED, [n], [], NOW + timedelta(days=13))
    later = NOW + timedelta(days=15)
    objected = Notice("CA", None, n.sent_at, n.deadline, "overbroad")
    with pytest.raises(DecisionRefused, match="objected"):
        check_decision(Outcome.PENDING, Outcome.RELEASED, [objected], [], later)
    check_decision(Outcome.PENDING, Outcome.RELEASED, [objected], ["CA"], later)
    with pytest.raises(DecisionRefused, match="already"):
        check_decision(Outcome.RELEASED, Outcome.DENIED, [n], [], later)
