"""Blocking: each error a single field can carry still leaves one shared key."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpx.domain.blocking import (
    KeyHasher,
    _last_phonetics,
    hash_key,
    inquiry_keys,
    pointer_keys,
    swapped_day_month,
)
from lpx.domain.names import phonetic
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, SsnTokens

SSN = SsnTokens("a" * 32, tuple(c * 32 for c in "0123"))
STORED = Identity("William", "Garcia Lopez", date(1980, 3, 5), ssn=SSN,
                  aka_names=("William Ortiz",))  # fmt: skip


def shares_a_key(probe: Identity, stored: Identity = STORED) -> bool:
    return bool(inquiry_keys(MatchProfile.of(probe)) & pointer_keys(MatchProfile.of(stored)))


@pytest.mark.parametrize(
    "probe",
    [
        Identity("William", "Garcia Lopez", date(1980, 3, 5)),  # exact
        Identity("Bill", "Garcia Lopez", date(1980, 3, 5)),  # nickname
        Identity("William", "Garcia", date(1980, 3, 5)),  # one of two surnames
        Identity("William", "Lopez", date(1980, 3, 5)),  # the other one
        Identity("William", "Smith", date(1980, 3, 5)),  # married name: first name + dob
        Identity("William", "Ortiz", date(1980, 3, 5)),  # a known AKA surname
        Identity("William", "Garcia Lopez", date(1980, 5, 3)),  # day/month swapped
        Identity("William", "Garcia Lopez", date(1981, 3, 5)),  # one digit of the year off
        Identity("Garcia Lopez", "William", date(1980, 3, 5)),  # first/last swapped
        Identity("Wiliam", "Garcia Lopez", date(1980, 3, 5)),  # first name typo
        Identity("Zed", "Quux", date(1980, 9, 9), ssn=SSN),  # names and day wrong, SSN right
    ],
)
def test_single_field_errors_keep_a_shared_key(probe: Identity) -> None:
    assert shares_a_key(probe)


def test_a_different_person_shares_no_key() -> None:
    assert not shares_a_key(Identity("Olga", "Petrova", date(1990, 11, 30)))


def test_swapped_day_month() -> None:
    assert swapped_day_month(date(1980, 3, 5)) == date(1980, 5, 3)
    assert swapped_day_month(date(1980, 3, 13)) is None  # no 13th month
    assert swapped_day_month(date(1980, 4, 4)) is None  # same date


def test_hashed_keys_depend_on_the_index_key() -> None:
    a, b = hash_key(b"k1" * 16, "L|KRS|1980-03-05"), hash_key(b"k2" * 16, "L|KRS|1980-03-05")
    assert a != b
    assert -(2**63) <= a < 2**63
    assert hash_key(b"k1" * 16, "L|KRS|1980-03-05") == a


@pytest.mark.parametrize(
    "probe",
    [
        Identity("Wilma", "Garsia", date(1980, 3, 5)),  # both names misspelt (P)
        Identity("William", "Gomez", date(1980, 3, 9)),  # surname and day wrong (R)
        Identity("Zed", "Garcia Lopez", date(1975, 1, 1), ssn=SSN),  # first + DOB wrong (H)
        Identity("William", "Quux", date(1975, 1, 1), ssn=SSN),  # last + DOB wrong (G)
        Identity("Wiliamz", "Quux", date(1980, 3, 5)),  # first misspelt, last wrong (A)
        Identity("Zed", "Gaxzia", date(1975, 1, 1), ssn=SSN),  # first, DOB wrong, typo (K)
    ],
)
def test_two_field_errors_keep_a_shared_key(probe: Identity) -> None:
    assert shares_a_key(probe)


def test_unknown_dob_still_blocks_on_ssn_and_names() -> None:
    stored = MatchProfile.of(STORED, dob_known=False)
    probe = MatchProfile.of(Identity("William", "Garcia Lopez", date(1980, 3, 5), ssn=SSN))
    keys = pointer_keys(stored)
    assert keys
    assert not any(date(1980, 3, 5).isoformat() in k for k in keys)
    assert inquiry_keys(probe) & keys


@pytest.mark.parametrize(
    "probe",
    [
        Identity("William", "Garcia Lopez", date(1950, 1, 1)),  # names only (U)
        Identity("Wiliamz", "Garcia Lopez", date(1950, 1, 1)),  # first name misspelt (U)
        Identity("William", "Garzia", date(1950, 1, 1)),  # surname misspelt (U)
        Identity("Zed", "Quux", date(1950, 1, 1), ssn=SSN),  # SSN only (V)
    ],
)
def test_a_pointer_without_dob_is_found_by_names_or_ssn_alone(probe: Identity) -> None:
    stored = MatchProfile.of(STORED, dob_known=False)
    assert inquiry_keys(MatchProfile.of(probe)) & pointer_keys(stored)


def test_only_pointers_without_dob_get_the_dob_free_keys() -> None:
    """On the hub every pointer has a DOB: the U and V blocks stay empty there, so no block
    holds everyone with a common name."""
    known = pointer_keys(MatchProfile.of(STORED))
    assert not any(k.startswith(("U|", "V|")) for k in known)
    unknown = pointer_keys(MatchProfile.of(STORED, dob_known=False))
    assert any(k.startswith("U|") for k in unknown)
    assert any(k.startswith("V|") for k in unknown)
    assert not shares_a_key(Identity("William", "Garcia Lopez", date(1950, 1, 1)))


def test_the_hub_can_leave_out_the_dob_free_probes() -> None:
    probe = MatchProfile.of(Identity("William", "Garcia Lopez", date(1980, 3, 5), ssn=SSN))
    online = inquiry_keys(probe, dob_free=False)
    assert not any(k.startswith(("U|", "V|")) for k in online)
    assert online < inquiry_keys(probe)
    assert online & pointer_keys(MatchProfile.of(STORED))


def test_key_hasher_equals_hash_key_per_key() -> None:
    keys = ["L|KRS|1980-03-05", "F|WLM|1980-03-05", ""]
    assert KeyHasher(b"k1" * 16)(keys) == frozenset(hash_key(b"k1" * 16, k) for k in keys)
    assert KeyHasher(b"k1" * 16)(keys) != KeyHasher(b"k2" * 16)(keys)


@given(st.text(alphabet="abcdeéñ -'hkstwx", max_size=20))
def test_a_surnames_phonetics_are_its_own_and_each_parts(last: str) -> None:
    """A one-part surname's phonetic is taken from the profile, not encoded again: the
    result must be what encoding every part gives."""
    profile = MatchProfile.of(Identity("Ann", last, date(1980, 3, 5)))
    n = profile.name
    assert _last_phonetics(profile) == {n.last_phonetic, *map(phonetic, n.last_parts)}
