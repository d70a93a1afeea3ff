"""Candidate pairs: the hub's blocking rules as one DuckDB self-join, spilling to disk.

Online, a pair (a, b) is scored when a's inquiry keys meet b's stored pointer keys (or the
other way round, when b's state asks). Offline we build both key sets for every record,
store them as (key hash, record) tables and join inquiry keys to pointer keys, which gives
exactly the online candidate set (without the online per-inquiry cap). Keys are reduced to
64-bit hashes, as in the hub's ``pointer_blocks`` index; DuckDB's join and DISTINCT spill
to a temporary directory under a memory limit, so a million records stay bounded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.linkage.records import RecordTable

_INSERT_EVERY = 500_000  # key rows buffered in Python before each insert
PAIR_BATCH = 50_000
_PAIRS_SQL = (
    "CREATE OR REPLACE TABLE pairs AS SELECT DISTINCT least(i.r, p.r) AS a, "
    "greatest(i.r, p.r) AS b FROM inq i JOIN ptr p ON i.k = p.k WHERE i.r <> p.r"
)

PairChunk = tuple[NDArray[np.int64], NDArray[np.int64]]


@contextmanager
def connection(memory_limit: str = "2GB") -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB that spills to a private temporary directory."""
    with tempfile.TemporaryDirectory(prefix="lpx-dedupe-") as spill:
        con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": spill,
                                     "preserve_insertion_order": False})  # fmt: skip
        try:
            yield con
        finally:
            con.close()


def _flush(con: duckdb.DuckDBPyConnection, table: str, keys: list[int], recs: list[int],
           src: list[int]) -> None:  # fmt: skip
    if not keys:
        return
    batch = pa.table({"k": pa.array(keys, pa.int64()), "r": pa.array(recs, pa.int32()),
                      "s": pa.array(src, pa.int16())})  # fmt: skip
    con.register("_batch", batch)
    con.execute(f"INSERT INTO {table} SELECT k, r, s FROM _batch")  # noqa: S608 (fixed names)
    con.unregister("_batch")
    keys.clear()
    recs.clear()
    src.clear()


def load_keys(
    con: duckdb.DuckDBPyConnection,
    records: RecordTable,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Fill ``ptr`` and ``inq`` with (key hash, record index, source index) rows."""
    con.execute("CREATE OR REPLACE TABLE ptr (k BIGINT, r INTEGER, s SMALLINT)")
    con.execute("CREATE OR REPLACE TABLE inq (k BIGINT, r INTEGER, s SMALLINT)")
    buffers: dict[str, tuple[list[int], list[int], list[int]]] = {
        "ptr": ([], [], []), "inq": ([], [], [])}  # fmt: skip
    for i, profile in enumerate(records.profiles):
        s = records.source[i]
        for table, keys in (("ptr", pointer_keys(profile)), ("inq", inquiry_keys(profile))):
            k, r, src = buffers[table]
            # Python's str hash is 64-bit and stable within a process: all a join needs.
            k.extend(hash(key) for key in keys)
            r.extend([i] * len(keys))
            src.extend([s] * len(keys))
            if len(k) >= _INSERT_EVERY:
                _flush(con, table, k, r, src)
        if progress is not None and (i + 1) % 10_000 == 0:
            progress(i + 1)
    for table, (k, r, src) in buffers.items():
        _flush(con, table, k, r, src)
    if progress is not None:
        progress(len(records))


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, link_only: bool = False, batch: int = PAIR_BATCH
) -> tuple[int, Iterator[PairChunk]]:
    """The number of distinct candidate pairs (a < b) and an iterator over them in chunks.

    ``link_only`` drops pairs within one input file (for linking file A to file B).
    """
    con.execute(_PAIRS_SQL + (" AND i.s <> p.s" if link_only else ""))
    con.execute("DROP TABLE inq")
    con.execute("DROP TABLE ptr")
    total = int(con.execute("SELECT count(*) FROM pairs").fetchall()[0][0])

    def chunks() -> Iterator[PairChunk]:
        reader = con.sql("SELECT a, b FROM pairs").to_arrow_reader(batch)
        for rb in reader:
            yield (rb.column(0).to_numpy().astype(np.int64),
                   rb.column(1).to_numpy().astype(np.int64))  # fmt: skip

    return total, chunks()
