"""The array engine agrees level for level with the scalar ``compare`` on random pairs."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.domain.linkage import compare, rank
from lpx.domain.model import MatchModel
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, Sex, SsnTokens
from lpx.domain.vectorized import ProfileArrays, evidence, levels, swapped_name, weights

# Small alphabets and name pools so that exact, nickname, one-of-two and near spellings
# all turn up often, not only "else".
FIRSTS = ["William", "Bill", "Will", "Wiliam", "Margaret", "Peggy", "J", "John", "Jon", "",
          "Mary", "Garcia", "Ann", "Anne"]  # fmt: skip
LASTS = ["Garcia Lopez", "Garcia", "Lopez", "Garcya", "De la Cruz", "Cruz", "Smith", "Smyth",
         "William", "", "Philips", "Fillips", "A B C D"]  # fmt: skip
SSNS = [None, SsnTokens("a" * 32, tuple(c * 32 for c in "0123")),
        SsnTokens("b" * 32, tuple(c * 32 for c in "0129")),
        SsnTokens("c" * 32, tuple(c * 32 for c in "5678"))]  # fmt: skip

identities = st.builds(
    Identity,
    first_name=st.sampled_from(FIRSTS),
    last_name=st.sampled_from(LASTS),
    dob=st.sampled_from([date(1980, 3, 5), date(1980, 5, 3), date(1980, 3, 6),
                         date(1981, 3, 5), date(1980, 11, 20), date(1975, 9, 30),
                         # digit transpositions (1980 -> 1908, 05 -> 50 -> 15/13)
                         date(1908, 3, 5), date(1908, 5, 3), date(1980, 3, 15),
                         date(1980, 5, 13)]),
    middle_name=st.sampled_from(["", "A", "Ann", "Beth"]),
    suffix=st.sampled_from(["", "Jr", "Sr"]),
    sex=st.sampled_from([None, Sex.FEMALE, Sex.MALE]),
    aka_names=st.sampled_from([(), ("Maria Lopez",), ("Smith",)]),
    ssn=st.sampled_from(SSNS),
)  # fmt: skip
profiles = st.tuples(identities, st.booleans()).map(lambda t: MatchProfile.of(t[0], dob_known=t[1]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(profiles, profiles), min_size=1, max_size=30))
def test_array_levels_equal_scalar_compare(pairs: list[tuple[MatchProfile, MatchProfile]]) -> None:
    a = ProfileArrays.of([x for x, _ in pairs])
    b = ProfileArrays.of([y for _, y in pairs])
    lv = levels(a, b)
    for i, (x, y) in enumerate(pairs):
        assert evidence(lv, i) == compare(x, swapped_name(x), y)
    # The candidate side as case opening builds it (no swapped reading of its own), gathered.
    gathered = ProfileArrays.of_candidates([y for _, y in pairs]).take(np.arange(len(pairs)))
    assert gathered.swapped is gathered.name
    assert all(np.array_equal(lv[f], levels(a, gathered)[f]) for f in lv)
    # ... and from the profiles' stored data, as a bulk load opens its candidates.
    stored = ProfileArrays.of_candidate_data([y.to_dict() for _, y in pairs])
    assert all(np.array_equal(lv[f], levels(a, stored)[f]) for f in lv)
    model = MatchModel(tf={"first_name": {y.name.first: 0.01 for _, y in pairs},
                           "last_name": {y.name.last: 0.02 for _, y in pairs}})  # fmt: skip
    assert np.array_equal(weights(lv, model, b), weights(lv, model, stored))


def test_rank_weights_are_the_sum_of_level_weights() -> None:
    model = MatchModel()
    probe = MatchProfile.of(Identity("William", "Garcia", date(1980, 3, 5)))
    near = MatchProfile.of(Identity("Bill", "Garcia", date(1980, 3, 5)))
    far = MatchProfile.of(Identity("Olga", "Petrova", date(1990, 1, 1)))
    (only,) = rank(probe, [("near", near), ("far", far)], model)
    expected = sum(model.weight(f, lv) for f, lv in only.evidence.items())
    assert only.key == "near"
    assert only.weight == round(expected, 3)
    assert only.evidence == compare(probe, swapped_name(probe), near)


def test_empty_block_ranks_nothing() -> None:
    probe = MatchProfile.of(Identity("Ann", "Lee", date(1980, 3, 5)))
    assert rank(probe, [], MatchModel()) == []
    assert len(levels(ProfileArrays.of([probe]), ProfileArrays.of([probe]))["dob"]) == 1
    assert ProfileArrays.of([]).dob.shape == (0,)
    assert ProfileArrays.of_candidates([]).masked.shape == (0, 4)
    assert np.all(ProfileArrays.of([probe]).masked == "")


TF_MODEL = MatchModel(tf={"first_name": {"william": 0.02, "mary": 0.05},
                          "last_name": {"garcia": 0.03, "smith": 0.04}},
                      possible_threshold=-40.0)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(profiles, st.lists(profiles, min_size=1, max_size=31),
       st.sampled_from([MatchModel(), TF_MODEL]))  # fmt: skip
def test_small_block_scorer_equals_array_rank(probe: MatchProfile, block: list[MatchProfile],
                                              model: MatchModel) -> None:  # fmt: skip
    """The online inquiry scores small blocks pair by pair (``rank_few``); what it returns
    (order, weights, probabilities, classes, evidence) is exactly what ``rank`` returns."""
    from lpx.services.matching import rank_few

    keyed = [(f"p{i:02d}", p) for i, p in enumerate(block)]
    assert rank_few(probe, keyed, model, limit=40) == rank(probe, keyed, model, limit=40)
    assert rank_few(probe, keyed, model) == rank(probe, keyed, model)


@settings(max_examples=200, deadline=None)
@given(profiles)
def test_a_stored_profile_reads_back_equal_and_frozen(profile: MatchProfile) -> None:
    """``from_dict`` fills the slots itself (not through ``__init__``): every field set,
    equal to the profile stored, hashable and still frozen."""
    back = MatchProfile.from_dict(profile.to_dict())
    assert back == profile
    assert hash(back) == hash(profile)
    assert hash(back.name) == hash(profile.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.name.last = "x"  # type: ignore[misc]
