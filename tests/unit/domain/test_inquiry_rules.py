"""No bulk search: an inquiry names one person, with a purpose from a fixed list."""

from __future__ import annotations

from datetime import date

import pytest

from lpx.domain.errors import ValidationFailed
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.model import MatchModel
from lpx.domain.records import Identity

TODAY = date(2026, 11, 25)


def test_purposes_exclude_immigration_enforcement() -> None:
    values = {p.value for p in Purpose}
    assert "license_issuance" in values
    assert not any("immigration" in v or "enforcement" in v for v in values)


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        ("W*", "Garcia", "first_name"),
        ("William", "G%", "last_name"),
        ("W", "Garcia", "first_name"),
        ("William", "?", "last_name"),
        ("William", "  ", "last_name"),
        ("Wi_", "Garcia", "first_name"),
    ],
)
def test_wildcards_and_stubs_are_refused(first: str, last: str, field: str) -> None:
    inquiry = SearchInquiry(Identity(first, last, date(1980, 3, 5)), Purpose.LICENSE_ISSUANCE)
    with pytest.raises(ValidationFailed) as info:
        inquiry.validate(TODAY)
    assert field in {e.field for e in info.value.errors}


def test_a_specific_person_passes() -> None:
    SearchInquiry(Identity("Li", "Wu", date(1980, 3, 5)), Purpose.LICENSE_RENEWAL).validate(TODAY)


@pytest.mark.parametrize(
    ("identity", "field"),
    [
        (Identity("🙂🙂", "Wu", date(1980, 3, 5)), "first_name"),  # spelled out, still no letters
        (Identity("Li", "Wu", date(2031, 1, 1)), "dob"),  # not born yet
    ],
)
def test_no_letters_and_future_births_are_refused(identity: Identity, field: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        SearchInquiry(identity, Purpose.LICENSE_ISSUANCE).validate(TODAY)
    assert field in {e.field for e in info.value.errors}


def test_model_weights_and_classes() -> None:
    model = MatchModel()
    assert model.weight("dob", "exact") > model.weight("dob", "one_digit") > 0
    assert model.weight("ssn", "else") < 0
    assert model.weight("ssn", "null") == 0  # a field one side lacks is no evidence
    assert model.classify(model.match_threshold) == "match"
    assert model.classify(model.possible_threshold) == "possible"
    assert model.classify(model.possible_threshold - 0.01) is None
    assert 0 < model.probability(0) < model.probability(30) <= 1
    assert MatchModel.from_dict(model.to_dict()) == model
