"""Search latency and throughput at scale, against a brute-force peer in the same run.

Loads N synthetic pointers (``lpx.synth``) into a fresh hub per backend through the real
``PointerService.upsert_batch``, then times ``SearchService.search`` in process (and, with
``--http``, over a real uvicorn server), and compares it with a named peer: a DuckDB full
scan that scores every record with Jaro-Winkler. The peer answers the same inquiries
without blocking, so it shows what blocking buys (latency) and what it costs (recall).

Targets: an audited in-process inquiry under 5 ms at p99 with 1M pointers on SQLite and
PostgreSQL (hub core issue), and the matcher's part alone (blocking lookup, decryption,
scoring) under 2 ms at p99 with 10M pointers on PostgreSQL (matching-engine issue). The
script prints PASS/FAIL and never asserts: speed is reported here, not tested.

    .venv/bin/python benchmarks/search.py --count 20000 --backend sqlite
    .venv/bin/python benchmarks/search.py --count 1000000 --http
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import httpx
from bench_hub import fresh_hub, record_of, vacuum_analyze
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.client.keys import NetworkKeys
from lpx.client.keys import generate as generate_keys
from lpx.client.rows import parse_row
from lpx.client.ssn import ssn_tokens_for
from lpx.domain.blocking import swapped_day_month
from lpx.domain.errors import ValidationFailed
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.names import NormalizedName
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, PointerRecord, Sex
from lpx.services.matching import probe_keys
from lpx.synth import DEFAULT_STATES, generate
from lpx.synth.names import nicknames_for

# A log file (nohup) gets a wide table rather than 80 columns of ellipses.
console = Console(width=None if sys.stdout.isatty() else 200)
TARGET_P99_MS = 5.0  # hub core issue: a whole audited inquiry, 1M pointers
MATCHER_TARGET_P99_MS = 2.0  # matching-engine issue: the matcher alone, 10M on PostgreSQL
BATCH = 1000
WARMUP = 200
PEER_QUERIES = 200
VARIATIONS = ("exact", "nickname", "typo", "dob_swap", "swap_names", "no_ssn")
ABSENT_SHARE = 0.2
# The inquiries are spread over this many clerks of one state, a few dozen each over the
# whole run, so the rate limits and the enumeration guard run on every inquiry and never
# refuse one: their cost is measured, not switched off.
CLERKS = 500
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


# --------------------------------------------------------------------------- data


@dataclass(slots=True)
class Dataset:
    """Parsed pointers per state, and who each one really is (the synth ground truth)."""

    records: dict[str, list[PointerRecord]]
    person: dict[tuple[str, str], str]  # (state, record_id) -> person id
    rows: list[tuple[str, dict[str, str], str]]  # (state, raw row, person), for queries


def _parse_chunk(args: tuple[int, list[tuple[str, dict[str, str]]], NetworkKeys]
                 ) -> list[PointerRecord]:  # fmt: skip
    """State-side work for one chunk (validate, tokenize SSN-5), run in a worker process."""
    start, rows, keys = args
    return [record_of(s, parse_row(start + i, row, keys, s)) for i, (s, row) in enumerate(rows)]


def prepare(count: int, seed: int, keys: NetworkKeys) -> Dataset:
    """Generate and tokenize N records once; both backends load the same pointers.

    Parsing is spread over the cores (it is the state's loader's work, not the hub's, and
    is not part of the timed load).
    """
    t0 = time.perf_counter()
    synth = list(generate(count, DEFAULT_STATES, seed))
    rows = [(r.state, r.row, r.person) for r in synth]
    person = {(r.state, r.row["record_id"]): r.person for r in synth}
    del synth
    chunk = 10_000
    jobs = [(i, [(s, row) for s, row, _ in rows[i : i + chunk]], keys)
            for i in range(0, len(rows), chunk)]  # fmt: skip
    records: dict[str, list[PointerRecord]] = {s: [] for s in DEFAULT_STATES}
    with _progress() as bar, ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        task = bar.add_task("tokenize (state side)", total=len(rows))
        for part in pool.map(_parse_chunk, jobs):
            for rec in part:
                records[rec.jurisdiction].append(rec)
            bar.advance(task, len(part))
    console.print(f"prepared {len(rows):,} records in {time.perf_counter() - t0:.1f} s")
    return Dataset(records, person, rows)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)  # fmt: skip


# --------------------------------------------------------------------------- hub


@dataclass(slots=True)
class Backend:
    name: str
    url: str
    hub: Hub
    api_key: str = ""
    pointer_person: dict[str, str] = field(default_factory=dict)
    load_rate: float = 0.0
    drop: Any = None  # callable that removes the database
    count: int = 0  # pointers in the hub, when pointer_person maps only some of them


def open_backend(name: str, workdir: Path, pg_url: str) -> Backend:
    """A fresh, migrated hub database for one backend."""
    data_dir = workdir / name
    shutil.rmtree(data_dir, ignore_errors=True)
    hub, url, drop = fresh_hub(name, pg_url, data_dir, "lpx_bench_search")
    backend = Backend(name, url, hub, drop=drop)
    backend.api_key = hub.access.issue_credential("TX", "bench", [Role.CLERK, Role.RECORDS])
    return backend


def load(backend: Backend, data: Dataset) -> None:
    """Write every state's pointers through the service, 1000 per batch, in process.

    Case opening is switched off while seeding: searches do not read cases, and the cost of
    opening them is what ``benchmarks/onboarding.py`` measures.
    """
    total = sum(len(v) for v in data.records.values())
    opener, backend.hub.pointers.cases = backend.hub.pointers.cases, None
    t0 = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task(f"load {backend.name}", total=total)
        for state, records in data.records.items():
            actor = Actor(state, "bench-loader", frozenset({Role.RECORDS}), 0)
            for i in range(0, len(records), BATCH):
                batch = records[i : i + BATCH]
                result = backend.hub.pointers.upsert_batch(actor, batch)
                for rec, pid in zip(batch, result.pointer_ids, strict=True):
                    backend.pointer_person[pid] = data.person[(state, rec.record_id)]
                bar.advance(task, len(batch))
    elapsed = time.perf_counter() - t0
    backend.hub.pointers.cases = opener
    backend.load_rate = total / elapsed
    vacuum_analyze(backend.hub.engine)
    console.print(f"{backend.name}: loaded {total:,} pointers in {elapsed:.1f} s "
                  f"= [bold]{backend.load_rate:,.0f} rows/s[/] (case opening off)")  # fmt: skip


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True, slots=True)
class Query:
    kind: str
    person: str | None  # None: nobody in the hub
    inquiry: SearchInquiry

    def body(self) -> dict[str, Any]:
        i = self.inquiry.identity
        return {
            "first_name": i.first_name, "last_name": i.last_name, "dob": i.dob.isoformat(),
            "middle_name": i.middle_name, "suffix": i.suffix,
            "sex": i.sex.value if i.sex else None,
            "ssn": {"full": i.ssn.full, "masked": list(i.ssn.masked)} if i.ssn else None,
            "purpose": self.inquiry.purpose.value,
        }  # fmt: skip


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 4:
        return s + "e"
    i = rng.randrange(1, len(s) - 1)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :] if rng.random() < 0.5 else s[:i] + s[i + 1 :]


def _inquiry(kind: str, row: dict[str, str], keys: NetworkKeys, rng: random.Random
             ) -> SearchInquiry | None:  # fmt: skip
    """An inquiry a clerk would type about the person behind ``row``, varied by ``kind``."""
    first, last, dob = row["first_name"], row["last_name"], date.fromisoformat(row["dob"])
    ssn5: str | None = row["ssn_last5"] or None
    if kind == "nickname":
        nicks = nicknames_for(first)
        if not nicks:
            return None
        first = rng.choice(nicks)
    elif kind == "typo":
        if rng.random() < 0.5:
            first = _typo(rng, first)
        else:
            last = _typo(rng, last)
    elif kind == "dob_swap":
        swapped = swapped_day_month(dob)
        if swapped is None:
            return None
        dob = swapped
    elif kind == "swap_names":
        first, last = last, first
    # The clerk's tool tokenizes what the applicant says (a decoy for "no SSN"), with the
    # record's real spelling, as the applicant's documents carry it.
    tokens = None
    if kind != "no_ssn":
        tokens = ssn_tokens_for(ssn5, row["first_name"], row["last_name"],
                                date.fromisoformat(row["dob"]), keys)  # fmt: skip
    sex = Sex(row["sex"]) if row["sex"] else None
    identity = Identity(first_name=first, last_name=last, dob=dob, sex=sex, ssn=tokens)
    inquiry = SearchInquiry(identity, Purpose.LICENSE_ISSUANCE)
    try:
        inquiry.validate(date.today())
    except ValidationFailed:  # a variation the hub would refuse (a one-letter name, say)
        return None
    return inquiry


def build_queries(data: Dataset, n: int, seed: int, keys: NetworkKeys) -> list[Query]:
    """n inquiries: 80% about loaded people with realistic variation, 20% about absent ones."""
    rng = random.Random(seed)
    absent_rows = [r.row for r in generate(max(50, n), DEFAULT_STATES, seed + 7919)]
    queries: list[Query] = []
    for _attempt in range(50 * n):
        if len(queries) >= n:
            break
        if rng.random() < ABSENT_SHARE:
            row = absent_rows[len(queries) % len(absent_rows)]
            inquiry = _inquiry(rng.choice(VARIATIONS), row, keys, rng)
            if inquiry is not None:
                queries.append(Query("absent", None, inquiry))
            continue
        _, row, person = data.rows[rng.randrange(len(data.rows))]
        kind = rng.choice(VARIATIONS)
        inquiry = _inquiry(kind, row, keys, rng)
        if inquiry is not None:
            queries.append(Query(kind, person, inquiry))
    if len(queries) < n:
        raise SystemExit(f"only {len(queries)} of {n} inquiries passed the hub's rules")
    return queries


# --------------------------------------------------------------------------- timing


@dataclass(slots=True)
class Timing:
    label: str
    backend: str
    n: int
    load_rate: float | None
    latencies_ns: list[int]
    wall_s: float
    recall: float | None = None
    false_match: float | None = None
    fetched: float | None = None
    returned: float | None = None

    def pct(self, p: float) -> float:
        """The p-th percentile in milliseconds (nearest rank)."""
        ordered = sorted(self.latencies_ns)
        k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[k] / 1e6

    @property
    def throughput(self) -> float:
        return len(self.latencies_ns) / self.wall_s

    def print(self) -> None:
        extra = ""
        if self.fetched is not None:
            extra = f"  candidates fetched {self.fetched:.1f}, returned {self.returned:.2f}"
        recall = f"  recall {self.recall:.1%}" if self.recall is not None else ""
        console.print(
            f"{self.label} [{self.backend}] p50 {self.pct(50):.2f} ms  p95 {self.pct(95):.2f}"
            f"  p99 {self.pct(99):.2f}  max {max(self.latencies_ns) / 1e6:.2f} ms  "
            f"{self.throughput:,.0f} q/s{recall}{extra}"
        )


def _recall(queries: Sequence[Query], found: Sequence[set[str]]) -> tuple[float, float]:
    """Share of in-hub queries whose person is among the candidates, and share of absent
    queries answered with any candidate (a false lead a clerk must clear)."""
    present = [(q, f) for q, f in zip(queries, found, strict=True) if q.person is not None]
    absent = [f for q, f in zip(queries, found, strict=True) if q.person is None]
    hits = sum(1 for q, f in present if q.person in f)
    return hits / max(1, len(present)), sum(1 for f in absent if f) / max(1, len(absent))


class _NoAudit:
    """Stands in for the audit log to measure what auditing costs an inquiry."""

    def append(self, conn: Any, event: Any) -> None:
        return None


def clerk(i: int) -> Actor:
    return Actor("TX", f"bench-clerk-{i % CLERKS}", frozenset({Role.CLERK}), 0)


def time_without(backend: Backend, queries: Sequence[Query], *, audit: bool) -> Timing:
    """The same inquiries without the guard (rate limits, enumeration), and without the
    audit append unless ``audit``: the peers that show what each of them costs."""
    search = backend.hub.search
    kept = search.guard, search._audit
    search.guard = None
    if not audit:
        search._audit = _NoAudit()  # type: ignore[assignment]
    try:
        return time_in_process(backend, queries, "LPX in-process, no guard"
                               + ("" if audit else " or audit"))  # fmt: skip
    finally:
        search.guard, search._audit = kept


def time_matcher(backend: Backend, queries: Sequence[Query],
                 label: str = "LPX matcher only") -> Timing:  # fmt: skip
    """The matcher's part of each inquiry alone (blocking lookup, decryption, scoring), in
    a read-only transaction: no inquiry row, no audit entry, no commit. This is the
    "online inquiry" of the matching-engine issue, the work Splink's single-record match
    does; the rows above add the hub's bookkeeping to it."""
    search = backend.hub.search
    index_key = backend.hub.settings.index_key()

    def run(_i: int, q: Query) -> list[str]:
        probe = MatchProfile.of(q.inquiry.identity)
        with search._uow() as uow:
            scored, _ = search._match(uow, probe, probe_keys(index_key, probe))
        return [s.key for s in scored]

    timing, cpu = _timed(backend, queries, label, run)
    timing.print()
    _print_cpu(cpu, timing.wall_s)
    return timing


class GcWatch:
    """Python's garbage-collector pauses during a timed loop (they land in the tail)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, int]] = []  # (generation, ns)
        self._start = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter_ns()
        else:
            self.pauses.append((info["generation"], time.perf_counter_ns() - self._start))

    def __enter__(self) -> GcWatch:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self)

    def summary(self) -> str:
        by_gen = [sum(1 for g, _ in self.pauses if g == n) for n in range(3)]
        worst = max((ns for _, ns in self.pauses), default=0) / 1e6
        total = sum(ns for _, ns in self.pauses) / 1e6
        return (f"GC collections gen0/1/2 {by_gen[0]}/{by_gen[1]}/{by_gen[2]}, "
                f"paused {total:.1f} ms in all, longest {worst:.2f} ms")  # fmt: skip


def _timed(backend: Backend, queries: Sequence[Query], label: str,
           run: Callable[[int, Query], list[str]]) -> tuple[Timing, list[int]]:  # fmt: skip
    """Warm up, then time ``run`` (inquiry i -> pointer ids shown) on every inquiry; the
    timing with recall, and this thread's CPU time per inquiry."""
    for i, q in enumerate(queries[:WARMUP]):
        run(i, q)
    latencies: list[int] = []
    cpu: list[int] = []
    found: list[set[str]] = []
    returned = 0
    t0 = time.perf_counter()
    with GcWatch() as watch:
        for i, q in enumerate(queries):
            s, c = time.perf_counter_ns(), time.thread_time_ns()
            shown = run(i, q)
            latencies.append(time.perf_counter_ns() - s)
            cpu.append(time.thread_time_ns() - c)
            returned += len(shown)
            found.append({backend.pointer_person[p] for p in shown})
    wall = time.perf_counter() - t0
    console.print(f"  {label}: {watch.summary()}")
    recall, false_match = _recall(queries, found)
    timing = Timing(label, backend.name, _count(backend), backend.load_rate, latencies,
                    wall, recall, false_match, returned=returned / len(queries))  # fmt: skip
    return timing, cpu


def time_in_process(backend: Backend, queries: Sequence[Query],
                    label: str = "LPX in-process") -> Timing:  # fmt: skip
    search = backend.hub.search

    def run(i: int, q: Query) -> list[str]:
        return [c.pointer_id for c in search.search(clerk(i), q.inquiry).candidates]

    timing, cpu = _timed(backend, queries, label, run)
    timing.fetched = _fetched(backend, queries)
    wall = timing.wall_s
    timing.print()
    # On a shared machine wall time includes waiting for a core; this thread's own CPU time
    # (SQLite runs in it; PostgreSQL's work is in the server) tells that apart from our cost.
    _print_cpu(cpu, wall)
    return timing


def _print_cpu(cpu: list[int], wall: float) -> None:
    on_cpu = Timing("  own CPU", "", 0, None, cpu, wall)
    console.print(f"  this thread's CPU per search: p50 {on_cpu.pct(50):.2f} ms  "
                  f"p99 {on_cpu.pct(99):.2f} ms  (load average {os.getloadavg()[0]:.1f} "
                  f"on {os.cpu_count()} cores)")  # fmt: skip


def _count(backend: Backend) -> int:
    return backend.count or len(backend.pointer_person)


def _fetched(backend: Backend, queries: Sequence[Query]) -> float:
    """Mean pointers the candidate query fetches (outside the timed loop)."""
    settings = backend.hub.settings
    index_key = settings.index_key()
    total = 0
    with backend.hub.engine.connect() as conn:
        from lpx.storage.repositories import PointerRepository

        repo = PointerRepository(conn)
        for q in queries:
            keys = probe_keys(index_key, MatchProfile.of(q.inquiry.identity))
            total += len(repo.candidates(keys, settings.candidate_limit,
                                         settings.lone_key_block_limit))
    return total / len(queries)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def time_http(backend: Backend, queries: Sequence[Query], threads: int) -> Timing:
    """The same inquiries POSTed to a uvicorn server in its own process (keep-alive clients)."""
    port = _free_port()
    env = {**os.environ, "LPX_DATABASE_URL": backend.url,
           "LPX_DATA_DIR": str(Path(backend.hub.settings.data_dir).resolve())}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "lpx.api.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"], env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {backend.api_key}"}
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        bodies = [({"X-LPX-User": clerk(i).user_id}, json.dumps(q.body()).encode())
                  for i, q in enumerate(queries)]  # fmt: skip
        h = {**headers, "Content-Type": "application/json"}
        with httpx.Client(base_url=base, headers=h) as warm:
            for user, b in bodies[:WARMUP]:
                warm.post("/v1/inquiries/search", content=b, headers=user).raise_for_status()
        latencies: list[int] = []
        lock = threading.Lock()

        def worker(part: list[tuple[dict[str, str], bytes]]) -> None:
            mine = []
            with httpx.Client(base_url=base, headers=h) as client:
                for user, b in part:
                    s = time.perf_counter_ns()
                    client.post("/v1/inquiries/search", content=b,
                                headers=user).raise_for_status()  # fmt: skip
                    mine.append(time.perf_counter_ns() - s)
            with lock:
                latencies.extend(mine)

        parts = [bodies[i::threads] for i in range(threads)]
        t0 = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(worker, parts))
        wall = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait(10)
    timing = Timing(f"LPX HTTP x{threads}", backend.name, _count(backend), None, latencies, wall)
    timing.print()
    return timing


# --------------------------------------------------------------------------- peer


def _peer_rows(data: Dataset) -> Iterator[tuple[str, str, str, date]]:
    for _state, row, person in data.rows:
        n = NormalizedName.of(row["first_name"], row["last_name"])
        yield person, n.first, n.last, date.fromisoformat(row["dob"])


PEER_SQL = """
SELECT person FROM (
  SELECT person,
         greatest(jaro_winkler_similarity(first, $f) + jaro_winkler_similarity(last, $l),
                  jaro_winkler_similarity(first, $l) + jaro_winkler_similarity(last, $f))
         + CASE WHEN dob = $d THEN 2.0 WHEN dob = $sd THEN 1.5
                WHEN year(dob) = year($d) THEN 0.5 ELSE 0.0 END AS score
  FROM people)
WHERE score >= 3.2
ORDER BY score DESC LIMIT 10
"""


def time_peer(data: Dataset, queries: Sequence[Query]) -> Timing:
    """DuckDB scoring every record of the table per inquiry: recall with no blocking at all.

    Score: the better of the straight and swapped name reading (Jaro-Winkler, 0-2) plus
    birth-date agreement (exact 2, day/month swapped 1.5, same year 0.5); top 10 at or above
    3.2. A full scan per inquiry, on all cores DuckDB can use.
    """
    import pyarrow as pa

    con = duckdb.connect()
    cols = list(zip(*_peer_rows(data), strict=True))
    table = pa.table({"person": cols[0], "first": cols[1], "last": cols[2], "dob": cols[3]})
    con.register("people_arrow", table)
    con.execute("CREATE TABLE people AS SELECT * FROM people_arrow")
    con.unregister("people_arrow")
    latencies: list[int] = []
    found: list[set[str]] = []

    def run(q: Query) -> set[str]:
        i = q.inquiry.identity
        n = NormalizedName.of(i.first_name, i.last_name)
        sd = swapped_day_month(i.dob) or i.dob
        rows = con.execute(PEER_SQL, {"f": n.first, "l": n.last, "d": i.dob, "sd": sd})
        return {r[0] for r in rows.fetchall()}

    for q in queries[:5]:
        run(q)
    t0 = time.perf_counter()
    for q in queries:
        s = time.perf_counter_ns()
        found.append(run(q))
        latencies.append(time.perf_counter_ns() - s)
    wall = time.perf_counter() - t0
    recall, false_match = _recall(queries, found)
    con.close()
    timing = Timing("DuckDB full scan", "duckdb", len(data.rows), None, latencies, wall,
                    recall, false_match)  # fmt: skip
    timing.print()
    return timing


def lpx_on(backend: Backend, queries: Sequence[Query]) -> float:
    """LPX's recall on exactly the peer's queries, so the two recalls compare like for like."""
    found = []
    for i, q in enumerate(queries):
        result = backend.hub.search.search(clerk(i), q.inquiry)
        found.append({backend.pointer_person[c.pointer_id] for c in result.candidates})
    return _recall(queries, found)[0]


# --------------------------------------------------------------------------- report


def report(rows: list[Timing], peer_recall_lpx: dict[str, float]) -> None:
    table = Table(title="Search benchmark (p99 targets in the last column)")
    for col in ("system", "backend", "N", "load rows/s", "p50 ms", "p95 ms", "p99 ms",
                "q/s", "recall", "LPX recall on peer set", "absent→lead", "target"):  # fmt: skip
        table.add_column(col, justify="right" if col not in ("system", "backend") else "left")
    for t in rows:
        verdict = ""
        target = {"LPX matcher only": MATCHER_TARGET_P99_MS}.get(
            t.label, TARGET_P99_MS if t.label.startswith("LPX in-process") else None)
        if target is not None:
            verdict = ("[green]PASS[/]" if t.pct(99) < target else "[red]FAIL[/]") + \
                f" (<{target:g})"
        table.add_row(
            t.label, t.backend, f"{t.n:,}",
            f"{t.load_rate:,.0f}" if t.load_rate else "",
            f"{t.pct(50):.2f}", f"{t.pct(95):.2f}", f"{t.pct(99):.2f}", f"{t.throughput:,.0f}",
            f"{t.recall:.1%}" if t.recall is not None else "",
            f"{peer_recall_lpx[t.backend]:.1%}" if t.label == "LPX in-process"
            and t.backend in peer_recall_lpx else "",
            f"{t.false_match:.1%}" if t.false_match is not None else "",
            verdict,
        )  # fmt: skip
    console.print(table)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=1_000_000, help="synthetic pointers")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--queries", type=int, default=2000, help="timed search inquiries")
    parser.add_argument("--peer-queries", type=int, default=PEER_QUERIES,
                        help="inquiries the slow full-scan peer answers")  # fmt: skip
    parser.add_argument("--http", action="store_true", help="also time over real HTTP")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres-url", default=os.environ.get("LPX_BENCH_POSTGRES_URL",
                                                                 DEFAULT_PG))  # fmt: skip
    parser.add_argument("--workdir", type=Path, default=None,
                        help="SQLite files and hub keys go here (default: a temp dir)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep databases afterwards")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="lpx-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    keys = generate_keys()
    console.print(f"[bold]LPX search benchmark[/]: N={args.count:,}, backends={backends}, "
                  f"queries={args.queries}, workdir={workdir}")  # fmt: skip
    data = prepare(args.count, args.seed, keys)
    queries = build_queries(data, args.queries, args.seed, keys)
    kinds = {k: sum(1 for q in queries if q.kind == k) for k in (*VARIATIONS, "absent")}
    console.print(f"queries by kind: {kinds}")
    peer_set = random.Random(args.seed).sample(queries, min(args.peer_queries, len(queries)))

    rows: list[Timing] = []
    peer_recall_lpx: dict[str, float] = {}
    for name in backends:
        backend = open_backend(name, workdir, args.postgres_url)
        try:
            load(backend, data)
            rows.append(time_in_process(backend, queries))
            rows.append(time_without(backend, queries, audit=True))
            rows.append(time_without(backend, queries, audit=False))
            rows.append(time_matcher(backend, queries))
            peer_recall_lpx[name] = lpx_on(backend, peer_set)
            if args.http:
                rows.append(time_http(backend, queries, 1))
                rows.append(time_http(backend, queries, 4))
        finally:
            backend.hub.engine.dispose()
            if backend.drop is not None and not args.keep:
                backend.drop()
    rows.append(time_peer(data, peer_set))
    report(rows, peer_recall_lpx)
    if args.workdir is None and not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
