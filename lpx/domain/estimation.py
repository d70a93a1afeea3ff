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
the data never shows (no middle names in FEBRL) keeps its default weight.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import FIELDS, MatchModel

MIN_U_COUNT = 10
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
        counts = np.bincount(lv[f], minlength=len(names[f])).astype(np.float64)
        counts[null[f]] = 0
        total = counts.sum()
        u = u0[f].copy()
        thin = (counts < MIN_U_COUNT) | null[f]
        if total > 0 and (~thin).any():
            # Levels with enough pairs share what the thin ones (at their start u) leave.
            room = 1.0 - u0[f][thin & ~null[f]].sum()
            u[~thin] = counts[~thin] / counts[~thin].sum() * room
        out[f] = u
    return out


@dataclass(frozen=True, slots=True)
class EmResult:
    m: Table
    share: float  # λ within the blocked pairs
    iterations: int


def expectation_maximisation(
    lv: Levels, fields: tuple[str, ...], names: dict[str, tuple[str, ...]], model: MatchModel,
    u: Table, *, iterations: int = 50, prior_strength: float = 5.0, tol: float = 1e-6,
) -> EmResult:  # fmt: skip
    """m of ``fields`` (u fixed) and the match share, by EM over the distinct vectors."""
    m, null = _start(model, names, 0), _is_null(names, model)
    m0 = {f: m[f].copy() for f in fields}
    matrix = np.stack([lv[f].astype(np.int64) for f in fields], axis=1)
    vectors, counts = np.unique(matrix, axis=0, return_counts=True)
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
            fitted = (mass + prior_strength * prior) / (mass.sum() + prior_strength)
            change = max(change, float(np.abs(fitted - m[f]).max(initial=0.0)))
            m[f] = np.where(null[f], 1.0, fitted)
        if change < tol:
            break
    return EmResult(m, share, done)


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
