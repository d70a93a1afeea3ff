"""Estimating m and u from the data, without labels (Fellegi-Sunter EM, Splink's recipe).

- u, the chance a level occurs for two different people, is counted on random pairs:
  almost every random pair is a non-match, so no labels are needed.
- m, the chance a level occurs for one person, comes from expectation maximisation over
  the comparison vectors of *blocked* pairs, u held fixed. As in Splink, each training
  rule trains only the fields it does not block on: pairs sharing a full name say nothing
  unbiased about names, but their DOB and SSN levels are a clean two-class mixture.
- The prior λ follows from the names rule: its EM share of matches, scaled by how often
  a true match agrees on both names (m of the exact levels), over all possible pairs.

Counts are smoothed towards the starting model (``prior_strength`` pseudo-pairs for m), and
a level seen on fewer than ``MIN_U_COUNT`` random pairs keeps its starting u, so a level
the data never shows (no middle names in FEBRL) keeps its default weight. m never falls
below ``M_FLOOR`` times its starting value: a level the training data barely shows (no
nicknames in FEBRL, few one-digit DOB slips) must not turn into strong evidence *against*
a match (EM otherwise drives such an m towards 0 and its weight towards minus infinity).

``FIXED_FIELDS`` keep their starting m and u: the name order level is only meaningful
together with the name levels it qualifies (a swapped reading counts only when the names
agree swapped), which breaks the independence EM and random-pair counting assume. For the
same reason the SSN ``conflict`` level (``TIED_U``) takes the u of ``else`` and keeps its
starting m.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import FIELDS, MatchModel

MIN_U_COUNT = 10
M_FLOOR = 0.2
FIXED_FIELDS = frozenset({"name_order"})
# Levels read in the context of other fields (see comparison.ssn_in_context): random pairs
# almost never reach them, and their u is the u of the level they refine. Their m keeps its
# starting share too: the level requires agreement on the very fields the training blocks
# share, so in every block namesakes (same name and DOB, two real SSNs) look like matches
# to EM, which then learns that one person often carries two SSNs.
TIED_U = {("ssn", "conflict"): "else"}
Levels = dict[str, NDArray[np.int8]]
Table = dict[str, NDArray[np.float64]]


def _start(model: MatchModel, names: dict[str, tuple[str, ...]], which: int) -> Table:
    """m (which=0) or u (which=1) per level index; a null level gets 1 (no evidence)."""
    return {f: np.array([model.mu[f][lv][which] if lv in model.mu[f] else 1.0
                         for lv in names[f]]) for f in FIELDS}  # fmt: skip


def _is_null(names: dict[str, tuple[str, ...]], model: MatchModel) -> dict[str, NDArray[np.bool_]]:
    return {f: np.array([lv not in model.mu[f] for lv in names[f]]) for f in FIELDS}


def estimate_u(lv: Levels, names: dict[str, tuple[str, ...]], model: MatchModel) -> Table:
    """u per level from the levels of random pairs."""
    u0, null = _start(model, names, 1), _is_null(names, model)
    out: Table = {}
    for f in FIELDS:
        if f in FIXED_FIELDS:
            out[f] = u0[f]
            continue
        tied = [(names[f].index(lv), names[f].index(to)) for (g, lv), to in TIED_U.items()
                if g == f and lv in names[f]]  # fmt: skip
        counts = np.bincount(lv[f], minlength=len(names[f])).astype(np.float64)
        skip = null[f].copy()
        for level, to in tied:  # counted as the level it refines
            counts[to] += counts[level]
            skip[level] = True
        counts[skip] = 0
        total = counts.sum()
        u = u0[f].copy()
        thin = (counts < MIN_U_COUNT) | skip
        if total > 0 and (~thin).any():
            # Levels with enough pairs share what the thin ones (at their start u) leave.
            room = 1.0 - u0[f][thin & ~skip].sum()
            u[~thin] = counts[~thin] / counts[~thin].sum() * room
        for level, to in tied:
            u[level] = u[to]
        out[f] = u
    return out


@dataclass(frozen=True, slots=True)
class EmResult:
    m: Table
    share: float  # λ within the blocked pairs
    iterations: int



def _distinct_vectors(
    columns: list[NDArray[np.integer]], radix: list[int]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The distinct rows of the level columns, in lexicographic order, and their counts.

    Same result as ``np.unique(np.stack(columns, 1), axis=0, return_counts=True)``; each row
    is coded as one mixed-radix integer first (levels are small), which is ~10x faster.
    """
    code = np.zeros(len(columns[0]) if columns else 0, dtype=np.int64)
    for col, r in zip(columns, radix, strict=True):
        code = code * r + col.astype(np.int64)
    codes, counts = np.unique(code, return_counts=True)
    vectors = np.empty((len(codes), len(columns)), dtype=np.int64)
    for j in range(len(columns) - 1, -1, -1):
        codes, vectors[:, j] = np.divmod(codes, radix[j])
    return vectors, counts

def expectation_maximisation(
    lv: Levels, fields: tuple[str, ...], names: dict[str, tuple[str, ...]], model: MatchModel,
    u: Table, *, iterations: int = 50, prior_strength: float = 5.0, tol: float = 1e-6,
) -> EmResult:  # fmt: skip
    """m of ``fields`` (u fixed) and the match share, by EM over the distinct vectors."""
    fields = tuple(f for f in fields if f not in FIXED_FIELDS)
    m, null = _start(model, names, 0), _is_null(names, model)
    m0 = {f: m[f].copy() for f in fields}
    pinned = {f: np.array([(f, lv) in TIED_U for lv in names[f]]) for f in fields}
    vectors, counts = _distinct_vectors([lv[f] for f in fields], [len(names[f]) for f in fields])
    counts = counts.astype(np.float64)
    share = 0.1
    done = 0
    for done in range(1, iterations + 1):  # noqa: B007 (reported)
        log_ratio = np.zeros(len(vectors))
        for j, f in enumerate(fields):
            log_ratio += np.log(m[f][vectors[:, j]]) - np.log(u[f][vectors[:, j]])
        odds = share / (1 - share) * np.exp(np.clip(log_ratio, -500, 500))
        p = odds / (1 + odds)
        weight = p * counts
        new_share = float(np.clip(weight.sum() / counts.sum(), 1e-9, 1 - 1e-9))
        change = abs(new_share - share)
        share = new_share
        for j, f in enumerate(fields):
            mass = np.bincount(vectors[:, j], weights=weight, minlength=len(names[f]))
            mass[null[f]] = 0
            prior = np.where(null[f], 0.0, m0[f])
            prior = prior / prior.sum() if prior.sum() else prior
            fitted = _floored((mass + prior_strength * prior) / (mass.sum() + prior_strength),
                              prior)  # fmt: skip
            fitted = _pinned(fitted, prior, pinned[f])
            change = max(change, float(np.abs(fitted - m[f]).max(initial=0.0)))
            m[f] = np.where(null[f], 1.0, fitted)
        if change < tol:
            break
    return EmResult(m, share, done)


def _floored(m: NDArray[np.float64], start: NDArray[np.float64]) -> NDArray[np.float64]:
    """m with every level at least ``M_FLOOR`` x its start share; the levels above their
    floor give up the difference in proportion, so m still sums to 1."""
    floor = M_FLOOR * start
    low = m < floor
    rest = m[~low].sum()
    if not low.any() or rest <= 0:
        return m
    out: NDArray[np.float64] = m * (1.0 - floor[low].sum()) / rest
    out[low] = floor[low]
    return out


def _pinned(m: NDArray[np.float64], start: NDArray[np.float64],
            pinned: NDArray[np.bool_]) -> NDArray[np.float64]:  # fmt: skip
    """m with the ``pinned`` levels at their start share, the others scaled to fill the rest."""
    if not pinned.any():
        return m
    free = m[~pinned].sum()
    out: NDArray[np.float64] = m * (1.0 - start[pinned].sum()) / free if free else m.copy()
    out[pinned] = start[pinned]
    return out


def assemble(model: MatchModel, names: dict[str, tuple[str, ...]], u: Table,
             trained: list[tuple[tuple[str, ...], EmResult]], prior: float,
             version: str) -> MatchModel:  # fmt: skip
    """A model from u and the m of each field averaged over the rules that trained it."""
    null = _is_null(names, model)
    mu: dict[str, dict[str, tuple[float, float]]] = {}
    for f in FIELDS:
        ms = [r.m[f] for fields, r in trained if f in fields]
        m = np.mean(ms, axis=0) if ms else _start(model, names, 0)[f]
        mu[f] = {lv: (float(max(m[i], 1e-9)), float(max(u[f][i], 1e-12)))
                 for i, lv in enumerate(names[f]) if not null[f][i]}  # fmt: skip
    return replace(model, mu=mu, prior=float(np.clip(prior, 1e-12, 0.5)), version=version)
