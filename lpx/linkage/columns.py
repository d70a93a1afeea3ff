"""Reading license files into columns: every record profiled as the hub would, once.

The online engine (:mod:`lpx.domain.vectorized`) compares :class:`ProfileArrays`, one
column per profile field. Building them through a ``MatchProfile`` object per record costs
a Python call chain per record; here each field is normalized once per distinct raw value
instead (names repeat heavily: a million records carry a few thousand given names), with
the very same normalization functions, and gathered back per record by index. Batch
linking reads only the integer codes (:class:`PairCodes`, built when first read); the
string columns are built only when asked for (:attr:`RecordColumns.arrays`).

Rows are read leniently, as :mod:`lpx.linkage.records` does for ``lpx model train``: a
missing or unreadable date of birth is marked (``dob_missing``) and compares as ``null``
(a date the calendar lacks, 1945-04-93, is marked too but compares by its digits:
:func:`lpx.linkage.records.keyed_digits`);
the decoy of a record without SSN is derived from a per-record sentinel date.

SSN tokens are kept as the plain SSN-5 value (and its one-digit-masked forms) rather than
keyed HMAC tokens: within one offline run a token only has to be equal exactly when the
value is (the hub never sees these), and decoys are still drawn with the network keys
(:func:`lpx.client.ssn.decoy_values`: ``decoy_value``'s values, in a batch), exactly as the
loader would draw them.

Blocking reads each record's name parts as small integers (:class:`Readings`): ids in one
vocabulary of strings, so two key parts are equal exactly when their strings are.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from lpx.client.files import COLUMNS, detect_format, read_rows
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import decoy_values, has_ssn
from lpx.domain.names import (
    NormalizedName,
    canonical_first,
    compact,
    normalize_suffix,
    phonetic,
    surname_parts,
)
from lpx.domain.profile import AkaName, MatchProfile
from lpx.domain.records import MASKED_TOKEN_COUNT, Sex
from lpx.domain.vectorized import NameArrays, ProfileArrays
from lpx.linkage.coded import Givens, PairCodes, Shorts, Surnames, Vocabulary
from lpx.linkage.records import keyed_digits, parse_dob, sentinel_dob

_SEXES = {"F": Sex.FEMALE.value, "M": Sex.MALE.value}  # "X" (unspecified) compares as null
_PARTS = 3  # as vectorized._PARTS: surname parts held in the arrays
Ints = NDArray[np.int64]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Readings:
    """One reading of every record's name as blocking sees it (ids from one vocabulary).

    ``straight`` is the name as written; ``swapped`` reads the family name as the given
    name, exactly as :func:`lpx.domain.blocking.inquiry_keys` builds its swapped keys.
    """

    first: Ints
    root: Ints
    first_ph: Ints
    last: Ints
    first1: Ints  # first[:1]
    first2: Ints  # first[:2] when the name has two letters, else 0
    last1: Ints
    last2: Ints
    last_phs: Ints  # (n, width) surname phonetics, 0 padded


@dataclass(frozen=True, slots=True)
class Spellings:
    """What each record's fields normalize to, as the distinct normalized values and each
    record's index into them (``fcode``: given names, ``lcode``: family names, ...)."""

    fcode: Ints
    f_norm: list[str]
    f_root: list[str]
    f_ph: list[str]
    f_sw_parts: list[tuple[str, ...]]  # the given name read as a surname
    f_sw_ph: list[str]
    lcode: Ints
    l_norm: list[str]
    l_parts: list[tuple[str, ...]]
    l_ph: list[str]
    l_sw_first: list[str]  # the family name read as a given name
    l_sw_root: list[str]
    mcode: Ints
    m_norm: list[str]
    scode: Ints
    s_norm: list[str]
    xcode: Ints
    x_norm: list[str]


def _names(first: list[str], root: list[str], last: list[str], last_ph: list[str],
           parts: list[tuple[str, ...]], fc: Ints, lc: Ints) -> NameArrays:  # fmt: skip
    return NameArrays(_strs(first)[fc], _strs(root)[fc], _strs(last)[lc], _strs(last_ph)[lc],
                      _padded(parts, _PARTS)[lc],
                      np.array([len(p) > _PARTS for p in parts], dtype=bool)[lc])  # fmt: skip


@dataclass(slots=True)
class RecordColumns:
    """Every record of a run, by index: where it came from and its profile as columns."""

    files: list[str]  # input file names, by source index
    source: NDArray[np.int16]
    record_ids: list[str]
    dob_missing: list[bool]
    spellings: Spellings
    straight: Readings
    swapped: Readings
    aka_keys: tuple[Ints, Ints, Ints]  # (record, aka last[:2] id, aka phonetic id)
    ssn_value: Ints  # SSN-5 (or decoy) as an integer, -1 without tokens
    calendar_dob: Ints  # as ``compared_dob`` without the keyed digits of impossible dates
    compared_dob: Ints  # what the DOB comparison reads: the calendar's date, or its digits
    aka: dict[int, tuple[AkaName, ...]] = field(default_factory=dict)
    _codes: PairCodes | None = None
    _arrays: ProfileArrays | None = None

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def dob(self) -> Ints:
        """Birth dates as yyyymmdd, -1 when unknown: what blocking and training keys read.
        Impossible dates count as unknown here (the hub holds none); only the comparison
        columns carry their digits."""
        return self.calendar_dob

    @property
    def codes(self) -> PairCodes:
        """The profile columns as integer codes, for training and scoring
        (:mod:`lpx.linkage.coded`), built on first use: blocking does not read them, so
        batch linking builds them while its blocking runs."""
        if self._codes is None:
            sp = self.spellings
            self._codes = _pair_codes(
                (sp.f_norm, sp.f_root, sp.fcode), (sp.l_sw_first, sp.l_sw_root, sp.lcode),
                (sp.l_parts, sp.l_ph, sp.lcode), (sp.f_sw_parts, sp.f_sw_ph, sp.fcode),
                ((sp.m_norm, sp.mcode), (sp.s_norm, sp.scode), (sp.x_norm, sp.xcode)),
                self.compared_dob, self.ssn_value, _masked_codes(self.ssn_value), self.aka,
            )  # fmt: skip
        return self._codes

    @property
    def arrays(self) -> ProfileArrays:
        """The records as the string engine's columns (:mod:`lpx.domain.vectorized`), built
        on first use: batch linking reads :attr:`codes` and never needs them, and at a
        million records they cost seconds and a gigabyte."""
        if self._arrays is None:
            sp, c, n = self.spellings, self.codes, len(self)
            fc, lc = sp.fcode, sp.lcode
            self._arrays = ProfileArrays(
                np.full(n, None, dtype=object),
                _names(sp.f_norm, sp.f_root, sp.l_norm, sp.l_ph, sp.l_parts, fc, lc),
                _names(sp.l_sw_first, sp.l_sw_root, ["".join(p) for p in sp.f_sw_parts],
                       sp.f_sw_ph, sp.f_sw_parts, lc, fc),
                _strs(sp.m_norm)[sp.mcode], _strs(sp.s_norm)[sp.scode],
                _strs(sp.x_norm)[sp.xcode], self.compared_dob,
                np.where(c.ssn >= 0, c.ssn.astype("<U7"), ""),
                np.where(c.masked >= 0, c.masked.astype("<U7"), ""),
                c.aka_count > 0,
            )  # fmt: skip
        return self._arrays

    def profile(self, i: int) -> MatchProfile:
        """Record ``i`` as the ``MatchProfile`` the hub would store (tokens as plain values)."""
        sp, c = self.spellings, self.codes
        f, la = int(sp.fcode[i]), int(sp.lcode[i])
        name = NormalizedName(sp.f_norm[f], sp.m_norm[int(sp.mcode[i])], sp.l_norm[la],
                              sp.l_parts[la], sp.s_norm[int(sp.scode[i])], sp.f_root[f],
                              sp.f_ph[f], sp.l_ph[la])  # fmt: skip
        d = int(self.dob[i])
        ssn = int(c.ssn[i])
        masked = tuple(str(m) for m in c.masked[i].tolist() if m >= 0)
        return MatchProfile(name, date(d // 10000, d // 100 % 100, d % 100) if d >= 0 else None,
                            sp.x_norm[int(sp.xcode[i])], str(ssn) if ssn >= 0 else "", masked,
                            self.aka.get(i, ()))  # fmt: skip

    def ensure_profiles(self, index: Ints) -> None:
        """Fill the ``profiles`` column of :attr:`arrays` at ``index`` (the string engine's
        scalar name comparison of rows with AKAs or long surnames reads them)."""
        objects = self.arrays.profiles
        for i in np.unique(index).tolist():
            if objects[i] is None:
                objects[i] = self.profile(i)


def _encode(values: list[str]) -> tuple[Ints, list[str]]:
    """(index of each value among the distinct ones, the distinct values)."""
    encoded = pa.array(values, pa.string()).dictionary_encode()
    return (encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
            encoded.dictionary.to_pylist())  # fmt: skip


def _strs(values: Sequence[str]) -> NDArray[np.str_]:
    return np.array(values, dtype=np.str_) if len(values) else np.empty(0, dtype="<U1")


def _padded(rows: Sequence[Sequence[str]], width: int) -> NDArray[np.str_]:
    out = np.full((len(rows), width), "", dtype=object)
    for i, r in enumerate(rows):
        out[i, : min(len(r), width)] = r[:width]
    return out.astype(np.str_) if len(rows) else np.empty((0, width), "<U1")


class _Column:
    """One text column of every file read so far: each row's index into the distinct
    (stripped) values, so later stages work once per distinct value."""

    def __init__(self, strip: bool) -> None:
        self.strip = strip
        self.ids: dict[str, int] = {}
        self.codes: list[Ints] = []

    def add(self, codes: Ints, distinct: list[str]) -> None:
        ids = self.ids
        values = [v.strip() for v in distinct] if self.strip else distinct
        remap = np.array([ids.setdefault(v, len(ids)) for v in values], dtype=np.int64)
        self.codes.append(remap[codes] if len(remap) else np.zeros(len(codes), np.int64))

    def add_rows(self, values: list[str]) -> None:
        self.add(*_encode(values))

    def coded(self) -> tuple[Ints, list[str]]:
        codes = np.concatenate(self.codes) if self.codes else np.empty(0, np.int64)
        return codes, list(self.ids)


@dataclass(slots=True)
class _Raw:
    files: list[str] = field(default_factory=list)
    source: list[Ints] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    columns: dict[str, _Column] = field(default_factory=dict)

    def column(self, name: str) -> tuple[Ints, list[str]]:
        return self.columns[name].coded()


# _Raw column <- file column, and whether the value is stripped.
_RAW_COLUMNS = (("first", "first_name", True), ("last", "last_name", True),
                ("middle", "middle_name", True), ("suffix", "suffix", True),
                ("aka", "aka_names", False), ("dob", "dob", False), ("sex", "sex", False),
                ("ssn", "ssn_last5", True))  # fmt: skip


def _arrow_csv(path: Path) -> tuple[list[str], dict[str, tuple[Ints, list[str]]]] | None:
    """The record ids and the other columns (as dictionary codes and distinct raw values)
    of a well-formed CSV file, parsed by pyarrow (a C parser, several times faster than one
    dict per row), or None when the file is not plain (another format, a header the row
    reader would reject, a row of the wrong width, bad UTF-8): the row reader then reads
    it and reports its problems as it always does."""
    if detect_format(path) != "csv" or not path.is_file():
        return None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header = next(reader)
            if reader.line_num != 1:
                return None
    except (OSError, UnicodeDecodeError, csv.Error, StopIteration):
        return None
    names = [h.strip() for h in header]
    if len(set(names)) != len(names) or not set(COLUMNS) <= set(names):
        return None
    raw_name = dict(zip(names, header, strict=True))
    wanted = ["record_id", *(c for _, c, _ in _RAW_COLUMNS)]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                include_columns=[raw_name[c] for c in wanted],
            ),
        )
    except (OSError, pa.ArrowException):
        return None
    out: dict[str, tuple[Ints, list[str]]] = {}
    for name, column, _strip in _RAW_COLUMNS:
        coded = table.column(raw_name[column]).combine_chunks().dictionary_encode()
        out[name] = (coded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
                     coded.dictionary.to_pylist())  # fmt: skip
    ids = pc.utf8_trim_whitespace(table.column(raw_name["record_id"])).to_pylist()
    return ids, out


def _read(files: Iterable[Path], progress: Callable[[int], None] | None) -> _Raw:
    raw = _Raw(columns={name: _Column(strip) for name, _, strip in _RAW_COLUMNS})
    for source, path in enumerate(files):
        raw.files.append(path.name)
        fast = _arrow_csv(path)
        if fast is not None:
            ids, coded = fast
            raw.ids.extend(ids)
            raw.source.append(np.full(len(ids), source, np.int16))
            for name, (codes, distinct) in coded.items():
                raw.columns[name].add(codes, distinct)
            if progress is not None:
                progress(len(raw.ids))
            continue
        rows: dict[str, list[str]] = {name: [] for name, _, _ in _RAW_COLUMNS}
        start = len(raw.ids)
        for _line, row in read_rows(path):
            raw.ids.append(row.get("record_id", "").strip())
            for name, column, _strip in _RAW_COLUMNS:
                rows[name].append(row.get(column, ""))
            if progress is not None and len(raw.ids) % 100_000 == 0:
                progress(len(raw.ids))
        raw.source.append(np.full(len(raw.ids) - start, source, np.int16))
        for name, values in rows.items():
            raw.columns[name].add_rows(values)
    return raw


def _two(text: str) -> str:
    """The first two letters, for the rules that need two (empty when there are fewer)."""
    return text[:2] if len(text) >= 2 else ""


def masked_code(ssn: Ints, position: int) -> Ints:
    """The SSN-5 values with digit ``position`` masked, distinct per position (as the masked
    tokens and the Q{i} block keys are)."""
    place = 10 ** (4 - position)
    code: Ints = (position + 1) * 100_000 + ssn - ssn // place % 10 * place
    return code


def _masked_codes(value: Ints) -> Ints:
    """The masked forms of each SSN-5 value (one of the first four digits masked); -1
    without an SSN."""
    out = np.full((len(value), MASKED_TOKEN_COUNT), -1, dtype=np.int64)
    has = value >= 0
    for i in range(MASKED_TOKEN_COUNT):
        out[has, i] = masked_code(value[has], i)
    return out


def _split_aka(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in text.split(";") if a.strip())


Person = tuple[str, str, date, tuple[str, ...], str]  # what a decoy is derived from


def _ssn_values(raw: _Raw, dob: Ints, decoys: bool) -> tuple[Ints, list[int], list[Person]]:
    """Each record's SSN-5 as an integer (-1 without one), the records without one, and
    (with ``decoys``) what their decoys are derived from (``ssn.decoy_values``)."""
    codes, distinct = raw.column("ssn")
    valid = np.array([int(s) if len(s) == 5 and s.isascii() and s.isdigit() and has_ssn(s)
                      else -1 for s in distinct], dtype=np.int64)  # fmt: skip
    value = valid[codes] if len(codes) else np.empty(0, np.int64)
    rows = np.flatnonzero(value < 0).tolist()
    if not (decoys and rows):
        return value, rows, []
    fcode, first = raw.column("first")
    lcode, last = raw.column("last")
    acode, aka = raw.column("aka")
    source = np.concatenate(raw.source) if raw.source else np.empty(0, np.int16)

    def person(i: int) -> Person:
        d = int(dob[i])
        when = date(d // 10000, d // 100 % 100, d % 100) if d >= 0 else sentinel_dob(i)
        return (first[fcode[i]], last[lcode[i]], when, _split_aka(aka[acode[i]]),
                f"{raw.files[source[i]]}/{raw.ids[i]}")  # fmt: skip

    return value, rows, [person(i) for i in rows]


def _decoys(people: list[Person], keys: NetworkKeys) -> Ints:
    return np.array(decoy_values(people, keys), dtype=np.int64)


def _akas(texts: list[tuple[tuple[str, ...], str]]) -> list[tuple[AkaName, ...]]:
    """Each (AKA names, the record's given name) parsed as the profile parses them."""
    return [tuple(AkaName.parse(a, first) for a in names) for names, first in texts]


def _done(value: T) -> Future[T]:
    done: Future[T] = Future()
    done.set_result(value)
    return done


class _Memo:
    """The name functions of :mod:`lpx.domain.names`, each called once per distinct
    argument: a run's spellings share normalized forms (Garcia-Lopez and Garcia Lopez), and
    a normalized form is normalized again as another reading (a surname as a given name)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Callable[[str], object], str], object] = {}

    def _get(self, fn: Callable[[str], T], text: str) -> T:
        key = (fn, text)
        found = self._cache.get(key, self)
        if found is self:
            found = self._cache[key] = fn(text)
        return found  # type: ignore[return-value]

    def compact(self, text: str) -> str:
        return self._get(compact, text)

    def root(self, text: str) -> str:
        return self._get(canonical_first, text)

    def phonetic(self, text: str) -> str:
        return self._get(phonetic, text)

    def parts(self, text: str) -> tuple[str, ...]:
        return self._get(surname_parts, text)


def _coded(values: Sequence[str], ids: dict[str, int]) -> Ints:
    """The id of each value in ``ids`` (new values added), "" being 0."""
    return np.array([ids.setdefault(v, len(ids)) for v in values], dtype=np.int64)


def _field_codes(values: list[str], code: Ints) -> tuple[Ints, list[str]]:
    """Per-record ids ("" is 0) of a field given as its distinct normalized ``values`` and
    each record's index into them, and the values by id."""
    ids: dict[str, int] = {"": 0}
    return _coded(values, ids)[code], list(ids)


def _pair_codes(
    given: tuple[list[str], list[str], Ints],
    given_sw: tuple[list[str], list[str], Ints],
    family: tuple[list[tuple[str, ...]], list[str], Ints],
    family_sw: tuple[list[tuple[str, ...]], list[str], Ints],
    others: tuple[tuple[list[str], Ints], tuple[list[str], Ints], tuple[list[str], Ints]],
    dob: Ints, ssn: Ints, masked: Ints, aka: dict[int, tuple[AkaName, ...]],
) -> PairCodes:  # fmt: skip
    """The columns as :class:`PairCodes`. Each reading comes as (distinct values, what the
    comparison reads of each, per-record index into them); all readings of a name (and
    the AKA names, as ``name_levels`` reads them) share one vocabulary."""
    g_ids: dict[tuple[str, str], int] = {("", ""): 0}  # (given name, its root)

    def given_ids(names: list[str], root: list[str], code: Ints) -> Ints:
        return np.array([g_ids.setdefault(k, len(g_ids)) for k in zip(names, root, strict=True)],
                        np.int64)[code]  # fmt: skip

    s_ids: dict[tuple[tuple[str, ...], str], int] = {((), ""): 0}  # (parts, phonetic)

    def family_ids(parts: list[tuple[str, ...]], ph: list[str], code: Ints) -> Ints:
        return np.array([s_ids.setdefault(k, len(s_ids)) for k in zip(parts, ph, strict=True)],
                        np.int64)[code]  # fmt: skip

    first, first_sw = given_ids(*given), given_ids(*given_sw)
    last, last_sw = family_ids(*family), family_ids(*family_sw)
    n = len(dob)
    aka_count = np.zeros(n, np.int64)
    owners = sorted(aka)
    aka_count[owners] = [len(aka[i]) for i in owners]
    akas = [x for i in owners for x in aka[i]]
    aka_first = given_ids([x.first for x in akas], [""] * len(akas), np.arange(len(akas)))
    aka_last = family_ids([(x.last,) for x in akas], [x.last_phonetic for x in akas],
                          np.arange(len(akas)))  # fmt: skip
    middle, middles = _field_codes(*others[0])
    return PairCodes(
        Givens.of([g for g, _ in g_ids], [r for _, r in g_ids]),
        Surnames.of([p for p, _ in s_ids], [ph for _, ph in s_ids]), Shorts.of(middles),
        first, last, first_sw, last_sw, middle, _field_codes(*others[1])[0],
        _field_codes(*others[2])[0], dob, ssn, masked,
        np.cumsum(aka_count) - aka_count, aka_count, aka_first, aka_last,
    )  # fmt: skip


SurnameSpellings = tuple[list[tuple[str, ...]], list[str], list[str], list[list[str]], list[str],
                         list[str]]  # fmt: skip


def _surnames(lvals: list[str]) -> SurnameSpellings:
    """Per distinct family-name spelling: its parts, the joined form, its phonetic key,
    the phonetic keys blocking reads (the name's and each part's, sorted), and the name
    read as a given name (compacted, and its nickname root)."""
    memo = _Memo()
    l_parts = [memo.parts(v) for v in lvals]
    l_norm = ["".join(p) for p in l_parts]
    l_ph = [memo.phonetic(v) for v in l_norm]
    l_phs = [sorted({ph, *map(memo.phonetic, parts)})
             for ph, parts in zip(l_ph, l_parts, strict=True)]  # fmt: skip
    return (l_parts, l_norm, l_ph, l_phs, [memo.compact(v) for v in l_norm],
            [memo.root(v) for v in l_norm])  # fmt: skip


# From this many records on, a second process derives the surnames' spellings and the
# decoys while this one does the rest (on two cores that shortens reading by a third;
# below it, starting the process costs more than it saves).
HELPER_RECORDS = 200_000
HELPER_SHARE = 0.75  # of the distinct family names


def _helper(n: int) -> ProcessPoolExecutor | None:
    """A one-process pool for a run of ``n`` records, or None. The process is forked: it
    inherits the loaded modules (a spawned one would import them again, and would rerun
    a caller's unguarded script), and runs only pure-Python name and HMAC work."""
    if (n < HELPER_RECORDS or (os.cpu_count() or 1) < 2
            or "fork" not in multiprocessing.get_all_start_methods()):  # fmt: skip
        return None
    canonical_first("a")  # the nickname graph, built once for both processes
    return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))


def read_columns(
    files: Iterable[Path],
    keys: NetworkKeys | None = None,
    *,
    decoys: bool = True,
    progress: Callable[[int], None] | None = None,
) -> RecordColumns:
    """Profile every row of ``files`` (CSV, Parquet or NDJSON in the state file layout).

    ``keys`` defaults to fresh random network keys: decoys only need to agree within a run.
    """
    keys = keys or NetworkKeys.generate()
    raw = _read(files, progress)
    helper = _helper(len(raw.ids))
    try:
        return _columns(raw, keys, decoys, progress, helper)
    finally:
        if helper is not None:
            helper.shutdown(cancel_futures=True)


def _columns(
    raw: _Raw, keys: NetworkKeys, decoys: bool, progress: Callable[[int], None] | None,
    helper: ProcessPoolExecutor | None,
) -> RecordColumns:  # fmt: skip
    n = len(raw.ids)
    vocab = Vocabulary()
    memo = _Memo()
    lcode, lvals = raw.column("last")
    dcode, dvals = raw.column("dob")
    parsed = [parse_dob(d) for d in dvals]
    dob_of = np.array([p.year * 10000 + p.month * 100 + p.day if p else -1 for p in parsed],
                      dtype=np.int64)  # fmt: skip
    dob = dob_of[dcode] if n else np.empty(0, np.int64)
    ssn, no_ssn, people = _ssn_values(raw, dob, decoys)
    fcode, fvals = raw.column("first")
    acode, avals = raw.column("aka")
    a_split = [_split_aka(a) for a in avals]
    with_aka = np.flatnonzero(np.array([bool(s) for s in a_split], dtype=bool)[acode]
                              if n else np.empty(0, bool))  # fmt: skip
    # A record's AKAs, as (its AKA text, its given name) codes: AkaName.parse reads both.
    aka_of = acode[with_aka] * (len(fvals) + 1) + fcode[with_aka]
    aka_keys, aka_at = np.unique(aka_of, return_inverse=True)
    aka_in = [(a_split[k // (len(fvals) + 1)], fvals[k % (len(fvals) + 1)])
              for k in aka_keys.tolist()]  # fmt: skip
    # Most family names (Python string work) in the helper process, if any, while this one
    # does the given names, the AKAs, the decoys and the other family names: the two
    # halves then take about as long.
    split = int(len(lvals) * HELPER_SHARE) if helper is not None else 0
    family = (helper.submit(_surnames, lvals[:split]) if helper is not None
              else _done(_surnames([])))  # fmt: skip

    # Given names: everything a comparison or a key reads, per distinct raw spelling. The
    # name functions only read a spelling's compacted form (compact is idempotent), so
    # each is called on that form, once per distinct form.
    f_norm = [memo.compact(f) for f in fvals]
    f_root = [memo.root(f) for f in f_norm]
    f_ph = [memo.phonetic(f) for f in f_norm]
    f_sw_parts = [memo.parts(c) for c in f_norm]  # the given name read as a surname
    f_sw_last = ["".join(p) for p in f_sw_parts]
    f_sw_ph = [memo.phonetic(v) for v in f_sw_last]

    mcode, mvals = raw.column("middle")
    scode, svals = raw.column("suffix")
    xcode, xvals = raw.column("sex")
    keyed_of = np.array([keyed_digits(d) for d in dvals], dtype=np.int64)
    compared = np.maximum(dob_of, keyed_of)[dcode] if n else dob  # the calendar's, or digits

    m_norm = [memo.compact(m) for m in mvals]
    s_norm = [normalize_suffix(s) if s else "" for s in svals]
    x_norm = [_SEXES.get(x.strip().upper(), "") for x in xvals]

    def ids(values: list[str]) -> Ints:
        return vocab.many(values)

    if people:
        ssn[no_ssn] = _decoys(people, keys)
    distinct_akas = _akas(aka_in)
    mine = _surnames(lvals[split:])
    try:
        theirs = family.result()
    except BrokenProcessPool:  # the helper died (killed, out of memory): do its share here
        theirs = _surnames(lvals[:split])
    l_parts, l_norm, l_ph = theirs[0] + mine[0], theirs[1] + mine[1], theirs[2] + mine[2]
    l_phs, l_sw_first, l_sw_root = theirs[3] + mine[3], theirs[4] + mine[4], theirs[5] + mine[5]
    aka = {i: distinct_akas[k] for i, k in zip(with_aka.tolist(), aka_at.tolist(), strict=True)}

    width = max((len(p) for p in l_phs), default=1)
    lphs = vocab.many(p for ps in l_phs for p in [*ps, *[""] * (width - len(ps))])
    lphs = lphs.reshape(len(l_phs), width)
    f_ids, l_ids = ids(f_norm), ids(l_norm)
    f_ph_ids = ids(f_ph)[fcode]
    straight_r = Readings(
        f_ids[fcode], ids(f_root)[fcode], f_ph_ids, l_ids[lcode],
        ids([v[:1] for v in f_norm])[fcode], ids([_two(v) for v in f_norm])[fcode],
        ids([v[:1] for v in l_norm])[lcode], ids([_two(v) for v in l_norm])[lcode],
        lphs[lcode],
    )  # fmt: skip
    swapped_r = Readings(
        l_ids[lcode], ids(l_sw_root)[lcode], ids(l_ph)[lcode], f_ids[fcode],
        straight_r.last1, straight_r.last2, straight_r.first1, straight_r.first2,
        f_ph_ids.reshape(n, 1),
    )  # fmt: skip
    rec, l2, lp = [], [], []
    for i, names_ in aka.items():
        for a in names_:
            rec.append(i)
            l2.append(vocab(a.last[:2]) if len(a.last) >= 2 else 0)
            lp.append(vocab(a.last_phonetic))
    spellings = Spellings(fcode, f_norm, f_root, f_ph, f_sw_parts, f_sw_ph, lcode, l_norm,
                          l_parts, l_ph, l_sw_first, l_sw_root, mcode, m_norm, scode, s_norm,
                          xcode, x_norm)  # fmt: skip
    if progress is not None:
        progress(n)
    return RecordColumns(
        files=raw.files,
        source=np.concatenate(raw.source) if raw.source else np.empty(0, np.int16),
        record_ids=raw.ids, dob_missing=(dob < 0).tolist(), spellings=spellings,
        straight=straight_r, swapped=swapped_r,
        aka_keys=(np.array(rec, np.int64), np.array(l2, np.int64), np.array(lp, np.int64)),
        ssn_value=ssn, calendar_dob=dob, compared_dob=compared, aka=aka,
    )  # fmt: skip
