"""Every comparison level, each reached by the case it exists for."""

from __future__ import annotations

from datetime import date

import pytest

from lpx.domain.comparison import (
    compare_dob,
    compare_first,
    compare_last,
    compare_middle,
    compare_sex,
    compare_ssn,
    compare_suffix,
    name_levels,
)
from lpx.domain.names import NormalizedName, canonical_first
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, SsnTokens


def first(a: str, b: str) -> str:
    return compare_first(a, canonical_first(a), b, canonical_first(b))


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("william", "william", "exact"),
        ("bill", "william", "nickname"),
        ("peggy", "margaret", "nickname"),
        ("alexandra", "alexsandra", "jw_high"),
        ("marguerite", "margarita", "jw_mid"),
        ("j", "john", "initial"),
        ("mary", "olga", "else"),
        ("", "olga", "null"),
    ],
)
def test_first_name_levels(a: str, b: str, level: str) -> None:
    assert first(a, b) == level


def last(a: str, b: str) -> str:
    return compare_last(NormalizedName.of("x", a), NormalizedName.of("x", b))


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("Garcia-Lopez", "garcia lopez", "exact"),
        ("Garcia Lopez", "Garcia", "one_of_two"),
        ("Johnson", "Jonhson", "jw_high"),
        ("Philips", "Fillips", "phonetic"),
        ("Abramowitz", "Abramovic", "jw_mid"),
        ("Smith", "Petrova", "else"),
    ],
)
def test_last_name_levels(a: str, b: str, level: str) -> None:
    assert last(a, b) == level


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        (date(1980, 3, 5), date(1980, 3, 5), "exact"),
        (date(1980, 3, 5), date(1980, 5, 3), "day_month_swapped"),
        (date(1980, 3, 5), date(1980, 3, 6), "one_digit"),
        (date(1980, 3, 5), date(1981, 3, 5), "one_digit"),
        (date(1980, 3, 5), date(1980, 11, 20), "same_year"),
        (date(1980, 3, 5), date(1975, 9, 30), "else"),
    ],
)
def test_dob_levels(a: date, b: date, level: str) -> None:
    assert compare_dob(a, b) == level


def test_middle_suffix_sex_levels() -> None:
    assert [compare_middle(a, b) for a, b in [("ann", "ann"), ("a", "ann"), ("ann", "beth"),
                                               ("", "ann")]] == [
        "exact", "initial", "else", "null"]  # fmt: skip
    assert [compare_suffix(a, b) for a, b in [("JR", "JR"), ("", "JR"), ("JR", "SR"),
                                               ("", "")]] == [
        "exact", "one_missing", "else", "null"]  # fmt: skip
    assert [compare_sex(a, b) for a, b in [("F", "F"), ("F", "M"), ("", "M")]] == [
        "exact", "else", "null"]  # fmt: skip


def profile(ssn: SsnTokens | None, first: str = "Ann", last: str = "Lee",
            aka: tuple[str, ...] = ()) -> MatchProfile:  # fmt: skip
    return MatchProfile.of(Identity(first, last, date(1980, 3, 5), ssn=ssn, aka_names=aka))


def tokens(full: str, masked: str) -> SsnTokens:
    return SsnTokens(full * 32, tuple(m * 32 for m in masked))


def test_ssn_levels_compare_tokens_only() -> None:
    a = profile(tokens("a", "01234"))
    assert compare_ssn(a, profile(tokens("a", "01234"))) == "exact"
    assert compare_ssn(a, profile(tokens("b", "5678" + "4"))) == "one_digit"
    assert compare_ssn(a, profile(tokens("b", "56789"))) == "else"
    assert compare_ssn(a, profile(None)) == "null"
    # A masked token agrees only in its own position.
    assert compare_ssn(a, profile(tokens("b", "40000"))) == "else"


def test_name_levels_read_swapped_and_aka_names() -> None:
    probe = profile(None, "Garcia", "William")
    stored = profile(None, "William", "Garcia")
    swapped = NormalizedName.of(probe.name.last, probe.name.first)
    assert name_levels(probe, swapped, stored) == ("exact", "exact", "swapped")

    married = profile(None, "Maria", "Smith", aka=("Maria Lopez",))
    maiden = profile(None, "Maria", "Lopez")
    swapped = NormalizedName.of(maiden.name.last, maiden.name.first)
    assert name_levels(maiden, swapped, married) == ("exact", "exact", "aka")


def test_unknown_dob_is_a_null_level_and_weighs_nothing() -> None:
    from lpx.domain.model import MatchModel

    assert compare_dob(None, date(1980, 3, 5)) == "null"
    assert compare_dob(date(1980, 3, 5), None) == "null"
    assert MatchModel().weight("dob", "null") == 0.0
    unknown = MatchProfile.of(Identity("Ann", "Lee", date(1980, 3, 5)), dob_known=False)
    assert unknown.dob is None
    assert MatchProfile.from_dict(unknown.to_dict()) == unknown
