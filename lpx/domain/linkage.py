"""Scoring an inquiry against its candidate block and ranking the result.

``compare`` states the levels of one pair (the reference); ``rank`` scores a whole block
through the array engine (:mod:`lpx.domain.vectorized`), which agrees with ``compare``
level for level. The batch scorer (:mod:`lpx.linkage.scoring`) uses the same engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from lpx.domain.comparison import (
    compare_dob,
    compare_middle,
    compare_sex,
    compare_ssn,
    compare_suffix,
    name_levels,
    ssn_in_context,
)
from lpx.domain.model import MatchModel
from lpx.domain.names import NormalizedName
from lpx.domain.profile import MatchProfile
from lpx.domain.vectorized import ProfileArrays, evidence, levels, weights

MAX_CANDIDATES = 10


@dataclass(frozen=True, slots=True)
class ScoredPair:
    """One candidate with its weight, class and the level each field reached (the evidence)."""

    key: str
    weight: float
    probability: float
    match_class: str
    evidence: dict[str, str]


def best_first(s: ScoredPair) -> tuple[float, str]:
    """The one ranking order of scored candidates: heaviest first, then by key, so equal
    weights rank the same in a search, a batch and a catch-up."""
    return -s.weight, s.key


def compare(a: MatchProfile, swapped_a: NormalizedName, b: MatchProfile) -> dict[str, str]:
    first, last, order = name_levels(a, swapped_a, b)
    dob = compare_dob(a.dob, b.dob)
    return {
        "first_name": first,
        "last_name": last,
        "name_order": order,
        "middle_name": compare_middle(a.name.middle, b.name.middle),
        "suffix": compare_suffix(a.name.suffix, b.name.suffix),
        "dob": dob,
        "sex": compare_sex(a.sex, b.sex),
        "ssn": ssn_in_context(compare_ssn(a, b), first, last, order, dob),
    }


def rank(
    probe: MatchProfile,
    candidates: Iterable[tuple[str, MatchProfile]],
    model: MatchModel,
    limit: int = MAX_CANDIDATES,
) -> list[ScoredPair]:
    """Candidates of class ``match`` or ``possible``, best first, at most ``limit``."""
    keyed = list(candidates)
    if not keyed:
        return []
    others = [p for _, p in keyed]
    b = ProfileArrays.of_candidates(others)
    a = ProfileArrays.of([probe]).take(np.zeros(len(keyed), dtype=np.int64))
    lv = levels(a, b)
    w = weights(lv, model, b)
    scored = []
    for i in np.flatnonzero(w >= model.possible_threshold).tolist():
        weight = float(w[i])
        match_class = model.classify(weight)
        if match_class is not None:
            scored.append(ScoredPair(keyed[i][0], round(weight, 3), model.probability(weight),
                                     match_class, evidence(lv, i)))  # fmt: skip
    scored.sort(key=best_first)
    return scored[:limit]
