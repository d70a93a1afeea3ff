"""Scoring candidate pairs with the hub's engine, a chunk of pairs at a time.

The hub scores an inquiry against stored pointers with :func:`lpx.domain.linkage.rank`
(the inquiry's swapped reading, the pointer's AKAs), through the array engine
:mod:`lpx.domain.vectorized`. A dedupe pair has no inquiry side, so we score both
directions, each exactly as the hub would, and keep the higher weight: the pair's weight
is what the better-placed state's search would have seen.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import MatchModel
from lpx.domain.vectorized import ProfileArrays, levels, weight_table, weights
from lpx.linkage.records import RecordTable


class Weights:
    """The model with its per-level weight table built once for a run."""

    def __init__(self, model: MatchModel) -> None:
        self.model = model
        self.table = weight_table(model)


def record_arrays(records: RecordTable) -> ProfileArrays:
    """Every record's profile as columns (built once per run, then indexed per chunk)."""
    return ProfileArrays.of(records.profiles, [records.swapped(i) for i in range(len(records))])


def score_chunk(
    records: RecordTable | ProfileArrays, a: NDArray[np.int64], b: NDArray[np.int64],
    weights_: Weights,
) -> NDArray[np.float64]:  # fmt: skip
    """Match weights of the pairs ``(a[i], b[i])``: the better of the two search directions."""
    arrays = records if isinstance(records, ProfileArrays) else record_arrays(records)
    pa_, pb = arrays.take(a), arrays.take(b)
    model, table = weights_.model, weights_.table
    forward = weights(levels(pa_, pb), model, pb, table)
    backward = weights(levels(pb, pa_), model, pa_, table)
    return np.maximum(forward, backward)
