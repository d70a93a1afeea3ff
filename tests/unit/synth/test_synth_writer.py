"""Streaming file output: layout, truth joining 1:1, atomicity and flat memory."""

from __future__ import annotations

import csv
import gc
import tracemalloc
from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest
from synth_checks import check_row

from lpx.synth import COLUMNS, TRUTH_COLUMNS, ErrorRates, generate, write_files, writer
from lpx.synth.names import name_pools

STATES = ["CA", "NY", "TX", "FL", "IL"]


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert tuple(reader.fieldnames or ()) == COLUMNS or path.name == "truth.csv"
        return list(reader)


def test_files_columns_counts_and_truth_join(tmp_path: Path) -> None:
    ticks: list[int] = []
    summary = write_files(tmp_path, 25_000, STATES, seed=4, progress=ticks.append)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{s}.csv" for s in STATES] + ["truth.csv"]
    )
    assert summary.records == 25_000
    assert ticks[0] == 10_000
    assert ticks[-1] == 25_000
    rows = {s: _read(tmp_path / f"{s}.csv") for s in STATES}
    assert {s: len(r) for s, r in rows.items()} == summary.counts
    with (tmp_path / "truth.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        assert tuple(next(reader)) == TRUTH_COLUMNS
        truth = [tuple(r) for r in reader]
    keys = [(s, r["record_id"]) for s, rs in rows.items() for r in rs]
    assert len(set(keys)) == len(keys) == len(truth)
    assert {(s, rid) for s, rid, _ in truth} == set(keys)
    assert len({p for _, _, p in truth}) == summary.people
    for rs in rows.values():
        for r in rs:
            check_row(r)


def test_files_match_the_generator_and_seed(tmp_path: Path) -> None:
    write_files(tmp_path / "a", 3000, STATES, seed=8)
    write_files(tmp_path / "b", 3000, STATES, seed=8)
    write_files(tmp_path / "c", 3000, STATES, seed=9)
    for name in ("CA.csv", "truth.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
        assert (tmp_path / "a" / name).read_bytes() != (tmp_path / "c" / name).read_bytes()
    expected = Counter(tuple(r.row[c] for c in COLUMNS) for r in generate(3000, STATES, 8))
    written = Counter(
        tuple(r[c] for c in COLUMNS) for s in STATES for r in _read(tmp_path / "a" / f"{s}.csv")
    )
    assert written == expected


def test_rows_are_shuffled_within_a_state(tmp_path: Path) -> None:
    """Row order must not reveal identity: person ids along a file are not sorted."""
    write_files(tmp_path, 20_000, STATES, seed=2)
    truth = _read(tmp_path / "truth.csv")
    person = {(t["state"], t["record_id"]): t["person"] for t in truth}
    ca = [person[("CA", r["record_id"])] for r in _read(tmp_path / "CA.csv")]
    ascending = sum(a < b for a, b in pairwise(ca))
    assert 0.35 < ascending / len(ca) < 0.65


def test_bad_arguments_write_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two capital letters"):
        write_files(tmp_path / "out", 10, ["CA", "Texas"])
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="between 0 and 1"):
        write_files(tmp_path / "out", 10, STATES, rates=ErrorRates(no_ssn=2.0))


def test_a_failed_run_leaves_no_files(tmp_path: Path) -> None:
    def boom(done: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_files(tmp_path, 20_000, STATES, progress=boom)
    assert list(tmp_path.iterdir()) == []


def _peak(tmp_path: Path, count: int) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        write_files(tmp_path / str(count), count, STATES, seed=3)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_does_not_grow_with_count(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten times the records, about the same peak: nothing is kept per record or person.

    tracemalloc makes generation ~25x slower, so the shuffle buffer is shrunk to let small
    counts reach the steady state.
    """
    monkeypatch.setattr(writer, "SHUFFLE_BUFFER", 32)
    name_pools()  # built once per process; not part of the per-record footprint
    # Fill the bounded spelling caches first, untraced, so that only per-record growth shows.
    write_files(tmp_path / "warm", 30_000, STATES, seed=3)
    small = _peak(tmp_path, 3_000)
    large = _peak(tmp_path, 30_000)
    # 30,000 records kept would cost several MB; the file buffers (~6 MB) are in both peaks.
    assert large < small + 1_000_000, (small, large)
