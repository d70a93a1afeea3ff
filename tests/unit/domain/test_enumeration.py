"""Enumeration rules on hashed features: each pattern trips, varied traffic does not."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from lpx.domain.enumeration import (
    Features,
    Pattern,
    Thresholds,
    detect,
    dob_hash,
    features_of,
    sequential_run,
)

KEY = b"k" * 32
DAY = datetime(2026, 11, 2, 16, tzinfo=UTC)


def f(dob: date, surname: str = "KRS") -> Features:
    return features_of(KEY, dob, surname, DAY, (7, 12))


def test_same_birth_date_trips() -> None:
    recent = [f(date(1980, 1, 1), f"S{i}") for i in range(7)]
    assert Pattern.SAME_DOB in detect(f(date(1980, 1, 1)), recent, 1, 8, 0, Thresholds())


def test_sequential_run_is_found_from_hashes_only() -> None:
    start = date(1980, 1, 1)
    seen = {dob_hash(KEY, start + timedelta(days=2 * i)) for i in range(9)}
    run = sequential_run(start + timedelta(days=18), seen, lambda d: dob_hash(KEY, d), 2, 8)
    assert run == 8
    assert sequential_run(date(1990, 6, 6), seen, lambda d: dob_hash(KEY, d), 2, 8) == 1


def test_varied_traffic_trips_nothing() -> None:
    recent = [f(date(1950, 1, 1) + timedelta(days=397 * i), f"S{i % 30}") for i in range(60)]
    assert detect(f(date(1977, 5, 5)), recent, 1, 60, 10, Thresholds()) == []


def test_a_high_miss_rate_trips() -> None:
    assert Pattern.HIGH_MISS_RATE in detect(f(date(1977, 5, 5)), [], 1, 40, 38, Thresholds())


def test_a_day_of_varied_people_trips_the_volume_rules_only_past_their_ceilings() -> None:
    """Varied names and dates, as a leaked roll confirmed by day looks: nothing but volume."""
    t = Thresholds(daily_inquiries=30, daily_people=20)
    people = [f(date(1950, 1, 1) + timedelta(days=397 * i), f"S{i}") for i in range(21)]
    assert detect(people[19], people[:19], 1, 20, 0, t) == []
    assert detect(people[20], people[:20], 1, 21, 0, t) == [Pattern.USER_DAILY_PEOPLE]


def test_asking_again_about_the_same_applicants_counts_inquiries_not_people() -> None:
    t = Thresholds(daily_inquiries=30, daily_people=20)
    people = [f(date(1950, 1, 1) + timedelta(days=397 * i), f"S{i}") for i in range(10)]
    thrice = people * 3
    assert detect(people[0], thrice[:29], 1, 30, 0, t) == []
    assert detect(people[0], thrice, 1, 31, 0, t) == [Pattern.USER_DAILY_INQUIRIES]
