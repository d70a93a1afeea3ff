"""Streaming CSV output: one file per state plus a separate ground-truth file.

Rows go to disk as they are generated. Because the generator emits a person's records
together, each state file passes through a small fixed-size shuffle buffer so that row order
does not give away who is who (a stale duplicate is not simply the row next to its twin).
Files are written under temporary names and renamed only when complete, so a failed run
leaves no half-written file that looks finished.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import IO

from lpx.synth.people import COLUMNS, DEFAULT_STATES, ErrorRates, generate

__all__ = ["SHUFFLE_BUFFER", "TRUTH_COLUMNS", "SynthSummary", "write_files"]

TRUTH_COLUMNS: tuple[str, ...] = ("state", "record_id", "person")
SHUFFLE_BUFFER = 2048  # rows held per state; bounds memory whatever the count
PROGRESS_EVERY = 10_000
_BUFFER_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class SynthSummary:
    """What a run wrote: records per state, distinct people, and how long it took."""

    out_dir: Path
    counts: dict[str, int]
    people: int
    seconds: float
    files: tuple[Path, ...] = field(default=())

    @property
    def records(self) -> int:
        return sum(self.counts.values())


class _ShuffledWriter:
    """Writes rows in a locally random order using a bounded swap-with-last buffer."""

    __slots__ = ("buffer", "rng", "writer")

    def __init__(self, stream: IO[str], rng: Random) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.writer.writerow(COLUMNS)
        self.buffer: list[list[str]] = []
        self.rng = rng

    def add(self, row: list[str]) -> None:
        buffer = self.buffer
        if len(buffer) < SHUFFLE_BUFFER:
            buffer.append(row)
            return
        i = int(self.rng.random() * SHUFFLE_BUFFER)
        self.writer.writerow(buffer[i])
        buffer[i] = row

    def flush(self) -> None:
        self.rng.shuffle(self.buffer)
        self.writer.writerows(self.buffer)
        self.buffer.clear()


def write_files(
    out_dir: Path,
    count: int,
    states: Sequence[str] = DEFAULT_STATES,
    seed: int = 1,
    rates: ErrorRates | None = None,
    progress: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Write ``<STATE>.csv`` for every state and ``truth.csv``, streaming ``count`` records.

    ``progress`` is called with the running record total every 10,000 records and at the end.
    """
    started = time.perf_counter()
    records = generate(count, states, seed, rates)  # validates arguments before touching disk
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    finals = [out_dir / f"{s}.csv" for s in states] + [out_dir / "truth.csv"]
    parts = [p.with_name(p.name + ".part") for p in finals]
    counts = dict.fromkeys(states, 0)
    people = done = 0
    last_person = ""
    rng = Random(f"shuffle:{seed}")
    try:
        with ExitStack() as stack:
            streams = [
                stack.enter_context(
                    p.open("w", encoding="utf-8", newline="", buffering=_BUFFER_BYTES)
                )
                for p in parts
            ]
            writers = {s: _ShuffledWriter(streams[i], rng) for i, s in enumerate(states)}
            truth = csv.writer(streams[-1], lineterminator="\n")
            truth.writerow(TRUTH_COLUMNS)
            for rec in records:
                row = rec.row
                writers[rec.state].add([row[c] for c in COLUMNS])
                truth.writerow((rec.state, row["record_id"], rec.person))
                counts[rec.state] += 1
                if rec.person != last_person:
                    people += 1
                    last_person = rec.person
                done += 1
                if progress is not None and done % PROGRESS_EVERY == 0:
                    progress(done)
            for w in writers.values():
                w.flush()
        for part, final in zip(parts, finals, strict=True):
            part.replace(final)
    except BaseException:
        for part in parts:
            part.unlink(missing_ok=True)
        raise
    if progress is not None:
        progress(done)
    return SynthSummary(out_dir, counts, people, time.perf_counter() - started, tuple(finals))
