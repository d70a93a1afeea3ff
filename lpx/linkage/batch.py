"""``dedupe``: one or more license files in, scored duplicate pairs out.

Stages: profile every record into columns, once (:mod:`lpx.linkage.columns`), estimate the
model from the records themselves when none is given (:mod:`lpx.linkage.training`), block
with the hub's keys as DuckDB joins (:mod:`lpx.linkage.candidates`), score every candidate
pair with the hub's array engine (:mod:`lpx.linkage.scoring`), and keep the pairs the
model classes as ``match`` or ``possible``.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lpx.client.keys import NetworkKeys
from lpx.domain.model import MatchModel
from lpx.domain.training import STEPS
from lpx.linkage.candidates import candidate_pairs, connection
from lpx.linkage.columns import RecordColumns, read_columns
from lpx.linkage.scoring import Weights, score_pairs
from lpx.linkage.training import train

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

    records: RecordColumns
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


def _cpu() -> float:
    """CPU seconds of this process's threads and of its ended child processes (reading
    hands work to one: :func:`lpx.linkage.columns.read_columns`)."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


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
    started, cpu = time.perf_counter(), _cpu()
    clock = [started, cpu]

    def lap(stage: str) -> None:
        """Wall and CPU seconds (all threads and helper processes) of the stage that just
        ended."""
        now, now_cpu = time.perf_counter(), _cpu()
        seconds[stage], seconds[f"{stage}_cpu"] = now - clock[0], now_cpu - clock[1]
        clock[:] = [now, now_cpu]

    def report(stage: str, total: int | None = None) -> Callable[[int], None]:
        return lambda done: progress(stage, done, total) if progress is not None else None

    records = read_columns(files, keys, decoys=decoys, progress=report("Reading"))
    lap("read")

    def block() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        with connection(memory_limit) as con:
            return candidate_pairs(con, records, link_only)

    # Blocking (DuckDB and large numpy passes, mostly outside the GIL) runs beside training:
    # neither writes what the other reads, and together they keep two cores busy. "train"
    # is then training's wall time and "block" the wait for blocking after it (the CPU
    # seconds of the overlap count under "train").
    with ThreadPoolExecutor(1) as pool:
        report("Blocking")(0)
        blocking = pool.submit(block)
        if model is None:
            model = MatchModel()
            if len(records) >= MIN_TRAINING_RECORDS:
                model = train(records, model, version="from-files",
                              progress=report("Training", STEPS))  # fmt: skip
            lap("train")
        a, b = blocking.result()
    lap("block")
    report("Scoring", len(a))(0)
    w = score_pairs(records, a, b, Weights(model))
    report("Scoring", len(a))(len(a))
    keep = slice(None) if keep_all else w >= model.possible_threshold
    lap("score")
    seconds["total"] = time.perf_counter() - started
    seconds["total_cpu"] = _cpu() - cpu
    return Linkage(records, a[keep], b[keep], w[keep], len(a), model, seconds)
