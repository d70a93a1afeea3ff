"""Estimating the model from the records of a run: :func:`lpx.domain.training.train_model`
on columns.

The recipe is the domain's own (:func:`lpx.domain.training.fit_model`: u from random
pairs, m by EM on the pairs of the two training rules, λ, name frequencies); only the
sampling of the rules' block pairs is done with numpy over integer keys instead of a
dictionary of Python lists, and the levels come from the record columns. A test holds
the result equal to ``train_model`` on the same records: a DOB the calendar lacks, which
scoring compares by its digits (:func:`lpx.linkage.records.keyed_digits`), trains as the
unknown DOB its profile holds (:func:`calendar_levels`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import MatchModel
from lpx.domain.training import DOB_RULE, MAX_GROUP, NAME_RULE, Progress, fit_model
from lpx.domain.vectorized import LEVELS, Levels
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
    # One stable sort groups equal keys, each group's members in record order; the groups
    # are then laid out by their first member (their order of first appearance).
    by_key = np.argsort(keys[rows], kind="stable")
    sorted_keys = keys[rows][by_key]
    head = np.flatnonzero(np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]]))
    size = np.diff(np.append(head, len(rows)))
    groups = np.argsort(by_key[head], kind="stable")  # by first member
    sizes = size[groups]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    at = np.repeat(head[groups] - starts, sizes) + np.arange(len(rows))
    order = rows[by_key[at]]  # by group, then record index
    # Pairs in that order are numbered; a sample draws numbers, and only the drawn pairs
    # are built (a common DOB at a million records makes tens of millions of pairs).
    counts = np.where((sizes >= 2) & (sizes <= MAX_GROUP), sizes * (sizes - 1) // 2, 0)
    ends = np.cumsum(counts)
    total = int(ends[-1])
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    pos = rng.choice(total, cap, replace=False) if total > cap else np.arange(total)
    g = np.searchsorted(ends, pos, side="right")
    t = pos - (ends[g] - counts[g])  # the pair's place within its group
    s = sizes[g]
    x, y = np.empty(len(pos), np.int64), np.empty(len(pos), np.int64)
    for m in np.unique(s).tolist():
        at = np.flatnonzero(s == m)
        tx, ty = np.triu_indices(m, 1)  # a group's pairs in row order
        x[at], y[at] = tx[t[at]], ty[t[at]]
    aa, bb = order[starts[g] + x], order[starts[g] + y]
    return aa, bb


def calendar_levels(records: RecordColumns, a: Ints, b: Ints) -> Levels:
    """:func:`pair_levels`, with a DOB the calendar lacks read as unknown, as its profile
    has it: DOB ``null``, and so never the SSN ``conflict`` (which needs the DOB exact;
    ``lpx.domain.comparison.ssn_in_context``). The m and u of the DOB levels are then
    those of real dates, and the model the one ``train_model`` estimates."""
    lv = pair_levels(records, a, b)
    keyed = (records.dob < 0) & (records.compared_dob >= 0)
    rows = keyed[a] | keyed[b]
    if rows.any():
        lv["dob"][rows] = LEVELS["dob"].index("null")
        conflict = rows & (lv["ssn"] == LEVELS["ssn"].index("conflict"))
        lv["ssn"][conflict] = LEVELS["ssn"].index("else")
    return lv


def train(records: RecordColumns, base: MatchModel | None = None, *,
          random_pairs: int = 1_000_000, max_pairs: int = 500_000, seed: int = 1,
          version: str = "trained", progress: Progress | None = None) -> MatchModel:  # fmt: skip
    """Estimate u, m, λ and the name frequency tables from ``records`` (no labels)."""
    s = records.straight
    full = (s.first != 0) & (s.last != 0)
    name_keys = np.where(full, s.first * (int(s.last.max(initial=0)) + 1) + s.last, -1)
    c = records.codes  # each name's string once, shared by its records
    return fit_model(
        len(records), lambda a, b: calendar_levels(records, a, b),
        ((lambda rng: block_pairs(name_keys, max_pairs, rng), NAME_RULE),
         (lambda rng: block_pairs(records.dob, max_pairs, rng), DOB_RULE)),
        names=lambda: (c.givens.text[c.first].tolist(), c.surnames.text[c.last].tolist()),
        base=base, random_pairs=random_pairs, seed=seed, version=version, progress=progress,
    )  # fmt: skip
