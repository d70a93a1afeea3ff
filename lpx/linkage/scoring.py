"""Scoring pairs of records with the hub's engine, all pairs of a chunk at once.

The hub scores an inquiry against stored pointers with :func:`lpx.domain.linkage.rank`
(the inquiry's swapped reading, the pointer's AKAs), through the array engine
:mod:`lpx.domain.vectorized`. A dedupe pair has no inquiry side, so we score both
directions, each exactly as the hub would, and keep the higher weight: the pair's weight
is what the better-placed state's search would have seen. Levels come from the records'
integer codes (:mod:`lpx.linkage.coded`), which give the array engine's levels exactly;
the two directions are compared together (``coded.both_ways``), sharing what they have in
common.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.vectorized import Levels, weight_table
from lpx.linkage import coded
from lpx.linkage.columns import RecordColumns

CHUNK = 200_000  # pairs per array pass: a few int64 columns of it at a time
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
    out = _chunks(lambda s: coded.levels(records.codes, a[s], b[s]), len(a))
    if len(out) == 1:
        return out[0]
    return {f: np.concatenate([p[f] for p in out]) if out else np.empty(0, np.int8)
            for f in FIELDS}  # fmt: skip


def score_pairs(
    records: RecordColumns, a: NDArray[np.int64], b: NDArray[np.int64], weights_: Weights
) -> NDArray[np.float64]:
    """Match weights of the pairs ``(a[i], b[i])``: the better of the two search directions."""
    c = records.codes
    weigh = coded.CodedWeights(weights_.model, c)
    # Both names equal: both directions read them straight and agree (exact, exact, same),
    # and every other field compares symmetrically, so one direction is the pair's weight.
    one_way = (c.first[a] == c.first[b]) & (
        c.surnames.last[c.last[a]] == c.surnames.last[c.last[b]]
    )

    def chunk(s: slice) -> NDArray[np.float64]:
        x, y = a[s], b[s]
        one = one_way[s]
        out = np.empty(len(x))
        rows = np.flatnonzero(one)
        out[rows] = weigh(coded.levels(c, x[rows], y[rows]), c, y[rows])
        rows = np.flatnonzero(~one)
        if len(rows):
            qa, qb = x[rows], y[rows]
            there, back = coded.both_ways(c, qa, qb)
            out[rows] = np.maximum(weigh(there, c, qb), weigh(back, c, qa))
        return out

    out = _chunks(chunk, len(a))
    return np.concatenate(out) if out else np.empty(0)
