"""Pairwise precision, recall and F1, and the threshold that maximizes F1.

Pairs are encoded as one int64 each (``a * n + b`` with ``a < b`` record indexes), so truth
and predictions of millions of pairs compare as sorted numpy arrays, not Python sets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Codes = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class PairMetrics:
    tp: int
    fp: int
    fn: int
    threshold: float | None = None

    @property
    def precision(self) -> float:
        found = self.tp + self.fp
        return self.tp / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.tp + self.fn
        return self.tp / wanted if wanted else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float | int | None]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "threshold": self.threshold,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}  # fmt: skip


def pair_codes(a: NDArray[np.int64], b: NDArray[np.int64], n: int) -> Codes:
    """One sortable code per unordered pair of record indexes below ``n``."""
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return np.unique(lo * n + hi)


def confusion(predicted: Codes, truth: Codes, threshold: float | None = None) -> PairMetrics:
    """Counts for a predicted pair set against the true one (both as unique codes)."""
    tp = int(np.isin(predicted, truth, assume_unique=True).sum())
    return PairMetrics(tp, len(predicted) - tp, len(truth) - tp, threshold)


def best_f1(weights: NDArray[np.float64], is_true: NDArray[np.bool_], n_true: int) -> PairMetrics:
    """The F1-best cut over scored pairs: predict "same" for every weight >= the threshold.

    ``n_true`` counts all true pairs, also those never scored (missed by blocking), so the
    recall here is end to end.
    """
    if len(weights) == 0:
        return PairMetrics(0, 0, n_true, None)
    order = np.argsort(-weights, kind="stable")
    w, t = weights[order], is_true[order].astype(np.int64)
    tp = np.cumsum(t)
    fp = np.arange(1, len(w) + 1) - tp
    # Only the last position of a run of equal weights is a reachable cut.
    last = np.r_[w[1:] != w[:-1], True]
    f1 = np.where(last, 2 * tp / (np.arange(1, len(w) + 1) + n_true), -1.0)
    i = int(np.argmax(f1))
    return PairMetrics(int(tp[i]), int(fp[i]), n_true - int(tp[i]), float(w[i]))


def sweep(weights: NDArray[np.float64], is_true: NDArray[np.bool_], n_true: int,
          thresholds: Sequence[float]) -> list[PairMetrics]:  # fmt: skip
    """Counts at each cut "weight >= threshold": the curve the README's threshold advice
    reads (where precision reaches a target, where recall stops rising). ``n_true`` counts
    unscored true pairs too, as in :func:`best_f1`."""
    order = np.argsort(weights, kind="stable")
    w, t = weights[order], is_true[order].astype(np.int64)
    true_above = np.r_[np.cumsum(t[::-1])[::-1], 0]  # true pairs at index >= i
    out = []
    for threshold in thresholds:
        i = int(np.searchsorted(w, threshold, side="left"))
        tp = int(true_above[i])
        out.append(PairMetrics(tp, len(w) - i - tp, n_true - tp, float(threshold)))
    return out
