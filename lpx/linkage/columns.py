"""Reading license files into columns: every record profiled as the hub would, once.

The online engine (:mod:`lpx.domain.vectorized`) compares :class:`ProfileArrays`, one
column per profile field. Building them through a ``MatchProfile`` object per record costs
a Python call chain per record; here each column is built from the distinct raw values
instead (names repeat heavily: a million records carry a few thousand given names), with
the very same normalization functions, and gathered back per record by index.

Rows are read leniently, as :mod:`lpx.linkage.records` does for ``lpx model train``: a
missing or unreadable date of birth is marked (``dob_missing``) and compares as ``null``;
the decoy of a record without SSN is derived from a per-record sentinel date.

SSN tokens are kept as the plain SSN-5 value (and its one-digit-masked forms) rather than
keyed HMAC tokens: within one offline run a token only has to be equal exactly when the
value is (the hub never sees these), and decoys are still drawn with the network keys by
:func:`lpx.client.ssn.decoy_value`, exactly as the loader would draw them.

Blocking reads each record's name parts as small integers (:class:`Readings`): ids in one
vocabulary of strings, so two key parts are equal exactly when their strings are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from lpx.client.files import read_rows
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
from lpx.linkage.records import parse_dob, sentinel_dob

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
    # What the arrays do not carry, for :meth:`profile`:
    aka: dict[int, tuple[AkaName, ...]] = field(default_factory=dict)
    first_phonetic: list[str] = field(default_factory=list)
    long_parts: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.record_ids)

    @property
    def dob(self) -> Ints:
        """Birth dates as yyyymmdd, -1 when unknown."""
        return self.arrays.dob

    def profile(self, i: int) -> MatchProfile:
        """Record ``i`` as the ``MatchProfile`` the hub would store (tokens as plain values)."""
        a, n = self.arrays, self.arrays.name
        parts = self.long_parts.get(i) or tuple(p for p in n.parts[i].tolist() if p)
        name = NormalizedName(str(n.first[i]), str(a.middle[i]), str(n.last[i]), parts,
                              str(a.suffix[i]), str(n.root[i]), self.first_phonetic[i],
                              str(n.last_phonetic[i]))  # fmt: skip
        d = int(a.dob[i])
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


def _read(files: Iterable[Path], progress: Callable[[int], None] | None) -> _Raw:
    raw = _Raw()
    for source, path in enumerate(files):
        raw.files.append(path.name)
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

    arrays = ProfileArrays(
        np.full(n, None, dtype=object), straight, swapped, _strs(
            [compact(m) for m in mvals])[mcode] if n else _strs([]),
        _strs([normalize_suffix(s) if s else "" for s in svals])[scode] if n else _strs([]),
        _strs([_SEXES.get(x, "") for x in xvals])[xcode] if n else _strs([]),
        dob,
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
    long_parts = {i: l_parts[int(lcode[i])] for i in np.flatnonzero(straight.many_parts).tolist()}
    if progress is not None:
        progress(n)
    return RecordColumns(
        files=raw.files, source=np.array(raw.source, dtype=np.int16), record_ids=raw.ids,
        dob_missing=(dob < 0).tolist(), arrays=arrays, straight=straight_r, swapped=swapped_r,
        aka_keys=(np.array(rec, np.int64), np.array(l2, np.int64), np.array(lp, np.int64)),
        ssn_value=ssn, aka=aka, first_phonetic=[f_ph[c] for c in fcode.tolist()],
        long_parts=long_parts,
    )  # fmt: skip
