"""The in-memory generator: exact counts, determinism, valid rows, and errors as configured."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import fields, replace
from datetime import date
from functools import lru_cache

import jellyfish
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from synth_checks import check_row

from lpx.synth import DEFAULT_STATES, ERROR_TYPES, ErrorRates, SynthRecord, generate
from lpx.synth.names import nicknames_for

N = 20_000


@lru_cache(maxsize=1)
def sample() -> tuple[SynthRecord, ...]:
    return tuple(generate(N, seed=7))


def test_exact_count_and_states() -> None:
    for count in (0, 1, 2, 3, 101, 1000):
        records = list(generate(count, seed=count))
        assert len(records) == count
        assert {r.state for r in records} <= set(DEFAULT_STATES)
    assert {r.state for r in sample()} == set(DEFAULT_STATES)


def test_same_seed_same_stream_other_seed_differs() -> None:
    a = [(r.state, r.person, r.row, r.errors) for r in generate(2000, seed=11)]
    b = [(r.state, r.person, r.row, r.errors) for r in generate(2000, seed=11)]
    c = [(r.state, r.person, r.row, r.errors) for r in generate(2000, seed=12)]
    assert a == b
    assert a != c
    assert sum(x[2] == y[2] for x, y in zip(a, c, strict=True)) < 20


def test_every_row_is_valid_and_ids_unique_per_state() -> None:
    seen: set[tuple[str, str]] = set()
    for rec in sample():
        check_row(rec.row)
        key = (rec.state, rec.row["record_id"])
        assert key not in seen
        seen.add(key)
        assert set(rec.errors) <= set(ERROR_TYPES)


def test_state_styles_of_record_ids() -> None:
    ids: dict[str, list[str]] = defaultdict(list)
    for rec in sample()[:3000]:
        ids[rec.state].append(rec.row["record_id"])
    assert all(len(x) == 8 and x[0].isalpha() and x[1:].isdigit() for x in ids["CA"])
    assert all(len(x) == 9 and x.isdigit() for x in ids["NY"])
    assert all(len(x) == 8 and x.isdigit() for x in ids["TX"])
    assert all(len(x) == 17 and x.count("-") == 4 for x in ids["FL"])
    assert all(len(x) == 14 and x.count("-") == 2 for x in ids["IL"])


def test_people_records_and_population_traits() -> None:
    per_person = Counter(r.person for r in sample())
    people = len(per_person)
    multi = sum(1 for n in per_person.values() if n > 1) / people
    assert 0.24 < multi < 0.36  # default multi_state 0.30 plus a few same-state second cards
    assert max(per_person.values()) <= 4
    states_of: dict[str, list[str]] = defaultdict(list)
    for r in sample():
        states_of[r.person].append(r.state)
    same_state = sum(1 for s in states_of.values() if len(s) != len(set(s)))
    assert same_state > 0.005 * people  # DL + ID in one state
    statuses = Counter(r.row["status"] for r in sample())
    assert statuses["active"] > 0.6 * N
    assert statuses["cancelled"]
    assert statuses["surrendered"]
    assert statuses["revoked"]
    sexes = Counter(r.row["sex"] for r in sample())
    assert sexes["F"] > 0.4 * N
    assert sexes["M"] > 0.4 * N
    assert sexes["X"] > 0
    assert sum(r.row["real_id"] == "true" for r in sample()) > 0.2 * N
    assert sum(r.row["card_type"] == "CDL" for r in sample()) > 0.02 * N


def test_names_are_a_realistic_mix() -> None:
    lasts = Counter(r.row["last_name"] for r in sample())
    assert lasts.most_common(1)[0][1] < 0.03 * N
    assert len(lasts) > 3000
    assert sum(not r.row["last_name"].isascii() for r in sample()) > 0.01 * N  # Müller, Nguyễn
    assert sum(" " in r.row["last_name"] for r in sample()) > 0.03 * N  # García López
    assert sum(bool(r.row["aka_names"]) for r in sample()) > 0.02 * N
    assert sum(r.row["suffix"] == "Jr" for r in sample()) > 0


def test_look_alike_different_people() -> None:
    by_key: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    by_last_dob: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in sample():
        row = r.row
        by_key[(row["first_name"], row["last_name"], row["dob"])].add(r.person)
        by_last_dob[(row["last_name"], row["dob"])].add(r.person)
    namesakes = sum(1 for s in by_key.values() if len(s) > 1)
    twins = sum(1 for s in by_last_dob.values() if len(s) > 1)
    assert namesakes > 20
    assert twins > namesakes
    juniors = {
        (r.row["first_name"], r.row["last_name"]): r.person
        for r in sample()
        if r.row["suffix"] == "Jr"
    }
    fathers = [
        r
        for r in sample()
        if r.row["suffix"] in ("Sr", "")
        and juniors.get((r.row["first_name"], r.row["last_name"])) not in (None, r.person)
    ]
    assert fathers


def test_no_ssn_fraction_and_placeholder_mix() -> None:
    ssns = [r.row["ssn_last5"] for r in sample()]
    missing = [s for s in ssns if s in ("", "99999")]
    assert 0.06 < len(missing) / N < 0.10
    assert 0.2 < missing.count("99999") / len(missing) < 0.4
    assert not any(s[1:] == "0000" for s in ssns if s)
    none = list(generate(2000, seed=3, rates=ErrorRates(no_ssn=1.0)))
    assert all(r.row["ssn_last5"] in ("", "99999") for r in none)


def _first_flags(records: tuple[SynthRecord, ...]) -> list[bool]:
    seen: set[str] = set()
    flags = []
    for r in records:
        flags.append(r.person not in seen)
        seen.add(r.person)
    return flags


# Lowest share of records on which each error is possible (nicknames need a name that has
# one, a day/month swap needs day <= 12, and so on); the upper bound is the configured rate.
ELIGIBLE = {
    "typo": 0.8,
    "swap_names": 0.6,
    "ssn_typo": 0.7,
    "dob_swap": 0.2,
    "middle_missing": 0.35,
    "middle_initial": 0.25,
    "nickname": 0.2,
    "translit": 0.1,
    "surname_form": 0.04,
}


def test_each_error_occurs_near_its_rate() -> None:
    rates = ErrorRates()
    flags = _first_flags(sample())
    firsts = sum(flags)
    weight = (N - firsts) + rates.first_record_factor * firsts
    counts = Counter(e for r in sample() for e in r.errors)
    for error, eligible in ELIGIBLE.items():
        expected = getattr(rates, error) * weight
        assert eligible * expected * 0.8 < counts[error] < expected * 1.2, (error, counts)
    # later records carry errors far more often than first ones
    later = sum(bool(r.errors) for r, first in zip(sample(), flags, strict=True) if not first)
    first_err = sum(bool(r.errors) for r, first in zip(sample(), flags, strict=True) if first)
    assert later / (N - firsts) > 2 * first_err / firsts
    assert counts["married_name"] > 100


def test_zero_rates_give_clean_records() -> None:
    names = {f.name for f in fields(ErrorRates)} & set(ERROR_TYPES)
    clean = replace(ErrorRates(), **dict.fromkeys(names, 0.0))
    assert not any(r.errors for r in generate(5000, seed=5, rates=clean))


def test_rate_is_respected_when_raised() -> None:
    rates = ErrorRates(typo=0.5, first_record_factor=1.0)
    typos = sum("typo" in r.errors for r in generate(4000, seed=9, rates=rates))
    assert 1700 < typos < 2300


def _pairs() -> dict[str, list[tuple[dict[str, str], dict[str, str]]]]:
    """(clean record, record with exactly one error) of the same person, by error."""
    clean: dict[str, dict[str, str]] = {}
    pairs: dict[str, list[tuple[dict[str, str], dict[str, str]]]] = defaultdict(list)
    for r in sample():
        if not r.errors:
            clean.setdefault(r.person, r.row)
        elif len(r.errors) == 1 and r.person in clean:
            pairs[r.errors[0]].append((clean[r.person], r.row))
    return pairs


def _swap(dob: str) -> str:
    d = date.fromisoformat(dob)
    return date(d.year, d.day, d.month).isoformat()


def test_each_error_is_visible_and_of_its_kind() -> None:
    pairs = _pairs()
    for error in ERROR_TYPES:
        assert len(pairs[error]) >= 3, (error, {k: len(v) for k, v in pairs.items()})
    for a, b in pairs["typo"]:
        d = [
            jellyfish.damerau_levenshtein_distance(a[f], b[f]) for f in ("first_name", "last_name")
        ]
        assert sorted(d) == [0, 1], (a, b)
    for a, b in pairs["nickname"]:
        assert b["first_name"] in nicknames_for(a["first_name"])
    for a, b in pairs["swap_names"]:
        assert (b["first_name"], b["last_name"]) == (a["last_name"], a["first_name"])
    for a, b in pairs["surname_form"]:
        spaced = a["last_name"].replace("-", " ")
        assert b["last_name"] != a["last_name"]
        assert b["last_name"].replace("-", " ") in (spaced, spaced.split(" ")[0])
    for a, b in pairs["translit"]:
        changed = [f for f in ("first_name", "last_name") if a[f] != b[f]]
        assert len(changed) == 1, (a, b)
    for a, b in pairs["dob_swap"]:
        assert b["dob"] == _swap(a["dob"]) != a["dob"]
    for a, b in pairs["ssn_typo"]:
        assert sum(x != y for x, y in zip(a["ssn_last5"], b["ssn_last5"], strict=True)) == 1
    for a, b in pairs["middle_missing"]:
        assert a["middle_name"]
        assert not b["middle_name"]
    for a, b in pairs["middle_initial"]:
        assert b["middle_name"] == a["middle_name"][0]
        assert len(a["middle_name"]) > 1
    for a, b in pairs["married_name"]:
        assert b["last_name"] != a["last_name"]
        assert b["first_name"] == a["first_name"]
        assert b["aka_names"] in ("", f"{a['first_name']} {a['last_name']}")


def test_transliteration_keeps_and_drops_accents() -> None:
    pairs = _pairs()["translit"]
    accents = [
        (a, b)
        for a, b in pairs
        if a["first_name"].isascii() != b["first_name"].isascii()
        or a["last_name"].isascii() != b["last_name"].isascii()
    ]
    assert accents


@pytest.mark.parametrize(
    ("count", "states"),
    [(-1, ["CA"]), (10, []), (10, ["CA", "CA"]), (10, ["California"]), (10, ["ca"])],
)
def test_bad_arguments_fail_at_the_call(count: int, states: list[str]) -> None:
    with pytest.raises(ValueError):
        generate(count, states)


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="typo"):
        ErrorRates(typo=1.5)
    with pytest.raises(ValueError, match="middle"):
        ErrorRates(middle_missing=0.6, middle_initial=0.6)


def test_single_state_still_works() -> None:
    records = list(generate(500, ["WA"], seed=2))
    assert len(records) == 500
    assert {r.state for r in records} == {"WA"}
    assert len({r.row["record_id"] for r in records}) == 500
    for r in records:
        check_row(r.row)


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**63),
    count=st.integers(min_value=0, max_value=80),
    states=st.lists(
        st.sampled_from(["CA", "NY", "TX", "FL", "IL", "WA", "OR"]),
        min_size=1,
        max_size=7,
        unique=True,
    ),
    typo=st.floats(min_value=0.0, max_value=1.0),
    multi=st.floats(min_value=0.0, max_value=1.0),
)
def test_any_seed_and_count_give_valid_rows(
    seed: int, count: int, states: list[str], typo: float, multi: float
) -> None:
    rates = ErrorRates(typo=typo, multi_state=multi, lookalike=0.3)
    records = list(generate(count, states, seed, rates))
    assert len(records) == count
    ids = [(r.state, r.row["record_id"]) for r in records]
    assert len(set(ids)) == count
    for r in records:
        assert r.state in states
        check_row(r.row)
