"""Candidate pairs: the hub's blocking rules as DuckDB joins over integer keys.

Online, a pair (a, b) is scored when a's inquiry keys (:func:`lpx.domain.blocking.inquiry_keys`)
meet b's stored pointer keys (:func:`~lpx.domain.blocking.pointer_keys`), or the other way
round. Offline we build both key sets for every record at once, as numpy columns: a key
is its rule and its parts (ids from one string vocabulary, dates as integers), mixed into
a 64-bit hash, as the hub's ``pointer_blocks`` index holds 64-bit hashes. Keys of two
rules never meet, so each rule is one DuckDB join of its inquiry keys to its pointer keys;
the distinct pairs of all rules are exactly the online candidate set (without the online
per-inquiry cap). A test holds this to the key functions of the domain.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from lpx.domain.records import MASKED_TOKEN_COUNT
from lpx.linkage.columns import Readings, RecordColumns, masked_code

Ints = NDArray[np.int64]
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _hash(rule: int, *parts: Ints) -> Ints:
    """A 64-bit hash of (rule, parts...) per row (splitmix64 steps)."""
    with np.errstate(over="ignore"):
        h = np.full(len(parts[0]), np.uint64(rule + 1) * _MIX, dtype=np.uint64)
        for p in parts:
            h = (h ^ p.astype(np.uint64)) * _MIX
            h ^= h >> np.uint64(31)
            h *= np.uint64(0xBF58476D1CE4E5B9)
            h ^= h >> np.uint64(29)
    out: Ints = h.view(np.int64)
    return out


@dataclass(slots=True)
class _Side:
    """Keys of one side (pointer or inquiry) of one rule: hash and record index.
    ``closed``: the other side has no key of the rule, so none of these can meet one and
    they are not built."""

    keys: list[Ints] = field(default_factory=list)
    recs: list[Ints] = field(default_factory=list)
    closed: bool = False

    def add(self, rule: int, rows: Ints, *parts: Ints) -> None:
        if len(rows) and not self.closed:
            self.keys.append(_hash(rule, *parts))
            self.recs.append(rows)

    def copy(self, closed: bool = False) -> _Side:
        """The keys so far (the arrays are shared, not copied)."""
        return _Side(list(self.keys), list(self.recs), closed)


# Rule codes; the dict only names them (the letters of lpx.domain.blocking).
RULES = {r: i for i, r in enumerate("FRPALNMHGIKSTQUV")}


@dataclass(frozen=True, slots=True)
class _Dates:
    rows: Ints
    ymd: Ints  # yyyymmdd

    @property
    def year(self) -> Ints:
        return self.ymd // 10000

    @property
    def year_month(self) -> Ints:
        return self.ymd // 100

    @property
    def month_day(self) -> Ints:
        return self.ymd % 10000


def _swapped_dates(dob: Ints) -> _Dates:
    """Records whose DOB has a valid day/month swap (blocking.swapped_day_month), and it."""
    y, m, d = dob // 10000, dob // 100 % 100, dob % 100
    ok = (dob >= 0) & (d <= 12) & (d != m)
    rows = np.flatnonzero(ok)
    return _Dates(rows, (y * 10000 + d * 100 + m)[rows])


def _name_keys(side: dict[str, _Side], r: Readings, dates: _Dates) -> None:
    """``blocking._name_keys`` for the records in ``dates`` (their DOB as given there)."""
    i, ds = dates.rows, dates.ymd
    s = side

    def where(mask: NDArray[np.bool_]) -> tuple[Ints, Ints]:
        return i[mask], ds[mask]

    ok = r.root[i] != 0
    rows, d = where(ok)
    s["F"].add(RULES["F"], rows, r.root[rows], d)
    s["R"].add(RULES["R"], rows, r.root[rows], r.last1[rows], d // 100)
    rows, d = where(r.last2[i] != 0)
    s["P"].add(RULES["P"], rows, r.last2[rows], d)
    rows, d = where(r.first2[i] != 0)
    s["A"].add(RULES["A"], rows, r.first2[rows], d)
    for col in range(r.last_phs.shape[1]):
        lp = r.last_phs[i, col]
        rows, d = where(lp != 0)
        s["L"].add(RULES["L"], rows, r.last_phs[rows, col], d)
        rows, d = where((lp != 0) & (r.first_ph[i] != 0))
        s["N"].add(RULES["N"], rows, r.last_phs[rows, col], r.first_ph[rows], d // 10000)
        s["M"].add(RULES["M"], rows, r.last_phs[rows, col], r.first_ph[rows], d % 10000)


def _unknown_dob_keys(side: dict[str, _Side], r: Readings, rows: Ints, ssn: Ints | None) -> None:
    """``blocking._unknown_dob_keys`` for ``rows`` (``ssn`` None: the reading has no SSN)."""
    if ssn is not None:
        has = rows[ssn[rows] >= 0]
        side["V"].add(RULES["V"], has, ssn[has])
    x = rows[(r.root[rows] != 0) & (r.last2[rows] != 0)]
    side["U"].add(RULES["U"], x, r.root[x], r.last2[x])
    for col in range(r.last_phs.shape[1]):
        lp = r.last_phs[rows, col]
        x = rows[(lp != 0) & (r.root[rows] != 0)]
        side["U"].add(RULES["U"], x, r.root[x], r.last_phs[x, col])
        x = rows[(lp != 0) & (r.first2[rows] != 0)]
        side["U"].add(RULES["U"], x, r.first2[x], r.last_phs[x, col])


def _ssn_keys(side: dict[str, _Side], r: Readings, c: RecordColumns, with_dob: bool) -> None:
    """``blocking._ssn_keys`` for every record with tokens (``with_dob``: its own DOB)."""
    ssn = c.ssn_value
    rows = np.flatnonzero(ssn >= 0)
    for col in range(r.last_phs.shape[1]):
        x = rows[r.last_phs[rows, col] != 0]
        side["H"].add(RULES["H"], x, ssn[x], r.last_phs[x, col])
    x = rows[r.root[rows] != 0]
    side["G"].add(RULES["G"], x, ssn[x], r.root[x])
    x = rows[(r.first[rows] != 0) & (r.last[rows] != 0)]
    side["I"].add(RULES["I"], x, ssn[x], r.first1[x], r.last1[x])
    x = rows[r.last2[rows] != 0]
    side["K"].add(RULES["K"], x, ssn[x], r.last2[x])
    if with_dob:
        x = rows[c.dob[rows] >= 0]
        d = c.dob[x]
        side["S"].add(RULES["S"], x, ssn[x], d // 10000)
        side["T"].add(RULES["T"], x, ssn[x], d % 10000)
        for col in range(MASKED_TOKEN_COUNT):
            side["Q"].add(RULES["Q"], x, masked_code(ssn[x], col), d)


def _sides(c: RecordColumns) -> tuple[dict[str, _Side], dict[str, _Side]]:
    """Pointer and inquiry keys of every record, by rule.

    A record's straight name keys at its own DOB and its SSN keys are both pointer and
    inquiry keys: they are hashed once and shared by the two sides. An inquiry key of a
    rule no pointer key has (the unknown-DOB rules, when every record has a DOB) can meet
    nothing, so it is not built."""
    common = {r: _Side() for r in RULES}
    known = np.flatnonzero(c.dob >= 0)
    own = _Dates(known, c.dob[known])
    unknown = np.flatnonzero(c.dob < 0)
    _name_keys(common, c.straight, own)
    _ssn_keys(common, c.straight, c, with_dob=True)
    # pointer_keys
    ptr = {r: common[r].copy() for r in RULES}
    rec, l2, lp = c.aka_keys
    d = c.dob[rec]
    x = (d >= 0) & (l2 != 0)
    ptr["P"].add(RULES["P"], rec[x], l2[x], d[x])
    x = (d >= 0) & (lp != 0)
    ptr["L"].add(RULES["L"], rec[x], lp[x], d[x])
    _unknown_dob_keys(ptr, c.straight, unknown, c.ssn_value)
    # inquiry_keys (dob_free: offline every record probes the unknown-DOB rules)
    inq = {r: common[r].copy(closed=not ptr[r].keys) for r in RULES}
    _ssn_keys(inq, c.swapped, c, with_dob=False)
    every = np.arange(len(c), dtype=np.int64)
    _unknown_dob_keys(inq, c.straight, every, c.ssn_value)
    _unknown_dob_keys(inq, c.swapped, every, None)
    _name_keys(inq, c.swapped, own)
    swapped = _swapped_dates(c.dob)
    _name_keys(inq, c.straight, swapped)
    _name_keys(inq, c.swapped, swapped)
    return ptr, inq


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


def _table(side: _Side, source: NDArray[np.int16] | None) -> pa.Table:
    """The keys as a table: hash ``k``, record ``r`` and, when given, its source file ``s``."""
    recs = np.concatenate(side.recs)
    columns = {"k": np.concatenate(side.keys), "r": recs.astype(np.int32)}
    if source is not None:
        columns["s"] = source[recs]
    return pa.table(columns)


def candidate_pairs(
    con: duckdb.DuckDBPyConnection, records: RecordColumns, link_only: bool = False
) -> tuple[Ints, Ints]:
    """The distinct candidate pairs ``(a[i], b[i])``, ``a < b``, ordered by ``a`` then ``b``.

    ``link_only`` drops pairs within one input file (for linking file A to file B).
    """
    ptr, inq = _sides(records)
    n = max(len(records), 1)
    codes: list[Ints] = []
    sql = ("SELECT DISTINCT least(i.r, p.r)::BIGINT * $n + greatest(i.r, p.r) AS c "
           "FROM inq i JOIN ptr p ON i.k = p.k WHERE i.r <> p.r")  # fmt: skip
    if link_only:
        sql += " AND i.s <> p.s"
    source = records.source if link_only else None
    for rule in RULES:
        if not ptr[rule].keys or not inq[rule].keys:
            continue
        con.register("ptr", _table(ptr[rule], source))
        con.register("inq", _table(inq[rule], source))
        found: Ints = con.execute(sql, {"n": n}).fetchnumpy()["c"].astype(np.int64)
        codes.append(found)
        con.unregister("ptr")
        con.unregister("inq")
        ptr[rule] = inq[rule] = _Side()  # free this rule's keys
    if not codes:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    # The rules' pairs overlap: sort them and keep each once (np.unique's result, without
    # its hashing pass).
    pairs: Ints = np.concatenate(codes)
    pairs.sort()
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
    first: Ints = pairs // n
    return first, pairs - first * n
