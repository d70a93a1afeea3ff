"""Reading license files into columns: every record profiled as the hub would, once.

The online engine (:mod:`lpx.domain.vectorized`) compares :class:`ProfileArrays`, one
column per profile field. Building them through a ``MatchProfile`` object per record costs
a Python call chain per record; here each column is built from the distinct raw values
instead (names repeat heavily: a million records carry a few thousand given names), with
the very same normalization functions, and gathered back per record by index.

Rows are read leniently, as :mod:`lpx.linkage.records` does for ``lpx model train``: a
missing or unreadable date of birth is marked (``dob_missing``) and compares as ``null``
(a date the calendar lacks, 1945-04-93, is marked too but compares by its digits:
:func:`lpx.linkage.records.keyed_digits`);
the decoy of a record without SSN is derived from a per-record sentinel date.

SSN tokens are kept as the plain SSN-5 value (and its one-digit-masked forms) rather than
keyed HMAC tokens: within one offline run a token only has to be equal exactly when the
value is (the hub never sees these), and decoys are still drawn with the network keys by
:func:`lpx.client.ssn.decoy_value`, exactly as the loader would draw them.

Blocking reads each record's name parts as small integers (:class:`Readings`): ids in one
vocabulary of strings, so two key parts are equal exactly when their strings are.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from lpx.client.files import COLUMNS, detect_format, read_rows
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import decoy_value, has_ssn
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
from lpx.linkage.coded import Givens, PairCodes, Shorts, Surnames
from lpx.linkage.records import keyed_digits, parse_dob, sentinel_dob

_SEXES = {"F": Sex.FEMALE.value, "M": Sex.MALE.value}  # "X" (unspecified) compares as null
_PARTS = 3  # as vectorized._PARTS: surname parts held in the arrays
Ints = NDArray[np.int64]


class Vocabulary:
    """Small integer ids for strings; "" is always 0, so a zero id means "absent"."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))


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


@dataclass(slots=True)
class RecordColumns:
    """Every record of a run, by index: where it came from and its profile as columns."""

    files: list[str]  # input file names, by source index
    source: NDArray[np.int16]
    record_ids: list[str]
    dob_missing: list[bool]
    arrays: ProfileArrays  # ``profiles`` holds None until :meth:`ensure_profiles`
    straight: Readings
    swapped: Readings
    aka_keys: tuple[Ints, Ints, Ints]  # (record, aka last[:2] id, aka phonetic id)
    ssn_value: Ints  # SSN-5 (or decoy) as an integer, -1 without tokens
    calendar_dob: Ints  # as ``arrays.dob`` without the keyed digits of impossible dates
    codes: PairCodes  # the profile columns as integer codes, for scoring (lpx.linkage.coded)
    # What the arrays do not carry, for :meth:`profile`:
    aka: dict[int, tuple[AkaName, ...]] = field(default_factory=dict)
    first_phonetic: list[str] = field(default_factory=list)
    long_parts: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def dob(self) -> Ints:
        """Birth dates as yyyymmdd, -1 when unknown: what blocking and training keys read.
        Impossible dates count as unknown here (the hub holds none); only the comparison
        columns carry their digits."""
        return self.calendar_dob

    def profile(self, i: int) -> MatchProfile:
        """Record ``i`` as the ``MatchProfile`` the hub would store (tokens as plain values)."""
        a, n = self.arrays, self.arrays.name
        parts = self.long_parts.get(i) or tuple(p for p in n.parts[i].tolist() if p)
        name = NormalizedName(str(n.first[i]), str(a.middle[i]), str(n.last[i]), parts,
                              str(a.suffix[i]), str(n.root[i]), self.first_phonetic[i],
                              str(n.last_phonetic[i]))  # fmt: skip
        d = int(self.dob[i])
        masked = tuple(m for m in a.masked[i].tolist() if m)
        return MatchProfile(name, date(d // 10000, d // 100 % 100, d % 100) if d >= 0 else None,
                            str(a.sex[i]), str(a.ssn[i]), masked,
                            self.aka.get(i, ()))  # fmt: skip

    def ensure_profiles(self, index: Ints) -> None:
        """Fill the ``profiles`` column at ``index``: the scalar name comparison of rows
        with AKAs or long surnames (:func:`lpx.domain.vectorized.levels`) reads them."""
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


@dataclass(slots=True)
class _Raw:
    files: list[str] = field(default_factory=list)
    source: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)
    last: list[str] = field(default_factory=list)
    middle: list[str] = field(default_factory=list)
    suffix: list[str] = field(default_factory=list)
    aka: list[str] = field(default_factory=list)
    dob: list[str] = field(default_factory=list)
    sex: list[str] = field(default_factory=list)
    ssn: list[str] = field(default_factory=list)


# _Raw field <- file column, and whether the value is stripped.
_RAW_COLUMNS = (("ids", "record_id", True), ("first", "first_name", True),
                ("last", "last_name", True), ("middle", "middle_name", True),
                ("suffix", "suffix", True), ("aka", "aka_names", False), ("dob", "dob", False),
                ("sex", "sex", False), ("ssn", "ssn_last5", True))  # fmt: skip


def _arrow_csv(path: Path) -> dict[str, list[str]] | None:
    """The columns of a well-formed CSV file, parsed by pyarrow (a C parser, several times
    faster than one dict per row), or None when the file is not plain (another format, a
    header the row reader would reject, a row of the wrong width, bad UTF-8): the row
    reader then reads it and reports its problems as it always does."""
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
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                include_columns=[raw_name[c] for _, c, _ in _RAW_COLUMNS],
            ),
        )
    except (OSError, pa.ArrowException):
        return None
    out: dict[str, list[str]] = {}
    for name, column, strip in _RAW_COLUMNS:
        # Each distinct value becomes one Python string (stripped once), shared by its rows.
        coded = table.column(raw_name[column]).combine_chunks().dictionary_encode()
        distinct = coded.dictionary.to_pylist()
        values = np.empty(len(distinct), dtype=object)
        values[:] = [v.strip() for v in distinct] if strip else distinct
        out[name] = values[coded.indices.to_numpy(zero_copy_only=False)].tolist()
    return out


def _read(files: Iterable[Path], progress: Callable[[int], None] | None) -> _Raw:
    raw = _Raw()
    for source, path in enumerate(files):
        raw.files.append(path.name)
        fast = _arrow_csv(path)
        if fast is not None:
            raw.source.extend([source] * len(fast["ids"]))
            for name, values in fast.items():
                getattr(raw, name).extend(values)
            if progress is not None:
                progress(len(raw.ids))
            continue
        for _line, row in read_rows(path):
            raw.source.append(source)
            raw.ids.append(row.get("record_id", "").strip())
            raw.first.append(row.get("first_name", "").strip())
            raw.last.append(row.get("last_name", "").strip())
            raw.middle.append(row.get("middle_name", "").strip())
            raw.suffix.append(row.get("suffix", "").strip())
            raw.aka.append(row.get("aka_names", ""))
            raw.dob.append(row.get("dob", ""))
            raw.sex.append(row.get("sex", ""))
            raw.ssn.append(row.get("ssn_last5", "").strip())
            if progress is not None and len(raw.ids) % 100_000 == 0:
                progress(len(raw.ids))
    return raw


def _two(text: str) -> str:
    """The first two letters, for the rules that need two (empty when there are fewer)."""
    return text[:2] if len(text) >= 2 else ""


def _masked_codes(value: Ints) -> Ints:
    """The masked forms of each SSN-5 value (one of the first four digits masked), as
    integers that differ by mask position, i.e. as distinct as the masked tokens."""
    out = np.full((len(value), MASKED_TOKEN_COUNT), -1, dtype=np.int64)
    has = value >= 0
    for i in range(MASKED_TOKEN_COUNT):
        place = 10 ** (4 - i)
        digit = value // place % 10
        out[has, i] = (i + 1) * 100_000 + value[has] - digit[has] * place
    return out


def _ssn_values(raw: _Raw, dob: Ints, keys: NetworkKeys, decoys: bool) -> Ints:
    codes, distinct = _encode(raw.ssn)
    valid = np.array([int(s) if len(s) == 5 and s.isascii() and s.isdigit() and has_ssn(s)
                      else -1 for s in distinct], dtype=np.int64)  # fmt: skip
    value = valid[codes] if len(codes) else np.empty(0, np.int64)
    if decoys:
        for i in np.flatnonzero(value < 0).tolist():
            d = int(dob[i])
            when = date(d // 10000, d // 100 % 100, d % 100) if d >= 0 else sentinel_dob(i)
            aka = tuple(a.strip() for a in raw.aka[i].split(";") if a.strip())
            record = f"{raw.files[raw.source[i]]}/{raw.ids[i]}"
            value[i] = int(decoy_value(raw.first[i], raw.last[i], when, keys, aka, record))
    return value


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
    n = len(raw.ids)
    vocab = Vocabulary()

    # Given names: everything a comparison or a key reads, per distinct raw spelling.
    fcode, fvals = _encode(raw.first)
    f_norm = [compact(f) for f in fvals]
    f_root = [canonical_first(f) for f in fvals]
    f_ph = [phonetic(f) for f in fvals]
    f_sw_parts = [surname_parts(c) for c in f_norm]  # the given name read as a surname
    f_sw_last = ["".join(p) for p in f_sw_parts]
    # Family names likewise.
    lcode, lvals = _encode(raw.last)
    l_parts = [surname_parts(v) for v in lvals]
    l_norm = ["".join(p) for p in l_parts]
    l_ph = [phonetic(v) for v in l_norm]
    l_phs = [sorted({ph, *map(phonetic, parts)}) for ph, parts in zip(l_ph, l_parts, strict=True)]
    l_sw_first = [compact(v) for v in l_norm]
    l_sw_root = [canonical_first(v) for v in l_norm]

    def names(first: list[str], root: list[str], last: list[str], last_ph: list[str],
              parts: list[tuple[str, ...]], fc: Ints, lc: Ints) -> NameArrays:  # fmt: skip
        return NameArrays(_strs(first)[fc], _strs(root)[fc], _strs(last)[lc], _strs(last_ph)[lc],
                          _padded(parts, _PARTS)[lc],
                          np.array([len(p) > _PARTS for p in parts], dtype=bool)[lc])  # fmt: skip

    straight = names(f_norm, f_root, l_norm, l_ph, l_parts, fcode, lcode)
    swapped = names(l_sw_first, l_sw_root, f_sw_last, [phonetic(v) for v in f_sw_last],
                    f_sw_parts, lcode, fcode)  # fmt: skip

    mcode, mvals = _encode(raw.middle)
    scode, svals = _encode(raw.suffix)
    xcode, xvals = _encode([s.strip().upper() for s in raw.sex])
    dcode, dvals = _encode(raw.dob)
    parsed = [parse_dob(d) for d in dvals]
    dob_of = np.array([p.year * 10000 + p.month * 100 + p.day if p else -1 for p in parsed],
                      dtype=np.int64)  # fmt: skip
    dob = dob_of[dcode] if n else np.empty(0, np.int64)
    keyed_of = np.array([keyed_digits(d) for d in dvals], dtype=np.int64)
    compared = np.maximum(dob_of, keyed_of)[dcode] if n else dob  # the calendar's, or digits

    ssn = _ssn_values(raw, dob, keys, decoys)
    masked = _masked_codes(ssn)
    aka: dict[int, tuple[AkaName, ...]] = {}
    for i in np.flatnonzero(np.array([bool(a.strip()) for a in raw.aka], dtype=bool)).tolist():
        parsed_aka = tuple(AkaName.parse(a.strip(), raw.first[i])
                           for a in raw.aka[i].split(";") if a.strip())  # fmt: skip
        if parsed_aka:
            aka[i] = parsed_aka
    has_aka = np.zeros(n, dtype=bool)
    has_aka[list(aka)] = True

    m_norm = [compact(m) for m in mvals]
    s_norm = [normalize_suffix(s) if s else "" for s in svals]
    x_norm = [_SEXES.get(x, "") for x in xvals]
    arrays = ProfileArrays(
        np.full(n, None, dtype=object), straight, swapped,
        _strs(m_norm)[mcode] if n else _strs([]),
        _strs(s_norm)[scode] if n else _strs([]),
        _strs(x_norm)[xcode] if n else _strs([]),
        compared,
        np.where(ssn >= 0, ssn.astype("<U7"), ""),
        np.where(masked >= 0, masked.astype("<U7"), ""),
        has_aka,
    )  # fmt: skip

    def ids(values: list[str]) -> Ints:
        return np.array([vocab(v) for v in values], dtype=np.int64)

    width = max((len(p) for p in l_phs), default=1)
    lphs = np.array([[vocab(p) for p in ps] + [0] * (width - len(ps)) for ps in l_phs],
                    dtype=np.int64).reshape(len(l_phs), width)  # fmt: skip
    f_ids, l_ids = ids(f_norm), ids(l_norm)
    straight_r = Readings(
        f_ids[fcode], ids(f_root)[fcode], ids(f_ph)[fcode], l_ids[lcode],
        ids([v[:1] for v in f_norm])[fcode], ids([_two(v) for v in f_norm])[fcode],
        ids([v[:1] for v in l_norm])[lcode], ids([_two(v) for v in l_norm])[lcode],
        lphs[lcode],
    )  # fmt: skip
    swapped_r = Readings(
        l_ids[lcode], ids(l_sw_root)[lcode], ids(l_ph)[lcode], f_ids[fcode],
        straight_r.last1, straight_r.last2, straight_r.first1, straight_r.first2,
        ids(f_ph)[fcode].reshape(n, 1),
    )  # fmt: skip
    rec, l2, lp = [], [], []
    for i, names_ in aka.items():
        for a in names_:
            rec.append(i)
            l2.append(vocab(a.last[:2]) if len(a.last) >= 2 else 0)
            lp.append(vocab(a.last_phonetic))
    codes = _pair_codes(
        (f_norm, f_root, fcode), (l_sw_first, l_sw_root, lcode),
        (l_parts, l_ph, lcode), (f_sw_parts, [phonetic(v) for v in f_sw_last], fcode),
        ((m_norm, mcode), (s_norm, scode), (x_norm, xcode)), compared, ssn, masked, aka,
    )  # fmt: skip
    long_parts = {i: l_parts[int(lcode[i])] for i in np.flatnonzero(straight.many_parts).tolist()}
    if progress is not None:
        progress(n)
    return RecordColumns(
        files=raw.files, source=np.array(raw.source, dtype=np.int16), record_ids=raw.ids,
        dob_missing=(dob < 0).tolist(), arrays=arrays, straight=straight_r, swapped=swapped_r,
        aka_keys=(np.array(rec, np.int64), np.array(l2, np.int64), np.array(lp, np.int64)),
        ssn_value=ssn, calendar_dob=dob, codes=codes, aka=aka,
        first_phonetic=[f_ph[c] for c in fcode.tolist()], long_parts=long_parts,
    )  # fmt: skip
