"""Search at hub scale (10M pointers on PostgreSQL): the matcher alone and the audited inquiry.

``benchmarks/search.py`` keeps every parsed record in memory, which 10M records do not fit.
This script streams instead. The synth generator writes CSV files
(``onboarding.write_data``). Worker processes seed the hub from them through
``PointerService.upsert_batch`` (``onboarding.seed``, case opening off, VACUUM ANALYZE
after). Only a sample of rows is kept, to build the inquiries. Timing, recall and the report
are ``search.py``'s, on the same kinds of inquiry.

Target (matching-engine issue): the matcher's part of an inquiry (blocking lookup,
decryption, scoring) under 2 ms at p99 with 10M pointers on PostgreSQL. Reported, never
asserted.

Seeding 10M takes most of an hour here. ``--database NAME --workdir DIR`` keeps the seeded
hub, its keys and files, and a later run with the same two options reuses them:

    .venv/bin/python benchmarks/search_scale.py --count 200000
    .venv/bin/python benchmarks/search_scale.py --database lpx_scale_10m --workdir /var/tmp/s10m

``--model`` searches with a trained model (``lpx model train``, say on a million rows of
the workdir's ``existing.csv``) instead of the built-in one, as a hub that has trained its
model does: exact names then carry their term-frequency bits.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from bench_hub import fresh_hub, vacuum_analyze
from onboarding import Clock, Files, seed, write_data
from search import (
    DEFAULT_PG,
    Backend,
    Dataset,
    Timing,
    build_queries,
    console,
    report,
    time_in_process,
    time_matcher,
    time_without,
)
from sqlalchemy import func, select

from lpx.client.keys import NetworkKeys
from lpx.client.keys import generate as generate_keys
from lpx.domain.model import MatchModel
from lpx.storage import safeguard_tables as st
from lpx.storage import tables as t
from lpx.storage.repositories import PointerRepository

NO_STATE = "WA"  # the onboarding helpers' new state; this hub gets none of its records


class PersonOf(dict[str, str]):
    """pointer id -> person for the sampled people's pointers; any other pointer is nobody
    the inquiries ask about, so it reads as an unknown person."""

    def __missing__(self, _pointer_id: str) -> str:
        return ""


def sample_rows(files: Files, n: int, seed: int) -> list[tuple[str, dict[str, str], str]]:
    """A uniform sample (reservoir) of the hub's rows, each with its true person."""
    rng = random.Random(seed)
    sample: list[tuple[str, dict[str, str], str]] = []
    with files.existing.open(newline="", encoding="utf-8") as fe, \
            files.truth.open(newline="", encoding="utf-8") as ft:  # fmt: skip
        truth = (r for r in csv.reader(ft) if r[0] == "existing")
        for i, (row, (_, state, record_id, person)) in enumerate(
                zip(csv.DictReader(fe), truth, strict=False)):  # fmt: skip
            if (row["state"], row["record_id"]) != (state, record_id):
                raise SystemExit(f"{files.truth} is out of step with {files.existing}")
            item = (row.pop("state"), row, person)
            if i < n:
                sample.append(item)
            elif (j := rng.randrange(i + 1)) < n:
                sample[j] = item
    return sample


def pointers_of(backend: Backend, files: Files,
                people: set[str]) -> tuple[PersonOf, set[tuple[str, str]]]:  # fmt: skip
    """Every pointer of the sampled people (all their records, in every state), and which
    of their records the hub holds (all of them, unless seeding was cut short)."""
    wanted: dict[str, list[str]] = {}
    person: dict[tuple[str, str], str] = {}
    with files.truth.open(newline="", encoding="utf-8") as ft:
        for kind, state, record_id, who in csv.reader(ft):
            if kind == "existing" and who in people:
                wanted.setdefault(state, []).append(record_id)
                person[(state, record_id)] = who
    found = PersonOf()
    held: set[tuple[str, str]] = set()
    with backend.hub.engine.connect() as conn:
        repo = PointerRepository(conn)
        for state, ids in wanted.items():
            for i in range(0, len(ids), 1000):
                for rid, row in repo.by_records(state, ids[i : i + 1000]).items():
                    found[row.pointer_id] = person[(state, rid)]
                    held.add((state, rid))
    return found, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000_000, help="pointers in the hub")
    parser.add_argument("--queries", type=int, default=2000, help="timed search inquiries")
    parser.add_argument("--sample", type=int, default=20_000,
                        help="hub rows kept to build inquiries from")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seed-workers", type=int, default=2)
    parser.add_argument("--postgres-url", default=DEFAULT_PG)
    parser.add_argument("--database", default=None,
                        help="keep the seeded hub in this database and reuse it if it exists")
    parser.add_argument("--vacuum", action="store_true",
                        help="VACUUM ANALYZE a reused hub first (if its seeding was cut short)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="synth files and hub keys (give it with --database)")  # fmt: skip
    parser.add_argument("--model", type=Path, default=None,
                        help="a trained model (lpx model train) to search with instead of "
                             "the built-in one: its name frequency tables are looked up "
                             "for every exact name")  # fmt: skip
    args = parser.parse_args()

    work = args.workdir or Path(tempfile.mkdtemp(prefix="lpx-search-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    key_file = work / "network-keys.json"
    files = Files(work / f"{NO_STATE}.csv", work / "existing.csv", work / "truth.csv", NO_STATE)
    hub, url, drop = fresh_hub("postgresql", args.postgres_url, work / "hub",
                               "lpx_bench_scale", keep=args.database)  # fmt: skip
    backend = Backend("postgresql", url, hub, drop=drop)
    if args.model is not None:
        hub.search.model = MatchModel.from_dict(json.loads(args.model.read_text()))
    console.print(f"model {hub.search.model.version}")
    try:
        with hub.engine.connect() as conn:
            stored = int(conn.execute(select(func.count()).select_from(t.pointers)).scalar_one())
        if stored and key_file.exists() and files.existing.exists():
            keys = NetworkKeys.load(key_file)
            files.existing_count = stored
            console.print(f"reusing {stored:,} seeded pointers in {args.database}")
            # The guard remembers an earlier run's clerks (within its 24-hour window) and
            # would pause them as harvesters: this run starts as a new day.
            with hub.engine.begin() as conn:
                for table in (st.rate_counters, st.enumeration_features,
                              st.enumeration_alert_states, st.enumeration_alerts):
                    conn.execute(table.delete())
            if args.vacuum:  # seeding was cut short before its own VACUUM ANALYZE
                vacuum_analyze(hub.engine)
        else:
            keys = generate_keys()
            keys.save(key_file)
            t0 = time.perf_counter()
            files = write_data(work, args.count, 0, NO_STATE, args.seed)
            console.print(f"generated {files.existing_count:,} records in "
                          f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
            with Clock(hub) as seeding:
                seed(hub, files, keys, args.seed_workers)
            backend.load_rate = files.existing_count / seeding.wall
            console.print(f"seeded {files.existing_count:,} pointers: "
                          f"{seeding.line(files.existing_count)} ({args.seed_workers} "
                          "processes through PointerService.upsert_batch, no cases)")  # fmt: skip
        backend.count = files.existing_count
        rows = sample_rows(files, args.sample, args.seed)
        backend.pointer_person, held = pointers_of(backend, files, {p for _, _, p in rows})
        # Inquiries are about people the hub holds (a run over a hub whose seeding was cut
        # short samples the whole file; only the rows it got to are asked about).
        rows = [r for r in rows if (r[0], r[1]["record_id"]) in held]
        queries = build_queries(Dataset({}, {}, rows), args.queries, args.seed, keys)
        # A 10M hub's database (27 GB) outgrows this machine's memory: the first pass reads
        # candidates' pages from disk; the rows after it ask the same inquiries again, as
        # a hub whose memory holds its working set would answer them.
        timings: list[Timing] = [time_matcher(backend, queries, "LPX matcher, first touch"),
                                 time_in_process(backend, queries),
                                 time_without(backend, queries, audit=True),
                                 time_without(backend, queries, audit=False),
                                 time_matcher(backend, queries)]  # fmt: skip
        report(timings, {})
    finally:
        hub.engine.dispose()
        if drop is not None:
            drop()


if __name__ == "__main__":
    main()
