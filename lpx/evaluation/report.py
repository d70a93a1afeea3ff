"""Accuracy of the batch engine on a dataset: at the configured thresholds and at best F1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import MatchModel
from lpx.evaluation.datasets import Dataset, RecordKey
from lpx.evaluation.metrics import PairMetrics, best_f1, confusion, sweep
from lpx.linkage.batch import Linkage, Progress, dedupe


@dataclass(frozen=True, slots=True)
class ErrorRecall:
    """True pairs touched by one error type: how many, how many blocked, how many found."""

    pairs: int
    blocked: int
    found: int

    @property
    def recall(self) -> float:
        return self.found / self.pairs if self.pairs else 1.0


@dataclass(frozen=True, slots=True)
class Evaluation:
    name: str
    records: int
    candidates: int
    true_pairs: int
    blocked_true: int
    dob_missing: int
    metrics: dict[str, PairMetrics]  # "match", "match+possible", "best F1"
    seconds: dict[str, float]
    by_error: dict[str, ErrorRecall] = field(default_factory=dict)
    sweep: list[PairMetrics] = field(default_factory=list)  # match+possible at other cuts

    @property
    def blocking_recall(self) -> float:
        return self.blocked_true / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.name, "records": self.records, "candidates": self.candidates,
            "true_pairs": self.true_pairs, "blocking_recall": self.blocking_recall,
            "dob_missing": self.dob_missing, "seconds": self.seconds,
            "metrics": {k: m.as_dict() for k, m in self.metrics.items()},
            "recall_by_error": {k: {"pairs": e.pairs, "blocked": e.blocked, "found": e.found,
                                    "recall": e.recall} for k, e in self.by_error.items()},
            "sweep": [m.as_dict() for m in self.sweep],
        }  # fmt: skip


def truth_codes(
    data: Dataset, linkage: Linkage
) -> tuple[NDArray[np.int64], dict[int, tuple[RecordKey, RecordKey]]]:
    """The true pairs as unique codes ``a * n + b`` over the linkage's record indexes."""
    r = linkage.records
    index = {(r.files[s], rid): i for i, (s, rid) in enumerate(zip(r.source, r.record_ids,
                                                                     strict=True))}  # fmt: skip
    n = len(r)
    by_code: dict[int, tuple[RecordKey, RecordKey]] = {}
    for x, y in data.truth:
        i, j = index[x], index[y]
        by_code[min(i, j) * n + max(i, j)] = (x, y)
    return np.array(sorted(by_code), dtype=np.int64), by_code


def _by_error(
    data: Dataset, by_code: dict[int, tuple[RecordKey, RecordKey]],
    blocked: set[int], found: set[int],
) -> dict[str, ErrorRecall]:  # fmt: skip
    counts: dict[str, list[int]] = {}
    for code, (x, y) in by_code.items():
        kinds = set(data.errors.get(x, ())) | set(data.errors.get(y, ())) or {"(none)"}
        for kind in kinds:
            c = counts.setdefault(kind, [0, 0, 0])
            c[0] += 1
            c[1] += code in blocked
            c[2] += code in found
    return {k: ErrorRecall(*v) for k, v in sorted(counts.items())}


def evaluate(
    data: Dataset,
    model: MatchModel | None = None,
    *,
    decoys: bool = True,
    progress: Progress | None = None,
    thresholds: Sequence[float] = (),
) -> Evaluation:
    """Link ``data`` with the batch engine, keeping every candidate's weight, and score it.

    Without ``model`` the model is estimated from the data itself (no labels), as
    ``lpx dedupe`` does; the metrics use that model's thresholds. ``thresholds`` adds the
    counts at those other cuts (``sweep``), to choose the thresholds from.
    """
    linkage = dedupe(data.files, model, decoys=decoys, link_only=data.link_only,
                     keep_all=True, progress=progress)  # fmt: skip
    model = linkage.model
    truth, by_code = truth_codes(data, linkage)
    codes = linkage.a * len(linkage.records) + linkage.b  # a < b, distinct from the join
    is_true = np.isin(codes, truth)
    w = linkage.weight
    metrics = {
        "match": confusion(codes[w >= model.match_threshold], truth, model.match_threshold),
        "match+possible": confusion(
            codes[w >= model.possible_threshold], truth, model.possible_threshold
        ),
        "best F1": best_f1(w, is_true, len(truth)),
    }
    by_error: dict[str, ErrorRecall] = {}
    if data.errors:
        found = codes[is_true & (w >= model.possible_threshold)]
        by_error = _by_error(data, by_code, set(codes[is_true].tolist()), set(found.tolist()))
    return Evaluation(data.name, len(linkage.records), linkage.candidates, len(truth),
                      int(is_true.sum()), sum(linkage.records.dob_missing), metrics,
                      linkage.seconds, by_error,
                      sweep(w, is_true, len(truth), thresholds))  # fmt: skip
