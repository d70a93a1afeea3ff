"""Onboarding a state: M new records into a hub already holding N, against Splink's dedupe.

The hub is seeded with N synthetic pointers of five states (``lpx.synth``), then a sixth
state's file of M records (its people partly the same people as the hub's: movers and
holders of cards in several states, with the synth errors) is onboarded the way ``lpx load
--resume`` and the API do it: rows read from the file and tokenized on the state's side,
turned into domain records by the API's own Pydantic schema, and written in an upload
session by ``UploadService.write_batch`` in 1000-row batches, two in flight (``--in-flight``)
and served by two hub processes (``--hub-processes``, as ``lpx serve --workers 2`` runs the
API on this 2-core machine), each batch opening its duplicate cases against every state in
the same transaction. Load
and duplicate detection are timed apart (the case opener is wrapped with a timer). Splink 5
(DuckDB) then deduplicates the same records (the new file plus the hub's records, or as
many as ``--splink-max`` allows) in a subprocess, with the settings of
``benchmarks/vs_splink.py``, and both are scored on the pairs that involve a new record
against the synth ground truth.

Seeding takes the same service path with case opening switched off and 1000-row batches
(the existing states' duplicates among themselves are not what is measured); the output
says so. Target (issue): 1M records onboarded into 5M, duplicates included, in under
10 minutes. Reported, never asserted.

    .venv/bin/python benchmarks/onboarding.py --existing 200000 --new 50000
    .venv/bin/python benchmarks/onboarding.py      # 5M + 1M, PostgreSQL

Seeding 5M takes about 15 minutes here. ``--database NAME --workdir DIR`` keeps the files,
the keys and the seeded hub; a later run with the same options and sizes onboards into a
fresh copy of that hub (``CREATE DATABASE ... TEMPLATE``, prewarmed as a running hub would
be) instead of seeding again; ``--stop-after ROWS`` onboards only the first rows. The run
ends with the same cases cut again at higher possible thresholds.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from bench_hub import (
    blocks_indexed_after,
    clone_database,
    fresh_hub,
    prewarm,
    record_of,
    vacuum_analyze,
)
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import text

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub, build_hub, tune_gc
from lpx.client.files import read_rows
from lpx.client.keys import NetworkKeys
from lpx.client.keys import generate as generate_keys
from lpx.client.loader import fingerprint
from lpx.client.rows import InvalidRow, parse_row
from lpx.config import Settings
from lpx.domain.records import PointerRecord
from lpx.evaluation.metrics import sweep
from lpx.services.errors import Conflict
from lpx.services.pointers import BatchResult
from lpx.services.uploads import BatchStats
from lpx.storage.db import make_engine
from lpx.synth import COLUMNS, DEFAULT_STATES, generate

console = Console(width=None if sys.stdout.isatty() else 160)
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_S = 600.0
BATCH = 1000
SEED_BATCH = 1000  # an audit entry names at most 1000 pointers
HERE = Path(__file__).resolve().parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def server_cpu(hub: Hub) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backends serving this hub's
    database, read from /proc: the machine is shared, so work is reported in CPU time next
    to wall time. 0.0 on SQLite (the work is in this process)."""
    if hub.engine.dialect.name != "postgresql":
        return 0.0
    with hub.engine.connect() as conn:
        pids = conn.execute(text("SELECT pid FROM pg_stat_activity "
                                 "WHERE datname = current_database()")).scalars().all()
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _python_cpu() -> float:
    """CPU seconds of this process and of its finished children (the seed workers)."""
    own, children = (resource.getrusage(r) for r in (resource.RUSAGE_SELF,
                                                      resource.RUSAGE_CHILDREN))  # fmt: skip
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@dataclass(slots=True)
class Clock:
    """Wall, this process's CPU and the database backends' CPU over one phase."""

    hub: Hub
    wall: float = 0.0
    cpu: float = 0.0
    db_cpu: float = 0.0

    def __enter__(self) -> Clock:
        self.wall, self.cpu = time.perf_counter(), _python_cpu()
        self.db_cpu = server_cpu(self.hub)
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = _python_cpu() - self.cpu
        self.db_cpu = server_cpu(self.hub) - self.db_cpu

    def line(self, rows: int) -> str:
        return (f"{self.wall:.1f} s wall ({rows / self.wall:,.0f} rows/s), {self.cpu:.1f} s "
                f"Python CPU + {self.db_cpu:.1f} s PostgreSQL CPU = "
                f"{1e3 * (self.cpu + self.db_cpu) / rows:.2f} ms CPU per row, "
                f"load average {os.getloadavg()[0]:.2f}")


class Milestones:
    """A plain line every ``step`` rows when the output is a log file (no live bar there)."""

    def __init__(self, label: str, step: int) -> None:
        self.label, self.step, self.next = label, step, step
        self.started = time.perf_counter()

    def reached(self, done: int) -> None:
        if done >= self.next and not console.is_terminal:
            elapsed = time.perf_counter() - self.started
            console.print(f"{self.label}: {done:,} rows in {elapsed:.0f} s "
                          f"({done / elapsed:,.0f} rows/s)")  # fmt: skip
            self.next = (done // self.step + 1) * self.step


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=console)  # fmt: skip


# --------------------------------------------------------------------------- data


@dataclass(slots=True)
class Files:
    """The new state's file, the hub's records as CSV (for Splink) and the ground truth."""

    new: Path
    existing: Path
    truth: Path  # file, record_id, person of every record written
    new_state: str
    existing_count: int = 0
    new_count: int = 0


def write_data(work: Path, existing: int, new: int, new_state: str, seed: int) -> Files:
    """Stream the synth generator until N records of the other states and M of ``new_state``
    are written; the surplus of whichever fills first is dropped (its people keep their
    other records). Generation is person by person, so a mover's cards stay together."""
    files = Files(work / f"{new_state}.csv", work / "existing.csv", work / "truth.csv", new_state)
    stream = generate(10 * (existing + new) + 1000, DEFAULT_STATES, seed)

    def opened(path: Path) -> TextIO:
        return path.open("w", newline="", encoding="utf-8")

    with opened(files.new) as fn, opened(files.existing) as fe, opened(files.truth) as ft, \
            _progress() as bar:  # fmt: skip
        wn = csv.DictWriter(fn, COLUMNS)
        we = csv.DictWriter(fe, ("state", *COLUMNS))
        wt = csv.writer(ft)
        wn.writeheader()
        we.writeheader()
        wt.writerow(("file", "state", "record_id", "person"))
        task = bar.add_task("generate (lpx.synth)", total=existing + new)
        for rec in stream:
            if rec.state == new_state and files.new_count < new:
                wn.writerow(rec.row)
                wt.writerow(("new", rec.state, rec.row["record_id"], rec.person))
                files.new_count += 1
            elif rec.state != new_state and files.existing_count < existing:
                we.writerow({"state": rec.state, **rec.row})
                wt.writerow(("existing", rec.state, rec.row["record_id"], rec.person))
                files.existing_count += 1
            else:
                if files.new_count >= new and files.existing_count >= existing:
                    break
                continue
            bar.advance(task)
    return files


# --------------------------------------------------------------------------- hub


def open_hub(backend: str, url: str, work: Path) -> tuple[Hub, Any]:
    """A fresh, migrated hub database with the six states; returns it and its dropper."""
    hub, _, drop = fresh_hub(backend, url, work / "hub", "lpx_onboarding")
    return hub, drop


def seed(hub: Hub, files: Files, keys: NetworkKeys, workers: int) -> None:
    """Write the hub's N existing pointers through the service, case opening off.

    On PostgreSQL ``workers`` processes share the file (row i goes to worker i mod workers),
    each with its own hub over the same database and key files: the very service path, only
    parallel, since seeding is set-up and not what is measured. The states' data keys are
    made first, here, so two workers never race to create one.
    """
    opener, hub.pointers.cases = hub.pointers.cases, None
    with blocks_indexed_after(hub.engine):
        if workers <= 1 or hub.engine.dialect.name != "postgresql":
            _seed_part(hub, files, keys, 0, 1)
        else:
            for state in DEFAULT_STATES:
                if state != files.new_state:
                    hub.pointers.codec.current_key(state)
            hub.engine.dispose()  # no pooled connection may cross the fork
            context = multiprocessing.get_context("fork")
            procs = [context.Process(target=_seed_worker, args=(
                hub.settings, files, keys, i, workers)) for i in range(workers)]  # fmt: skip
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join()
            if any(proc.exitcode != 0 for proc in procs):
                raise RuntimeError(f"a seed worker failed: {[p.exitcode for p in procs]}")
    hub.pointers.cases = opener
    vacuum_analyze(hub.engine)


def _existing_rows(files: Files, part: int, parts: int) -> Iterator[dict[str, str]]:
    """Every ``parts``-th row of the hub's records, from row ``part``, with its line."""
    with files.existing.open(newline="", encoding="utf-8") as handle:
        for i, row in enumerate(csv.DictReader(handle)):
            if i % parts == part:
                row["line"] = str(i + 2)
                yield row


def _seed_worker(settings: Settings, files: Files, keys: NetworkKeys, part: int,
                 parts: int) -> None:  # fmt: skip
    hub = build_hub(settings, engine=make_engine(settings.database_url))
    hub.pointers.cases = None
    _seed_part(hub, files, keys, part, parts)
    hub.engine.dispose()


def _seed_part(hub: Hub, files: Files, keys: NetworkKeys, part: int, parts: int) -> None:
    pending: dict[str, list[PointerRecord]] = {}
    marks = Milestones(f"seed {part + 1}/{parts}", 250_000 // parts)
    done = 0
    with _progress() as bar:
        task = bar.add_task(f"seed existing {part + 1}/{parts} (service, no cases)",
                            total=files.existing_count // parts)  # fmt: skip
        for row in _existing_rows(files, part, parts):
            state, line = row.pop("state"), int(row.pop("line"))
            batch = pending.setdefault(state, [])
            batch.append(record_of(state, parse_row(line, row, keys, state)))
            if len(batch) >= SEED_BATCH:
                _write(hub, state, batch)
                bar.advance(task, len(batch))
                done += len(batch)
                batch.clear()
                marks.reached(done)
        for state, batch in pending.items():
            if batch:
                _write(hub, state, batch)
                bar.advance(task, len(batch))


def _write(hub: Hub, state: str, records: Sequence[PointerRecord]) -> Any:
    actor = Actor(state, "bench-loader", frozenset({Role.RECORDS}), 0)
    return hub.pointers.upsert_batch(actor, records)


class TimedOpener:
    """The hub's case opener with a stopwatch: duplicate detection timed apart from load
    (wall and the calling thread's CPU, summed over batches; the database's CPU over the
    same intervals, which with batches in flight includes the other batch's)."""

    def __init__(self, inner: Any, hub: Hub) -> None:
        self.inner = inner
        self.hub = hub
        self.seconds = 0.0
        self.cpu = 0.0
        self.db_cpu = 0.0
        self._lock = threading.Lock()

    def find(self, *args: Any) -> Any:
        return self._timed(self.inner.find, *args)

    def open(self, *args: Any) -> Any:
        return self._timed(self.inner.open, *args)

    def _timed(self, step: Any, *args: Any) -> Any:
        started, cpu, db_cpu = time.perf_counter(), time.thread_time(), server_cpu(self.hub)
        try:
            return step(*args)
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started
                self.cpu += time.thread_time() - cpu
                self.db_cpu += server_cpu(self.hub) - db_cpu


@dataclass(slots=True)
class Onboarding:
    rows: int = 0
    rejected: int = 0
    added: int = 0
    in_flight: int = 1
    processes: int = 1  # hub processes (1: the loader's own, with a thread per batch)
    resent: int = 0  # batches that overtook the one before them and were sent again
    cases: dict[str, int] = field(default_factory=dict)
    state_side_s: float = 0.0  # reading, parsing, SSN tokens (the state's loader's work)
    api_s: float = 0.0  # Pydantic schema -> domain record (the API's work)
    hub_s: float = 0.0  # write_batch calls, cases included (summed over batches)
    detect_s: float = 0.0  # of which: duplicate detection (case opening)
    detect_cpu: float = 0.0  # its CPU time in this process
    detect_db_cpu: float = 0.0  # and in the PostgreSQL backends
    hub_cpu: float = 0.0  # CPU of the hub processes (with ``processes`` > 1)
    clock: Clock | None = None  # the whole onboarding: wall, Python and PostgreSQL CPU


@dataclass(slots=True)
class _FileBatch:
    pointers: list[dict[str, Any]]
    rows: int  # file rows this batch covers, rejected ones included
    rejected: int


def _batches(path: Path, keys: NetworkKeys, state: str, report: Onboarding
             ) -> Iterator[_FileBatch]:  # fmt: skip
    batch = _FileBatch([], 0, 0)
    mark = time.perf_counter()
    for line, row in read_rows(path):
        report.rows += 1
        batch.rows += 1
        try:
            batch.pointers.append(parse_row(line, row, keys, state))
        except InvalidRow:
            report.rejected += 1
            batch.rejected += 1
        if len(batch.pointers) == BATCH:
            report.state_side_s += time.perf_counter() - mark
            yield batch
            batch = _FileBatch([], 0, 0)
            mark = time.perf_counter()
    report.state_side_s += time.perf_counter() - mark
    if batch.rows:
        yield batch


def onboard(hub: Hub, files: Files, keys: NetworkKeys, in_flight: int,
            processes: int = 1) -> Onboarding:  # fmt: skip
    """The new state's file as ``lpx load --resume`` sends it: an upload session, 1000 rows
    per batch through the API's schema and ``UploadService.write_batch``, with up to
    ``in_flight`` batches at once (the API serves a loader's concurrent requests from its
    thread pool; the hub keeps their upload order). With ``processes`` > 1 the batches go to
    that many hub processes instead, as ``uvicorn --workers N`` serves them."""
    actor = Actor(files.new_state, "bench-loader", frozenset({Role.RECORDS}), 0)
    upload, _ = hub.uploads.start(actor, fingerprint(files.new), files.new.name)
    report = Onboarding(in_flight=in_flight, processes=processes, clock=Clock(hub))
    if processes > 1:
        hub.engine.dispose()  # no pooled connection may cross the fork
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(processes, context, initializer=_hub_process,
                                 initargs=(hub.settings,)) as pool:  # fmt: skip
            _send(pool, report, files, keys, upload.upload_id, in_flight)
    else:
        with ThreadPoolExecutor(in_flight) as pool:
            _hub_process(hub.settings, hub)
            _send(pool, report, files, keys, upload.upload_id, in_flight)
        timer = _process_hub[1]  # shared by the threads: its totals, not per-batch deltas
        hub.pointers.cases = timer.inner
        report.detect_s, report.detect_cpu, report.detect_db_cpu = timer.seconds, timer.cpu, \
            timer.db_cpu  # fmt: skip
    hub.uploads.complete(actor, upload.upload_id, BatchStats(report.rows, 0))
    return report


# The hub a process sends its batches to, with its timed case opener (see ``_hub_process``).
_process_hub: list[Any] = []


def _hub_process(settings: Settings, hub: Hub | None = None) -> None:
    """Set up a hub process's own hub (or this process's ``hub``) with a timed opener; a
    hub process of its own is tuned as ``lpx serve``'s workers are (``create_app``)."""
    if hub is None:
        hub = build_hub(settings, engine=make_engine(settings.database_url))
        tune_gc()
    timer = TimedOpener(hub.pointers.cases, hub)
    hub.pointers.cases = timer  # type: ignore[assignment]
    _process_hub[:] = [hub, timer]


@dataclass(frozen=True, slots=True)
class _Written:
    result: BatchResult | None  # None: it overtook the batch before it (send it again)
    cpu: float  # the hub process's CPU for this batch (0 in the loader's own process)
    api_s: float
    hub_s: float
    detect: tuple[float, float, float]  # wall, CPU, database CPU of case opening


def _write_batch(state: str, upload_id: str, stats: BatchStats,
                 pointers: list[dict[str, Any]]) -> _Written:  # fmt: skip
    """One batch through the API's schema and the upload service, in a hub process."""
    hub, timer = _process_hub
    cpu, before = time.process_time(), (timer.seconds, timer.cpu, timer.db_cpu)
    started = time.perf_counter()
    records = [PointerIn.model_validate(p).to_domain(state) for p in pointers]
    api_s, mark = time.perf_counter() - started, time.perf_counter()
    actor = Actor(state, "bench-loader", frozenset({Role.RECORDS}), 0)
    try:
        result: BatchResult | None = hub.uploads.write_batch(actor, upload_id, stats, records)
    except Conflict:
        result = None
    hub_s = time.perf_counter() - mark
    if os.getpid() == _LOADER_PID:  # the clock counts this process; ``onboard`` the timer
        return _Written(result, 0.0, api_s, hub_s, (0.0, 0.0, 0.0))
    after = (timer.seconds, timer.cpu, timer.db_cpu)
    return _Written(result, time.process_time() - cpu, api_s, hub_s,
                    (after[0] - before[0], after[1] - before[1], after[2] - before[2]))


_LOADER_PID = os.getpid()


def _resend(pool: Executor, args: tuple[Any, ...]) -> _Written:
    return pool.submit(_write_batch, *args).result()


def _send(pool: Executor, report: Onboarding, files: Files, keys: NetworkKeys,
          upload_id: str, in_flight: int) -> None:  # fmt: skip
    """Read, tokenize and send the file's batches, ``in_flight`` at once, collecting them in
    file order; a batch that overtook the one before it is sent again once that one is in."""
    marks = Milestones("onboard", 100_000)

    def collect(written: _Written, again: Callable[[], _Written]) -> None:
        if written.result is None:
            report.resent += 1
            written = again()
            assert written.result is not None, "refused again after the batch before it"
        report.added += written.result.added
        for state, n in written.result.cases_opened.items():
            report.cases[state] = report.cases.get(state, 0) + n
        report.hub_cpu += written.cpu
        report.api_s += written.api_s
        report.hub_s += written.hub_s
        report.detect_s += written.detect[0]
        report.detect_cpu += written.detect[1]
        report.detect_db_cpu += written.detect[2]

    assert report.clock is not None
    seq = 0
    with report.clock, _progress() as bar:
        task = bar.add_task(f"onboard {files.new_state} (service + cases, {in_flight} in "
                            "flight)", total=files.new_count)  # fmt: skip
        pending: deque[tuple[Future[_Written], Callable[[], _Written], int]] = deque()
        for batch in _batches(files.new, keys, files.new_state, report):
            seq += batch.rows
            args = (files.new_state, upload_id, BatchStats(seq, batch.rows,
                                                           rejected=batch.rejected),
                    batch.pointers)  # fmt: skip
            again: Callable[[], _Written] = functools.partial(_resend, pool, args)
            pending.append((pool.submit(_write_batch, *args), again, batch.rows))
            while len(pending) >= in_flight:
                future, again, rows = pending.popleft()
                collect(future.result(), again)
                bar.advance(task, rows)
            marks.reached(report.rows)
        for future, again, rows in pending:
            collect(future.result(), again)
            bar.advance(task, rows)
    report.clock.cpu += report.hub_cpu  # the hub processes' CPU; their backends are counted


# --------------------------------------------------------------------------- accuracy


@dataclass(frozen=True, slots=True)
class Truth:
    index: dict[tuple[str, str], int]  # (state, record_id) -> row in new + existing order
    person: np.ndarray[Any, Any]  # person code per row
    new_rows: int  # the new file's rows onboarded (its first; all but with --stop-after)
    all_new: int  # the new file's rows: those after ``new_rows`` were never sent

    def pairs(self, limit_rows: int) -> set[tuple[int, int]]:
        """Same-person pairs among the first ``limit_rows`` rows with an onboarded new
        record in them (and no new record that was not)."""
        by_person: dict[int, list[int]] = {}
        new_people = set(self.person[: self.new_rows].tolist())
        for i in range(limit_rows):
            p = int(self.person[i])
            if p in new_people:
                by_person.setdefault(p, []).append(i)
        out: set[tuple[int, int]] = set()
        for rows in by_person.values():
            for x in rows:
                for y in rows:
                    if x < y and x < self.new_rows and not self.new_rows <= y < self.all_new:
                        out.add((x, y))
        return out


def read_truth(files: Files) -> Truth:
    """Rows numbered as Splink sees them: the new file's first, then the existing ones."""
    index: dict[tuple[str, str], int] = {}
    codes: dict[str, int] = {}
    person: list[int] = []
    for wanted in ("new", "existing"):
        with files.truth.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            for kind, state, record_id, who in reader:
                if kind == wanted:
                    index[(state, record_id)] = len(index)
                    person.append(codes.setdefault(who, len(codes)))
        if wanted == "new":
            new = len(index)
    return Truth(index, np.array(person, dtype=np.int64), files.new_count, new)


def scores(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hit = len(found & truth)
    return (hit / len(found) if found else 0.0, hit / len(truth) if truth else 0.0)


def lpx_pairs(hub: Hub, truth: Truth, state: str) -> dict[tuple[int, int], float]:
    """The pairs the onboarding opened cases for, with their match weights."""
    with hub.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT jurisdiction_a, record_id_a, jurisdiction_b, record_id_b, weight FROM cases "
            "WHERE jurisdiction_a = :s OR jurisdiction_b = :s"), {"s": state}).all()  # fmt: skip
    out: dict[tuple[int, int], float] = {}
    for ja, ra, jb, rb, weight in rows:
        x, y = truth.index[(ja, ra)], truth.index[(jb, rb)]
        out[(min(x, y), max(x, y))] = float(weight)
    return out


def threshold_sweep(found: dict[tuple[int, int], float], truth: set[tuple[int, int]],
                    new: int, cutoffs: Sequence[float]) -> Table:  # fmt: skip
    """What the same onboarding would have opened at higher possible thresholds: the cases
    are those of the configured threshold cut again (every case records its weight), counted
    as ``lpx eval --sweep`` counts them."""
    weights = np.fromiter(found.values(), dtype=np.float64, count=len(found))
    is_true = np.fromiter((pair in truth for pair in found), dtype=np.bool_, count=len(found))
    table = Table(title="The same cases at higher possible thresholds (LPX_POSSIBLE_THRESHOLD)")
    for col in ("threshold (bits)", "cases", "cases per new record", "false cases",
                "precision", "recall"):  # fmt: skip
        table.add_column(col, justify="right")
    for m in sweep(weights, is_true, len(truth), cutoffs):
        table.add_row(f"{m.threshold:g}", f"{m.tp + m.fp:,}", f"{(m.tp + m.fp) / new:.2f}",
                      f"{m.fp:,}", f"{m.precision:.4f}", f"{m.recall:.4f}")
    return table


# --------------------------------------------------------------------------- Splink


def run_splink(files: Files, truth: Truth, limit: int, work: Path) -> dict[str, Any]:
    """Splink dedupe over the new file plus the first existing rows, up to ``limit`` rows,
    in a subprocess (``vs_splink.py --worker splink``) so its peak RSS is its own."""
    take = min(files.existing_count, max(0, limit - files.new_count))
    subset = work / "splink-existing.csv"
    with files.existing.open(newline="", encoding="utf-8") as src, \
            subset.open("w", newline="", encoding="utf-8") as dst:  # fmt: skip
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for i, row in enumerate(reader):
            if i >= take:
                break
            writer.writerow(row)
    out = work / "splink"
    out.mkdir()
    spec = {"files": [str(files.new), str(subset)], "link_only": False, "out": str(out)}
    (out / "spec.json").write_text(json.dumps(spec))
    started = time.perf_counter()
    with console.status(f"Splink 5 dedupe of {files.new_count + take:,} records..."):
        done = subprocess.run([sys.executable, str(HERE / "vs_splink.py"), "--worker", "splink",
                               str(out / "spec.json")], check=False)  # fmt: skip
    wall = time.perf_counter() - started
    if done.returncode != 0:
        return {"failed": f"exit {done.returncode}", "rows": files.new_count + take,
                "wall_s": wall}  # fmt: skip
    info: dict[str, Any] = json.loads((out / "splink.json").read_text())
    pairs = np.load(out / "splink.npz")
    keep = (pairs["prob"] >= 0.5) & (pairs["a"] < files.new_count)
    found = set(zip(pairs["a"][keep].tolist(), pairs["b"][keep].tolist(), strict=True))
    info["precision"], info["recall"] = scores(found, truth.pairs(files.new_count + take))
    info.update(rows=files.new_count + take, wall_s=wall)
    return info


# --------------------------------------------------------------------------- report


def first_rows(files: Files, rows: int, work: Path) -> Files:
    """The new file cut to its first ``rows`` (``--stop-after``): a shorter run into the
    same seeded hub, its accuracy scored on the pairs of the rows sent."""
    cut = work / f"{files.new_state}-first-{rows}.csv"
    with files.new.open(newline="", encoding="utf-8") as src, \
            cut.open("w", newline="", encoding="utf-8") as dst:  # fmt: skip
        writer = csv.writer(dst)
        for i, row in enumerate(csv.reader(src)):
            if i > rows:
                break
            writer.writerow(row)
    return dataclasses.replace(files, new=cut, new_count=rows)


def prepare_data(work: Path, args: argparse.Namespace) -> tuple[Files, NetworkKeys]:
    """The synth files and the network keys: made afresh, or those an earlier run with the
    same ``--workdir`` and sizes left there."""
    work.mkdir(parents=True, exist_ok=True)
    meta, key_file = work / "onboarding.json", work / "network-keys.json"
    wanted = {"existing": args.existing, "new": args.new, "state": args.state, "seed": args.seed}
    kept = json.loads(meta.read_text()) if meta.exists() and key_file.exists() else {}
    if kept.get("args") == wanted:
        counts = kept["counts"]
        files = Files(work / f"{args.state}.csv", work / "existing.csv", work / "truth.csv",
                      args.state, counts["existing"], counts["new"])  # fmt: skip
        console.print(f"reusing {files.existing_count:,} existing + {files.new_count:,} "
                      f"{args.state} records in {work}")  # fmt: skip
        return files, NetworkKeys.load(key_file)
    (work / "seeded").unlink(missing_ok=True)  # a hub seeded from other files is not reused
    keys = generate_keys()
    t0 = time.perf_counter()
    files = write_data(work, args.existing, args.new, args.state, args.seed)
    console.print(f"generated {files.existing_count:,} existing + {files.new_count:,} "
                  f"{args.state} records in {time.perf_counter() - t0:.0f} s")  # fmt: skip
    if args.workdir:
        keys.save(key_file)
        meta.write_text(json.dumps({"args": wanted, "counts": {
            "existing": files.existing_count, "new": files.new_count}}))  # fmt: skip
    return files, keys


def seed_timed(hub: Hub, files: Files, keys: NetworkKeys, workers: int) -> None:
    with Clock(hub) as seeding:
        seed(hub, files, keys, workers)
    console.print(f"seeded {files.existing_count:,} pointers: "
                  f"{seeding.line(files.existing_count)}; through "
                  "PointerService.upsert_batch with case opening off, "
                  f"{SEED_BATCH} per batch, {workers} processes (the "
                  "PostgreSQL CPU of the workers' connections is not counted)")  # fmt: skip


def seeded_copy(args: argparse.Namespace, files: Files, keys: NetworkKeys,
                work: Path) -> tuple[Hub, Callable[[], None]]:  # fmt: skip
    """A fresh copy of the seeded hub kept in ``--database`` (seeded first if it is new), so
    each run onboards into the same untouched hub without seeding it again."""
    hub, _, _ = fresh_hub("postgresql", args.database_url, work / "hub", "lpx_onboarding",
                          keep=args.database)  # fmt: skip
    with hub.engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM pointers")).scalar_one()
    if stored == 0:
        seed_timed(hub, files, keys, args.seed_workers)
        (work / "seeded").write_text(args.database)
    elif stored != files.existing_count or not (work / "seeded").exists():
        raise SystemExit(f"{args.database} holds {stored:,} pointers, not the "
                         f"{files.existing_count:,} seeded from {work}: drop it")
    else:
        console.print(f"copying the seeded hub {args.database} ({stored:,} pointers)")
    hub.engine.dispose()
    url, drop = clone_database(args.database_url, args.database, f"{args.database}_run")
    engine = make_engine(url)
    with console.status("prewarming the copy (OS cache, then its indexes in shared buffers)"):
        prewarm(engine)
    return build_hub(Settings(database_url=url, data_dir=work / "hub"), engine=engine), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--existing", type=int, default=5_000_000, help="records in the hub")
    parser.add_argument("--new", type=int, default=1_000_000, help="the new state's records")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--database-url", default=DEFAULT_PG,
                        help="PostgreSQL server (a fresh database is made on it and dropped)")
    parser.add_argument("--state", default="NY", choices=DEFAULT_STATES,
                        help="the onboarded state (NY's share of the synth data is about 1/6, "
                             "as 1M of 6M); the other four make up the hub")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--splink-max", type=int, default=1_500_000,
                        help="most records handed to Splink (it holds them all in memory)")
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--seed-workers", type=int, default=2,
                        help="processes seeding the hub (PostgreSQL), each through the service")
    parser.add_argument("--keep", action="store_true", help="keep the hub database")
    parser.add_argument("--database", default=None,
                        help="keep the seeded hub in this PostgreSQL database, reuse it if "
                             "it exists, and onboard into a copy of it (with --workdir)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="synth files, network keys and hub keys kept for --database")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="onboard only the new file's first ROWS (a quicker run; no Splink)")
    parser.add_argument("--in-flight", type=int, default=2,
                        help="batches sent at once, as `lpx load --in-flight` (default 2)")
    parser.add_argument("--hub-processes", type=int, default=2,
                        help="hub processes serving the batches, as `lpx serve --workers N` "
                             "(default 2, one per core; 1: threads of this process; "
                             "PostgreSQL only)")
    args = parser.parse_args()
    if args.database and (args.backend != "postgresql" or args.workdir is None):
        parser.error("--database keeps a PostgreSQL hub and needs --workdir for its keys")
    if args.stop_after and not args.skip_splink:
        parser.error("--stop-after scores LPX alone: add --skip-splink")

    with tempfile.TemporaryDirectory(prefix="lpx-onboarding-") as tmp:
        work = args.workdir or Path(tmp)
        files, keys = prepare_data(work, args)
        if 0 < args.stop_after < files.new_count:
            files = first_rows(files, args.stop_after, work)
        drop: Callable[[], None] | None
        if args.database:
            hub, drop = seeded_copy(args, files, keys, work)
        else:
            hub, drop = open_hub(args.backend, args.database_url, work)
        try:
            if not args.database:
                seed_timed(hub, files, keys, args.seed_workers)
            base_mb = _peak_mb()
            processes = args.hub_processes if args.backend == "postgresql" else 1
            report = onboard(hub, files, keys, args.in_flight, processes)
            lpx_mb = _peak_mb()
            truth = read_truth(files)
            found, true_pairs = lpx_pairs(hub, truth, args.state), truth.pairs(len(truth.person))
            lpx_p, lpx_r = scores(set(found), true_pairs)
            cut = hub.settings.possible_threshold
            cuts = threshold_sweep(found, true_pairs, files.new_count,
                                    [cut, *range(int(cut) + 2, int(cut) + 11, 2)])  # fmt: skip
        finally:
            if drop and not args.keep:
                hub.engine.dispose()
                drop()
        splink = None if args.skip_splink else run_splink(files, truth, args.splink_max, work)
    _print(args, files, report, (lpx_p, lpx_r), (base_mb, lpx_mb), splink)
    console.print(cuts)


def _print(args: argparse.Namespace, files: Files, r: Onboarding, acc: tuple[float, float],
           mem: tuple[float, float], splink: dict[str, Any] | None) -> None:  # fmt: skip
    assert r.clock is not None
    total = r.clock.wall
    load_s = r.state_side_s + r.api_s + r.hub_s - r.detect_s  # summed over batches
    n = files.new_count
    table = Table(title=f"Onboarding {n:,} {args.state} records into a hub of "
                        f"{files.existing_count:,} ({args.backend})")  # fmt: skip
    for col in ("system", "records compared", "load s", "load rows/s", "dup detection s",
                "detect rows/s", "total s", "total rows/s", "precision", "recall",
                "peak RSS MB"):  # fmt: skip
        table.add_column(col, justify="left" if col == "system" else "right")
    table.add_row("LPX (service path, cases opened)", f"{n + files.existing_count:,}",
                  f"{load_s:.1f}", f"{n / load_s:,.0f}", f"{r.detect_s:.1f}",
                  f"{n / r.detect_s:,.0f}", f"{total:.1f}", f"{n / total:,.0f}",
                  f"{acc[0]:.4f}", f"{acc[1]:.4f}",
                  f"{mem[1]:,.0f} (+{mem[1] - mem[0]:,.0f} onboarding)")  # fmt: skip
    if splink and "failed" not in splink:
        s_total = splink["prep_s"] + splink["train_s"] + splink["link_s"]
        table.add_row("Splink 5 dedupe (DuckDB)", f"{splink['rows']:,}",
                      f"{splink['prep_s']:.1f}", f"{n / splink['prep_s']:,.0f}",
                      f"{splink['train_s'] + splink['link_s']:.1f} "
                      f"(train {splink['train_s']:.0f})",
                      f"{n / (splink['train_s'] + splink['link_s']):,.0f}", f"{s_total:.1f}",
                      f"{n / s_total:,.0f}", f"{splink['precision']:.4f}",
                      f"{splink['recall']:.4f}", f"{splink['peak_mb']:,.0f}")  # fmt: skip
    console.print(table)
    if r.clock is not None:
        c = r.clock
        load_cpu, load_db = c.cpu - r.detect_cpu, c.db_cpu - r.detect_db_cpu
        console.print(f"LPX CPU: whole onboarding {c.line(n)}; load {load_s:.1f} s wall, "
                      f"{load_cpu:.1f} s Python + {load_db:.1f} s PostgreSQL CPU "
                      f"({1e3 * (load_cpu + load_db) / n:.2f} ms CPU per row); duplicate "
                      f"detection {r.detect_s:.1f} s wall, {r.detect_cpu:.1f} s Python + "
                      f"{r.detect_db_cpu:.1f} s PostgreSQL CPU "
                      f"({1e3 * (r.detect_cpu + r.detect_db_cpu) / n:.2f} ms CPU per row)")
    console.print(f"LPX load split: state side (read, parse, SSN tokens) {r.state_side_s:.1f} s, "
                  f"API schema {r.api_s:.1f} s, hub write without detection "
                  f"{r.hub_s - r.detect_s:.1f} s; rows {r.rows:,}, added {r.added:,}, "
                  f"rejected {r.rejected:,}; cases opened by counterpart state "
                  f"{dict(sorted(r.cases.items()))}")  # fmt: skip
    if r.processes > 1:
        console.print(f"{r.processes} hub processes (as `lpx serve --workers {r.processes}`): "
                      "the API schema and the hub's work ran in them, and the Python CPU above "
                      f"includes their {r.hub_cpu:.1f} s")
    if r.in_flight > 1:
        console.print(f"{r.in_flight} batches in flight: load and detection overlap, so their "
                      "seconds (summed over batches) add up to more than the total, and the "
                      "PostgreSQL CPU split between them counts both batches' backends; "
                      f"{r.resent} batches overtook the one before them and were sent again")
    console.print("Precision/recall: pairs with a new record, at LPX's case thresholds "
                  "(match+possible) and Splink's p >= 0.5, against the synth truth. "
                  "Peak RSS is the Python process (PostgreSQL's own memory not counted).")
    if splink is None:
        console.print("Splink: skipped (--skip-splink)")
    elif "failed" in splink:
        console.print(f"Splink: failed on {splink['rows']:,} records ({splink['failed']}) "
                      f"after {splink['wall_s']:.0f} s; try a smaller --splink-max")
    elif splink["rows"] < n + files.existing_count:
        console.print(f"Splink got {splink['rows']:,} of the {n + files.existing_count:,} "
                      f"records (--splink-max {args.splink_max:,}: it holds them in memory); "
                      "its 'load' column is its data preparation")  # fmt: skip
    verdict = "PASS" if total < TARGET_S * n / 1_000_000 else "FAIL"
    console.print(f"target: 1M onboarded in < {TARGET_S:.0f} s, i.e. >= "
                  f"{1_000_000 / TARGET_S:,.0f} rows/s: {n / total:,.0f} rows/s [bold]{verdict}"
                  "[/] (at this size)")  # fmt: skip


if __name__ == "__main__":
    main()
