"""The upload policy: which cards a state sends, which optional fields, and what the hub refuses."""

from __future__ import annotations

from datetime import date

import pytest

from lpx.domain.policy import OptionalField, UploadPolicy
from lpx.domain.records import (
    MASKED_TOKEN_COUNT,
    Card,
    CardType,
    Identity,
    PointerRecord,
    Sex,
    SsnTokens,
    Status,
)

TOKENS = SsnTokens("a" * 32, tuple(f"{i}" * 32 for i in range(MASKED_TOKEN_COUNT)))


def record(card_type: CardType = CardType.DL, real_id: bool = True,
           status: Status = Status.ACTIVE) -> PointerRecord:  # fmt: skip
    identity = Identity("Maria", "Lopez", date(1980, 3, 5), middle_name="Elena", suffix="Jr",
                        sex=Sex.FEMALE, aka_names=("Maria Garcia",), ssn=TOKENS)  # fmt: skip
    return PointerRecord("CA", "D1", identity, Card(card_type, real_id, status))


def test_the_default_policy_admits_everything_and_strips_nothing() -> None:
    policy = UploadPolicy()
    for card_type in CardType:
        for status in Status:
            r = record(card_type, False, status)
            assert policy.admits(r)
            assert policy.strip(r) == r
            assert policy.violations(r) == []


def test_real_id_only_keeps_other_cards_home() -> None:
    policy = UploadPolicy(real_id_only=True)
    assert policy.admits(record(real_id=True))
    assert not policy.admits(record(real_id=False))
    assert [e.field for e in policy.refusals(record(real_id=False))] == ["real_id"]


def test_card_types_and_statuses_filter() -> None:
    policy = UploadPolicy(card_types=frozenset({CardType.DL, CardType.CDL}),
                          statuses=frozenset({Status.ACTIVE}))  # fmt: skip
    assert policy.admits(record(CardType.CDL))
    refused = policy.refusals(record(CardType.ID, status=Status.EXPIRED))
    assert {e.field for e in refused} == {"card_type", "status"}
    assert "admits only CDL, DL" in refused[0].message


def test_strip_removes_exactly_the_withheld_fields() -> None:
    policy = UploadPolicy(fields=frozenset({OptionalField.SEX}))
    stripped = policy.strip(record()).identity
    assert (stripped.middle_name, stripped.suffix, stripped.aka_names, stripped.ssn) == \
        ("", "", (), None)  # fmt: skip
    assert stripped.sex is Sex.FEMALE
    assert (stripped.first_name, stripped.last_name, stripped.dob) == \
        ("Maria", "Lopez", date(1980, 3, 5))  # fmt: skip


@pytest.mark.parametrize("withheld", list(OptionalField))
def test_the_hub_refuses_a_withheld_field_and_accepts_the_stripped_record(
    withheld: OptionalField,
) -> None:
    policy = UploadPolicy(fields=frozenset(OptionalField) - {withheld})
    assert [e.field for e in policy.violations(record())] == [withheld.value]
    assert policy.violations(policy.strip(record())) == []


def test_a_refused_card_is_a_violation_too() -> None:
    policy = UploadPolicy(real_id_only=True)
    assert [e.field for e in policy.violations(record(real_id=False))] == ["real_id"]


def test_json_round_trip_and_defaults_for_missing_keys() -> None:
    policy = UploadPolicy(frozenset({CardType.DL}), True, frozenset({Status.ACTIVE}),
                          frozenset({OptionalField.SSN}))  # fmt: skip
    assert UploadPolicy.from_dict(policy.to_dict()) == policy
    assert UploadPolicy.from_dict({}) == UploadPolicy()
    with pytest.raises(ValueError):
        UploadPolicy.from_dict({"fields": ["legal_presence"]})
