"""Scoring pairs of records with the hub's engine, all pairs of a chunk at once.

The hub scores an inquiry against stored pointers with :func:`lpx.domain.linkage.rank`
(the inquiry's swapped reading, the pointer's AKAs), through the array engine
:mod:`lpx.domain.vectorized`. A dedupe pair has no inquiry side, so we score both
directions, each exactly as the hub would, and keep the higher weight: the pair's weight
is what the better-placed state's search would have seen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.vectorized import Levels, levels, weight_table, weights
from lpx.linkage.columns import RecordColumns

CHUNK = 20_000  # pairs per array pass: small temporary string columns stay in the heap
WORKERS = min(os.cpu_count() or 1, 4)
T = TypeVar("T")


class Weights:
    """The model with its per-level weight table built once for a run."""

    def __init__(self, model: MatchModel) -> None:
        self.model = model
        self.table = weight_table(model)


def _chunks(fn: Callable[[slice], T], size: int) -> list[T]:
    """``fn`` over consecutive slices of ``CHUNK`` pairs, on every core: numpy's array
    passes and rapidfuzz's ``cpdist`` release the GIL, so chunks overlap."""
    spans = [slice(i, i + CHUNK) for i in range(0, size, CHUNK)]
    if len(spans) <= 1 or WORKERS <= 1:
        return [fn(s) for s in spans]
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(fn, spans))


def pair_levels(records: RecordColumns, a: NDArray[np.int64], b: NDArray[np.int64]) -> Levels:
    """Each field's level for the pairs ``(a[i], b[i])``, ``a`` as the inquiry side."""
    arrays = records.arrays
    _with_profiles(records, a, b)
    out = _chunks(lambda s: levels(arrays.take(a[s]), arrays.take(b[s])), len(a))
    if len(out) == 1:
        return out[0]
    return {f: np.concatenate([p[f] for p in out]) if out else np.empty(0, np.int8)
            for f in FIELDS}  # fmt: skip


def _with_profiles(records: RecordColumns, a: NDArray[np.int64], b: NDArray[np.int64]) -> None:
    """Build the profile objects the scalar name comparison reads: rows where either side
    carries AKAs or more surname parts than the arrays hold (a superset of what
    :func:`~lpx.domain.vectorized.levels` sends the scalar way)."""
    arrays = records.arrays
    special = arrays.has_aka | arrays.name.many_parts | arrays.swapped.many_parts
    rows = special[a] | special[b]
    if rows.any():
        records.ensure_profiles(np.concatenate([a[rows], b[rows]]))


def score_pairs(
    records: RecordColumns, a: NDArray[np.int64], b: NDArray[np.int64], weights_: Weights
) -> NDArray[np.float64]:
    """Match weights of the pairs ``(a[i], b[i])``: the better of the two search directions."""
    arrays, model, table = records.arrays, weights_.model, weights_.table
    _with_profiles(records, a, b)
    name = records.straight
    # Both names equal: both directions read them straight and agree (exact, exact, same),
    # and every other field compares symmetrically, so one direction is the pair's weight.
    one_way = (name.first[a] == name.first[b]) & (name.last[a] == name.last[b])

    def chunk(s: slice) -> NDArray[np.float64]:
        pa_, pb = arrays.take(a[s]), arrays.take(b[s])
        forward = weights(levels(pa_, pb), model, pb, table)
        back = np.flatnonzero(~one_way[s])
        if len(back):
            qa, qb = pa_.take(back), pb.take(back)
            forward[back] = np.maximum(forward[back], weights(levels(qb, qa), model, qa, table))
        return forward

    out = _chunks(chunk, len(a))
    return np.concatenate(out) if out else np.empty(0)
