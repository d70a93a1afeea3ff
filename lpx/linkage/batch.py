"""``dedupe``: one or more license files in, scored duplicate pairs out.

Stages: profile every record (:mod:`lpx.linkage.records`), estimate the model from the
records themselves when none is given (:mod:`lpx.domain.training`), block with the hub's
keys in DuckDB (:mod:`lpx.linkage.candidates`), score each candidate pair with the hub's
engine (:mod:`lpx.linkage.scoring`) in chunks, and keep the pairs the model classes as
``match`` or ``possible``. Only the kept pairs are held in memory, as three numpy arrays.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lpx.client.keys import NetworkKeys
from lpx.domain.model import MatchModel
from lpx.domain.training import STEPS, train_model
from lpx.linkage.candidates import candidate_pairs, connection, load_keys
from lpx.linkage.records import RecordTable, read_records
from lpx.linkage.scoring import Weights, record_arrays, score_chunk

OUTPUT_COLUMNS = ("record_id_a", "file_a", "record_id_b", "file_b", "weight", "probability",
                  "class")  # fmt: skip
# Progress: (stage, done, total); total is None while it is not yet known.
Progress = Callable[[str, int, int | None], None]
# Below this many records EM has too few pairs to learn from: the built-in model is used.
MIN_TRAINING_RECORDS = 1000


@dataclass(frozen=True, slots=True)
class PairRow:
    record_id_a: str
    file_a: str
    record_id_b: str
    file_b: str
    weight: float
    probability: float
    match_class: str


@dataclass(frozen=True, slots=True)
class Linkage:
    """The outcome of a run: the records, the kept pairs (indexes into records), timings."""

    records: RecordTable
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    weight: NDArray[np.float64]
    candidates: int
    model: MatchModel
    seconds: dict[str, float] = field(default_factory=dict)

    def rows(self) -> Iterator[PairRow]:
        """Pairs of class ``match`` or ``possible``, heaviest first."""
        r, model = self.records, self.model
        for i in np.argsort(-self.weight, kind="stable"):
            w = float(self.weight[i])
            match_class = model.classify(w)
            if match_class is None:
                continue
            x, y = int(self.a[i]), int(self.b[i])
            yield PairRow(r.record_ids[x], r.files[r.source[x]], r.record_ids[y],
                          r.files[r.source[y]], round(w, 3), model.probability(w),
                          match_class)  # fmt: skip

    def write_csv(self, path: Path) -> int:
        """Write :meth:`rows` to ``path``; returns how many pairs were written."""
        count = 0
        with path.open("w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(OUTPUT_COLUMNS)
            for p in self.rows():
                weight, probability = f"{p.weight:.3f}", f"{p.probability:.6g}"
                out.writerow((p.record_id_a, p.file_a, p.record_id_b, p.file_b,
                              weight, probability, p.match_class))  # fmt: skip
                count += 1
        return count


def dedupe(
    files: Sequence[Path],
    model: MatchModel | None = None,
    *,
    decoys: bool = True,
    link_only: bool = False,
    keep_all: bool = False,
    keys: NetworkKeys | None = None,
    memory_limit: str = "2GB",
    progress: Progress | None = None,
) -> Linkage:
    """Find the duplicate pairs within and across ``files`` with the hub's engine.

    Without ``model`` the model is estimated from the records themselves (EM, no labels;
    the built-in thresholds), or is the built-in one for fewer than
    ``MIN_TRAINING_RECORDS`` records.

    ``decoys=False`` leaves a record without SSN without tokens (the SSN level is then
    ``null``) instead of giving it the decoy the loader would send. ``link_only`` skips
    pairs within one file. ``keep_all`` keeps every candidate pair's weight, not only the
    classified ones, for threshold sweeps in evaluation.
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def report(stage: str, total: int | None = None) -> Callable[[int], None]:
        return lambda done: progress(stage, done, total) if progress is not None else None

    records = read_records(files, keys, decoys=decoys, progress=report("Reading"))
    seconds["read"] = time.perf_counter() - started
    arrays = record_arrays(records)
    if model is None:
        mark = time.perf_counter()
        model = MatchModel()
        if len(records) >= MIN_TRAINING_RECORDS:
            model = train_model(records.profiles, model, arrays=arrays, version="from-files",
                                progress=report("Training", STEPS))  # fmt: skip
        seconds["train"] = time.perf_counter() - mark
    kept_a: list[NDArray[np.int64]] = []
    kept_b: list[NDArray[np.int64]] = []
    kept_w: list[NDArray[np.float64]] = []
    weights = Weights(model)
    with connection(memory_limit) as con:
        mark = time.perf_counter()
        load_keys(con, records, report("Blocking", len(records)))
        total, chunks = candidate_pairs(con, link_only)
        seconds["block"] = time.perf_counter() - mark
        mark = time.perf_counter()
        done = 0
        tick = report("Scoring", total)
        tick(0)
        for a, b in chunks:
            w = score_chunk(arrays, a, b, weights)
            keep = slice(None) if keep_all else w >= model.possible_threshold
            kept_a.append(a[keep])
            kept_b.append(b[keep])
            kept_w.append(w[keep])
            done += len(a)
            tick(done)
        seconds["score"] = time.perf_counter() - mark
    seconds["total"] = time.perf_counter() - started
    return Linkage(
        records,
        np.concatenate(kept_a) if kept_a else np.empty(0, np.int64),
        np.concatenate(kept_b) if kept_b else np.empty(0, np.int64),
        np.concatenate(kept_w) if kept_w else np.empty(0, np.float64),
        total,
        model,
        seconds,
    )
