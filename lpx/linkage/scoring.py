"""Scoring candidate pairs with the hub's comparison functions and model weights.

The hub scores an inquiry against stored pointers with :func:`lpx.domain.linkage.compare`
(the inquiry's swapped reading, the pointer's AKAs). A dedupe pair has no inquiry side, so
we score both directions, each exactly as the hub would, and keep the higher weight: the
pair's weight is what the better-placed state's search would have seen.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lpx.domain.linkage import compare
from lpx.domain.model import MatchModel
from lpx.linkage.records import RecordTable


class Weights:
    """``model.weight`` memoized per (field, level): same numbers, no log2 per pair."""

    def __init__(self, model: MatchModel) -> None:
        self.model = model
        self._cache: dict[tuple[str, str], float] = {}

    def total(self, evidence: dict[str, str]) -> float:
        cache = self._cache
        weight = 0.0
        for item in evidence.items():
            w = cache.get(item)
            if w is None:
                w = cache[item] = self.model.weight(*item)
            weight += w
        return weight


def pair_weight(records: RecordTable, a: int, b: int, weights: Weights) -> float:
    """The match weight of records ``a`` and ``b``: the better of the two search directions."""
    pa_, pb = records.profiles[a], records.profiles[b]
    forward = weights.total(compare(pa_, records.swapped(a), pb))
    backward = weights.total(compare(pb, records.swapped(b), pa_))
    return max(forward, backward)


def score_chunk(
    records: RecordTable, a: NDArray[np.int64], b: NDArray[np.int64], weights: Weights
) -> NDArray[np.float64]:
    return np.fromiter(
        (pair_weight(records, int(x), int(y), weights) for x, y in zip(a, b, strict=True)),
        dtype=np.float64,
        count=len(a),
    )
