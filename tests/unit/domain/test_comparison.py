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
    ssn_in_context,
)
from lpx.domain.names import NormalizedName, canonical_first
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, SsnTokens


def first(a: str, b: str) -> str:
    return compare_first(a, canonical_first(a), b, canonical_first(b))


FIRST_CASES = [
    ("william", "william", "exact"),
    ("bill", "william", "nickname"),
    ("peggy", "margaret", "nickname"),
    ("alexandra", "alexsandra", "jw_high"),
    ("marguerite", "margarita", "jw_mid"),
    ("j", "john", "initial"),
    ("mary", "olga", "else"),
    ("", "olga", "null"),
]
LAST_CASES = [
    ("Garcia-Lopez", "garcia lopez", "exact"),
    ("Garcia Lopez", "Garcia", "one_of_two"),
    ("Johnson", "Jonhson", "jw_high"),
    ("Philips", "Fillips", "phonetic"),
    ("Abramowitz", "Abramovic", "jw_mid"),
    ("Smith", "Petrova", "else"),
    ("", "Petrova", "null"),
]
DOB_CASES = [
    (date(1980, 3, 5), date(1980, 3, 5), "exact"),
    (date(1980, 3, 5), date(1980, 5, 3), "day_month_swapped"),
    (date(1980, 3, 5), date(1980, 3, 6), "one_digit"),
    (date(1980, 3, 5), date(1981, 3, 5), "one_digit"),
    (date(1910, 2, 10), date(1910, 1, 20), "one_digit"),  # two adjacent digits transposed
    (date(1942, 7, 4), date(1924, 7, 4), "one_digit"),
    (date(1980, 3, 15), date(1980, 5, 13), "same_year"),  # two digits apart: not one slip
    (date(1980, 3, 5), date(1980, 11, 20), "same_year"),
    (date(1980, 3, 5), date(1975, 9, 30), "else"),
    (None, date(1975, 9, 30), "null"),
]


@pytest.mark.parametrize(("a", "b", "level"), FIRST_CASES)
def test_first_name_levels(a: str, b: str, level: str) -> None:
    assert first(a, b) == level


def last(a: str, b: str) -> str:
    return compare_last(NormalizedName.of("x", a), NormalizedName.of("x", b))


@pytest.mark.parametrize(("a", "b", "level"), LAST_CASES)
def test_last_name_levels(a: str, b: str, level: str) -> None:
    assert last(a, b) == level


@pytest.mark.parametrize(("a", "b", "level"), DOB_CASES)
def test_dob_levels(a: date | None, b: date, level: str) -> None:
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
    a = profile(tokens("a", "0123"))
    assert compare_ssn(a, profile(tokens("a", "0123"))) == "exact"
    assert compare_ssn(a, profile(tokens("b", "567" + "3"))) == "one_digit"
    assert compare_ssn(a, profile(tokens("b", "5678"))) == "else"
    assert compare_ssn(a, profile(None)) == "null"
    # A masked token agrees only in its own position.
    assert compare_ssn(a, profile(tokens("b", "3000"))) == "else"


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


def test_every_level_of_every_field_has_a_case() -> None:
    """A level added to the engine without a case above makes this fail."""
    from lpx.domain.vectorized import LEVELS

    cases = {
        "first_name": {lv for *_, lv in FIRST_CASES},
        "last_name": {lv for *_, lv in LAST_CASES},
        "dob": {lv for *_, lv in DOB_CASES},
        # Reached in test_middle_suffix_sex_levels, test_ssn_levels_compare_tokens_only and
        # test_name_levels_read_swapped_and_aka_names (the straight reading is "same").
        "middle_name": {"exact", "initial", "else", "null"},
        "suffix": {"exact", "one_missing", "else", "null"},
        "sex": {"exact", "else", "null"},
        "ssn": {"exact", "one_digit", "else", "null", "conflict"},
        "name_order": {"same", "swapped", "aka"},
    }
    assert {f: set(lv) for f, lv in LEVELS.items()} == cases


def test_swapped_names_weigh_less_than_straight_ones() -> None:
    """A swap is a penalty: two people whose names agree only swapped must not outscore
    two whose names agree as written (FEBRL has many first names that are also surnames)."""
    from lpx.domain.model import MatchModel

    model = MatchModel()
    assert model.weight("name_order", "swapped") < model.weight("name_order", "same") <= 0.5
    assert model.weight("name_order", "aka") <= 0.5


def test_ssn_conflict_is_an_else_where_names_and_dob_agree_exactly() -> None:
    """Namesakes (same name and birthday) differ only by SSN; a decoy holder renamed differs
    by SSN too, but then the names differ: only the first is a ``conflict``."""
    assert ssn_in_context("else", "exact", "exact", "same", "exact") == "conflict"
    for first, last, order, dob in [("nickname", "exact", "same", "exact"),
                                    ("exact", "jw_high", "same", "exact"),
                                    ("exact", "exact", "swapped", "exact"),
                                    ("exact", "exact", "aka", "exact"),
                                    ("exact", "exact", "same", "day_month_swapped")]:  # fmt: skip
        assert ssn_in_context("else", first, last, order, dob) == "else"
    for ssn in ("exact", "one_digit", "null"):
        assert ssn_in_context(ssn, "exact", "exact", "same", "exact") == ssn
    namesake = profile(tokens("b", "56789"))
    from lpx.domain.linkage import compare

    a = profile(tokens("a", "01234"))
    assert compare(a, NormalizedName.of("Lee", "Ann"), namesake)["ssn"] == "conflict"
    from lpx.domain.model import MatchModel

    model = MatchModel()
    assert model.weight("ssn", "conflict") < model.weight("ssn", "else") - 4


def test_a_model_file_from_before_the_conflict_level_weighs_it_as_else() -> None:
    from lpx.domain.model import MatchModel

    data = MatchModel().to_dict()
    del data["mu"]["ssn"]["conflict"]
    old = MatchModel.from_dict(data)
    assert old.weight("ssn", "conflict") == old.weight("ssn", "else")
