"""Estimating the model from the records of a run: :func:`lpx.domain.training.train_model`
on columns.

The recipe is the domain's own (:func:`lpx.domain.training.fit_model`: u from random
pairs, m by EM on the pairs of the two training rules, λ, name frequencies); only the
sampling of the rules' block pairs is done with numpy over integer keys instead of a
dictionary of Python lists, and the levels come from the record columns. A test holds
the result equal to ``train_model`` on the same records.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import MatchModel
from lpx.domain.training import DOB_RULE, MAX_GROUP, NAME_RULE, Progress, fit_model
from lpx.linkage.columns import RecordColumns
from lpx.linkage.scoring import pair_levels

Ints = NDArray[np.int64]


def block_pairs(keys: Ints, cap: int, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Every pair within each group of equal ``keys`` (``-1``: no key) of 2 to ``MAX_GROUP``
    members, groups in order of first appearance, then at most ``cap`` of them at random:
    the pairs, in the order, of ``lpx.domain.training._block_pairs``."""
    rows = np.flatnonzero(keys >= 0)
    if len(rows) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    _, first, group, size = np.unique(keys[rows], return_index=True, return_inverse=True,
                                      return_counts=True)  # fmt: skip
    rank = np.empty(len(first), np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    order = rows[np.lexsort((rows, rank[group]))]  # by group rank, then record index
    starts = np.concatenate([[0], np.cumsum(size[np.argsort(rank)])[:-1]])
    sizes = size[np.argsort(rank)]
    parts: list[tuple[Ints, Ints, Ints]] = []
    for s in range(2, MAX_GROUP + 1):
        at = np.flatnonzero(sizes == s)
        if len(at) == 0:
            continue
        members = order[starts[at][:, None] + np.arange(s)]
        x, y = np.triu_indices(s, 1)
        parts.append((np.repeat(at, len(x)), members[:, x].ravel(), members[:, y].ravel()))
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    g = np.concatenate([p[0] for p in parts])
    sort = np.argsort(g, kind="stable")
    aa = np.concatenate([p[1] for p in parts])[sort]
    bb = np.concatenate([p[2] for p in parts])[sort]
    if len(aa) > cap:
        keep = rng.choice(len(aa), cap, replace=False)
        aa, bb = aa[keep], bb[keep]
    return aa, bb


def train(records: RecordColumns, base: MatchModel | None = None, *,
          random_pairs: int = 1_000_000, max_pairs: int = 500_000, seed: int = 1,
          version: str = "trained", progress: Progress | None = None) -> MatchModel:  # fmt: skip
    """Estimate u, m, λ and the name frequency tables from ``records`` (no labels)."""
    s = records.straight
    full = (s.first != 0) & (s.last != 0)
    name_keys = np.where(full, s.first * (int(s.last.max(initial=0)) + 1) + s.last, -1)
    name = records.arrays.name
    return fit_model(
        len(records), lambda a, b: pair_levels(records, a, b),
        ((lambda rng: block_pairs(name_keys, max_pairs, rng), NAME_RULE),
         (lambda rng: block_pairs(records.dob, max_pairs, rng), DOB_RULE)),
        names=lambda: (name.first.tolist(), name.last.tolist()),
        base=base, random_pairs=random_pairs, seed=seed, version=version, progress=progress,
    )  # fmt: skip
