"""Estimating the model from the records of a run: :func:`lpx.domain.training.train_model`
on columns.

Same recipe, same samples, same estimators (u from random pairs, m by EM on the pairs of
the two training rules, λ, name frequencies; :mod:`lpx.domain.estimation`); only the
sampling of the rules' block pairs is done with numpy over integer keys instead of a
dictionary of Python lists, and the levels come from the record columns. A test holds
the result equal to ``train_model`` on the same records.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from lpx.domain.estimation import EmResult, assemble, estimate_u, expectation_maximisation
from lpx.domain.frequency import frequency_table
from lpx.domain.model import MatchModel
from lpx.domain.training import _MAX_GROUP, DOB_RULE, NAME_RULE, STEPS, Progress
from lpx.domain.vectorized import LEVELS
from lpx.linkage.columns import RecordColumns
from lpx.linkage.scoring import pair_levels

Ints = NDArray[np.int64]


def block_pairs(keys: Ints, cap: int, rng: np.random.Generator) -> tuple[Ints, Ints]:
    """Every pair within each group of equal ``keys`` (``-1``: no key) of 2 to ``_MAX_GROUP``
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
    for s in range(2, _MAX_GROUP + 1):
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
    base = base or MatchModel()
    n = len(records)
    if n < 2:
        raise ValueError("training needs at least two records")
    tick = progress or (lambda _done: None)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, random_pairs)
    b = (a + rng.integers(1, n, random_pairs)) % n  # never a record with itself
    u = estimate_u(pair_levels(records, a, b), LEVELS, base)
    tick(1)
    s = records.straight
    full = (s.first != 0) & (s.last != 0)
    name_keys = np.where(full, s.first * (int(s.last.max(initial=0)) + 1) + s.last, -1)
    rules = ((name_keys, NAME_RULE), (records.dob, DOB_RULE))
    trained: list[tuple[tuple[str, ...], EmResult]] = []
    counts = []
    for step, (keys, fields) in enumerate(rules, 2):
        pa_, pb = block_pairs(keys, max_pairs, rng)
        if len(pa_):
            lv = pair_levels(records, pa_, pb)
            trained.append((fields, expectation_maximisation(lv, fields, LEVELS, base, u)))
            counts.append(len(pa_))
        tick(step)
    model = assemble(base, LEVELS, u, trained, base.prior, version)
    if trained and trained[0][0] == NAME_RULE:
        # λ: matches among full-name pairs, over the share of matches agreeing on both names.
        agree = model.mu["first_name"]["exact"][0] * model.mu["last_name"]["exact"][0]
        matches = trained[0][1].share * counts[0] / max(agree, 1e-9)
        model = replace(model, prior=float(np.clip(matches / (n * (n - 1) / 2), 1e-12, 0.5)))
    name = records.arrays.name
    first, first_floor = frequency_table(name.first.tolist())
    last, last_floor = frequency_table(name.last.tolist())
    tick(STEPS)
    return replace(model, tf={"first_name": first, "last_name": last},
                   tf_floor={"first_name": first_floor, "last_name": last_floor})  # fmt: skip
