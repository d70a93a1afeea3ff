"""The comparison engine on arrays: every field's level for many pairs at once.

:func:`lpx.domain.linkage.compare` states the levels one pair at a time; this module
computes the very same levels for aligned arrays of profiles (probe side ``a``, candidate
side ``b``) with numpy and ``rapidfuzz.process.cpdist``, so scoring a block of 500
candidates or a million dedupe pairs costs a few array passes instead of a Python call
chain per pair. A property test holds it to exact agreement with the scalar functions.
The only per-pair Python left is the rare candidate that carries AKA names, which goes
through the scalar :func:`~lpx.domain.comparison.name_levels`.

Levels are small integers, the position in :data:`LEVELS`; weights come from a per-field
table (:func:`weight_table`), so summing them is one gather per field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from lpx.domain.comparison import JW_HIGH, JW_MID, name_levels
from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.names import NormalizedName, _namer, name_variants
from lpx.domain.profile import MatchProfile, ProfileData
from lpx.domain.records import MASKED_TOKEN_COUNT

LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": ("null", "exact", "nickname", "jw_high", "jw_mid", "initial", "else"),
    "last_name": ("null", "exact", "one_of_two", "jw_high", "phonetic", "jw_mid", "else"),
    "name_order": ("same", "swapped", "aka"),
    "middle_name": ("null", "exact", "initial", "else"),
    "suffix": ("null", "exact", "one_missing", "else"),
    "dob": ("null", "exact", "day_month_swapped", "one_digit", "same_year", "else"),
    "sex": ("null", "exact", "else"),
    "ssn": ("null", "exact", "one_digit", "else", "conflict"),
}
_FIRST_RANK = np.array([1, 6, 5, 4, 3, 2, 0])  # comparison._LEVEL_RANK, in LEVELS order
_LAST_RANK = np.array([1, 6, 5, 4, 3, 3, 0])
_PARTS = 3  # surname parts compared in arrays; longer surnames go the scalar way
_NO_PARTS = ("",) * _PARTS
_NO_TOKENS = ("",) * MASKED_TOKEN_COUNT

Strs = NDArray[np.str_]
Ints = NDArray[np.int64]
Levels = dict[str, NDArray[np.int8]]


def _strs(values: Sequence[str]) -> Strs:
    return np.array(values, dtype=np.str_) if values else np.empty(0, dtype="<U1")


@dataclass(frozen=True, slots=True)
class NameArrays:
    """One name per row: the fields a name comparison reads."""

    first: Strs
    root: Strs
    last: Strs
    last_phonetic: Strs
    parts: Strs  # (n, _PARTS), "" padded
    many_parts: NDArray[np.bool_]

    @classmethod
    def of(cls, names: Sequence[NormalizedName]) -> NameArrays:
        return cls.of_fields([n.first for n in names], [n.first_root for n in names],
                             [n.last for n in names], [n.last_phonetic for n in names],
                             [n.last_parts for n in names])  # fmt: skip

    @classmethod
    def of_fields(cls, first: Sequence[str], root: Sequence[str], last: Sequence[str],
                  last_phonetic: Sequence[str],
                  parts: Sequence[Sequence[str]]) -> NameArrays:  # fmt: skip
        # Padded tuples straight into one array: filling an object array row by row and
        # converting it cost 2.6 times as much (30k names of a bulk load's batch).
        padded = [(tuple(p) + _NO_PARTS)[:_PARTS] for p in parts]
        return cls(_strs(first), _strs(root), _strs(last), _strs(last_phonetic),
                   np.array(padded, dtype=np.str_) if padded else np.empty((0, _PARTS), "<U1"),
                   np.array([len(p) > _PARTS for p in parts], dtype=bool))  # fmt: skip

    def take(self, index: Ints) -> NameArrays:
        return NameArrays(self.first[index], self.root[index], self.last[index],
                          self.last_phonetic[index], self.parts[index],
                          self.many_parts[index])  # fmt: skip


@dataclass(frozen=True, slots=True)
class ProfileArrays:
    """Profiles as columns, plus each one's swapped (family-first) name reading."""

    profiles: NDArray[np.object_]  # each row's MatchProfile (or its ProfileData)
    name: NameArrays
    swapped: NameArrays
    middle: Strs
    suffix: Strs
    sex: Strs
    dob: Ints  # yyyymmdd, -1 when unknown
    ssn: Strs
    masked: Strs  # (n, MASKED_TOKEN_COUNT), "" padded (a real token is never empty)
    has_aka: NDArray[np.bool_]

    @classmethod
    def of(cls, profiles: Sequence[MatchProfile]) -> ProfileArrays:
        """Probe-side columns: with each profile's swapped (family-first) reading."""
        return cls._of(profiles, NameArrays.of([swapped_name(p) for p in profiles]))

    @classmethod
    def of_candidates(cls, profiles: Sequence[MatchProfile]) -> ProfileArrays:
        """Candidate-side columns: :func:`levels` reads the swapped reading of the probe side
        only, so here the straight names stand in for it (the same arrays, built once).
        Working out every candidate's swapped name was ~14% of a 200k-into-1M load's
        Python samples; building the name arrays twice, a further ~4 us a candidate."""
        return cls._of(profiles, None)

    @classmethod
    def of_candidate_data(cls, data: Sequence[ProfileData]) -> ProfileArrays:
        """:meth:`of_candidates` from profiles in their stored form (``MatchProfile.to_dict``),
        as a bulk load's batch opens its ~30k candidates: building each one's ``MatchProfile``
        as well costs ~2 us more (4.5 before ``from_dict`` filled the slots itself). The
        ``profiles`` column holds the data; :func:`levels` builds a profile only for a row
        it compares the scalar way (AKA names, long surnames)."""
        n = [d["n"] for d in data]
        s = [d["s"] or ("",) for d in data]
        name = NameArrays.of_fields([x[0] for x in n], [x[5] for x in n], [x[2] for x in n],
                                    [x[7] for x in n], [x[3] for x in n])  # fmt: skip
        return cls._of_fields(
            data, name, None, [x[1] for x in n], [x[4] for x in n], [d["x"] for d in data],
            [int(d["d"].replace("-", "")) if d["d"] else -1 for d in data],
            [t[0] for t in s], [tuple(t[1:]) for t in s],
            [bool(d["a"]) for d in data])  # fmt: skip

    @classmethod
    def _of(cls, profiles: Sequence[MatchProfile], swapped: NameArrays | None) -> ProfileArrays:
        return cls._of_fields(
            profiles, NameArrays.of([p.name for p in profiles]), swapped,
            [p.name.middle for p in profiles], [p.name.suffix for p in profiles],
            [p.sex for p in profiles],
            [p.dob.year * 10000 + p.dob.month * 100 + p.dob.day if p.dob else -1
             for p in profiles],
            [p.ssn_full for p in profiles], [p.ssn_masked for p in profiles],
            [bool(p.aka) for p in profiles])  # fmt: skip

    @classmethod
    def _of_fields(cls, profiles: Sequence[MatchProfile | ProfileData], name: NameArrays,
                   swapped: NameArrays | None, middle: Sequence[str], suffix: Sequence[str],
                   sex: Sequence[str], dob: Sequence[int], ssn: Sequence[str],
                   masked: Sequence[tuple[str, ...]],
                   has_aka: Sequence[bool]) -> ProfileArrays:  # fmt: skip
        # Padded and cut: a document stored before the last-digit mask was dropped holds a
        # fifth token, never compared (docs/privacy.md).
        padded = [(m + _NO_TOKENS)[:MASKED_TOKEN_COUNT] for m in masked]
        objects = np.empty(len(profiles), dtype=object)
        objects[:] = list(profiles)
        return cls(
            objects, name, swapped if swapped is not None else name, _strs(middle),
            _strs(suffix), _strs(sex), np.array(dob, dtype=np.int64), _strs(ssn),
            np.array(padded, dtype=np.str_) if padded else np.empty((0, MASKED_TOKEN_COUNT), "<U1"),
            np.array(has_aka, dtype=bool),
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.profiles)

    def take(self, index: Ints) -> ProfileArrays:
        name = self.name.take(index)
        swapped = name if self.swapped is self.name else self.swapped.take(index)
        return ProfileArrays(
            self.profiles[index], name, swapped, self.middle[index], self.suffix[index],
            self.sex[index], self.dob[index], self.ssn[index], self.masked[index],
            self.has_aka[index])  # fmt: skip


@lru_cache(maxsize=65536)
def _swapped(first: str, last: str) -> NormalizedName:
    return NormalizedName.of(last, first)


def swapped_name(p: MatchProfile) -> NormalizedName:
    """The name read family-first, as :func:`lpx.domain.linkage.rank` builds it."""
    return _swapped(p.name.first, p.name.last)


def _profile(p: MatchProfile | ProfileData) -> MatchProfile:
    """A ``profiles`` entry as a profile (:meth:`ProfileArrays.of_candidate_data` keeps data)."""
    return p if isinstance(p, MatchProfile) else MatchProfile.from_dict(p)


def _jw(a: Strs, b: Strs) -> NDArray[np.float64]:
    if len(a) == 0:
        return np.empty(0)
    return cpdist(a.tolist(), b.tolist(), scorer=JaroWinkler.similarity, dtype=np.float64,
                  workers=1)  # fmt: skip


@lru_cache(maxsize=1)
def _nickname_index() -> tuple[Strs, Ints]:
    """Every name in the nickname data (sorted) and its equivalences as codes ``i * n + j``.

    A name outside the data has only itself as a variant, so only pairs of names inside it
    can be nickname-equivalent; a pair is then one ``searchsorted`` and one ``isin``.
    """
    graph = _namer().nickname_lookup
    vocab = sorted({n for name, nicks in graph.items() for n in (name, *nicks)} - {""})
    ids = {n: i for i, n in enumerate(vocab)}
    size = len(vocab)
    codes = {ids[x] * size + ids[y] for x in vocab for y in name_variants(x) if y in ids}
    codes |= {(c % size) * size + c // size for c in codes}
    return np.array(vocab, dtype=np.str_), np.array(sorted(codes), dtype=np.int64)


def _nicknames(a: Strs, b: Strs, todo: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Whether one name is a recorded nickname of the other (only where ``todo``)."""
    vocab, codes = _nickname_index()
    out = np.zeros(len(a), dtype=bool)
    idx = np.flatnonzero(todo)
    if len(idx) == 0:
        return out
    ia = np.minimum(np.searchsorted(vocab, a[idx]), len(vocab) - 1)
    ib = np.minimum(np.searchsorted(vocab, b[idx]), len(vocab) - 1)
    known = (vocab[ia] == a[idx]) & (vocab[ib] == b[idx])
    pair = ia.astype(np.int64) * len(vocab) + ib
    # ``codes`` is sorted and unique: a binary search, not np.isin's sort of it per call.
    at = np.minimum(np.searchsorted(codes, pair), len(codes) - 1)
    out[idx] = known & (codes[at] == pair)
    return out


def _first_levels(a: NameArrays, b: NameArrays) -> NDArray[np.int8]:
    fa, fb = a.first, b.first
    null = (fa == "") | (fb == "")
    exact = fa == fb
    nick = (a.root != "") & (a.root == b.root)
    nick |= _nicknames(fa, fb, ~(null | exact | nick))
    jw = _jw(fa, fb)
    short = (np.char.str_len(fa) == 1) | (np.char.str_len(fb) == 1)
    initial = short & (np.char.ljust(fa, 1).astype("<U1") == np.char.ljust(fb, 1).astype("<U1"))
    return np.select([null, exact, nick, jw >= JW_HIGH, jw >= JW_MID, initial],
                     [0, 1, 2, 3, 4, 5], 6).astype(np.int8)  # fmt: skip


def _last_levels(a: NameArrays, b: NameArrays) -> NDArray[np.int8]:
    null = (a.last == "") | (b.last == "")
    exact = a.last == b.last
    shared = np.zeros(len(a.last), dtype=bool)
    for i in range(_PARTS):
        for j in range(_PARTS):
            shared |= (a.parts[:, i] != "") & (a.parts[:, i] == b.parts[:, j])
    jw = _jw(a.last, b.last)
    phon = (a.last_phonetic != "") & (a.last_phonetic == b.last_phonetic)
    return np.select([null, exact, shared, jw >= JW_HIGH, phon, jw >= JW_MID],
                     [0, 1, 2, 3, 4, 5], 6).astype(np.int8)  # fmt: skip


def _initial(a: Strs, b: Strs) -> NDArray[np.bool_]:
    same: NDArray[np.bool_] = np.char.ljust(a, 1).astype("<U1") == np.char.ljust(b, 1).astype("<U1")
    return same


def _dob_levels(a: Ints, b: Ints) -> NDArray[np.int8]:
    null = (a < 0) | (b < 0)
    y, md = a // 10000, a % 10000
    m, d = md // 100, md % 100
    swapped = (d <= 12) & (d != m) & (b == y * 10000 + d * 100 + m)
    # yyyymmdd digits, least significant first (comparison.one_keying_slip): one digit
    # differs, or two adjacent ones differ and are each other's (a transposition).
    x, z = np.abs(a), np.abs(b)
    px, pz = x % 10, z % 10
    differ = (px != pz).astype(np.int8)
    crossed = np.zeros(len(a), dtype=bool)
    for _ in range(7):
        x, z = x // 10, z // 10
        dx, dz = x % 10, z % 10
        differ += dx != dz
        crossed |= (dx != dz) & (dx == pz) & (dz == px)
        px, pz = dx, dz
    slip = (differ == 1) | ((differ == 2) & crossed)
    return np.select([null, a == b, swapped, slip, y == b // 10000],
                     [0, 1, 2, 3, 4], 5).astype(np.int8)  # fmt: skip


def levels(a: ProfileArrays, b: ProfileArrays) -> Levels:
    """Each field's level (index into :data:`LEVELS`) for the aligned pairs ``a[i], b[i]``."""
    if len(a) == 0:  # numpy's string functions reject empty arrays
        return {f: np.empty(0, dtype=np.int8) for f in FIELDS}
    first, last = _first_levels(a.name, b.name), _last_levels(a.name, b.name)
    first_sw, last_sw = _first_levels(a.swapped, b.name), _last_levels(a.swapped, b.name)
    take_sw = (_FIRST_RANK[first_sw] + _LAST_RANK[last_sw]) > (
        _FIRST_RANK[first] + _LAST_RANK[last]
    )
    order = take_sw.astype(np.int8)
    first, last = np.where(take_sw, first_sw, first), np.where(take_sw, last_sw, last)
    scalar = np.flatnonzero(b.has_aka | a.name.many_parts | b.name.many_parts
                            | a.swapped.many_parts)  # fmt: skip
    for i in scalar.tolist():
        x, y = _profile(a.profiles[i]), _profile(b.profiles[i])
        f, la, o = name_levels(x, _swapped(x.name.first, x.name.last), y)
        first[i], last[i] = LEVELS["first_name"].index(f), LEVELS["last_name"].index(la)
        order[i] = LEVELS["name_order"].index(o)
    mid_null = (a.middle == "") | (b.middle == "")
    mid_short = (np.char.str_len(a.middle) == 1) | (np.char.str_len(b.middle) == 1)
    middle = np.select([mid_null, a.middle == b.middle, mid_short & _initial(a.middle, b.middle)],
                       [0, 1, 2], 3)  # fmt: skip
    sa, sb = a.suffix == "", b.suffix == ""
    suffix = np.select([sa & sb, a.suffix == b.suffix, sa | sb], [0, 1, 2], 3)
    sex = np.select([(a.sex == "") | (b.sex == ""), a.sex == b.sex], [0, 1], 2)
    ssn_null = (a.ssn == "") | (b.ssn == "")
    ssn = np.select(
        [ssn_null, a.ssn == b.ssn, ((a.masked == b.masked) & (a.masked != "")).any(axis=1)],
        [0, 1, 2],
        3,
    )
    dob = _dob_levels(a.dob, b.dob)
    # comparison.ssn_in_context: SSNs differ although names and DOB agree exactly.
    ssn[(ssn == 3) & (first == 1) & (last == 1) & (dob == 1) & (order == 0)] = 4
    return {"first_name": first.astype(np.int8), "last_name": last.astype(np.int8),
            "name_order": order, "middle_name": middle.astype(np.int8),
            "suffix": suffix.astype(np.int8), "dob": dob,
            "sex": sex.astype(np.int8), "ssn": ssn.astype(np.int8)}  # fmt: skip


def weight_table(model: MatchModel) -> dict[str, NDArray[np.float64]]:
    """Each field's weight per level index (0 for a level the model has no m/u for)."""
    return {f: np.array([model.weight(f, lv) for lv in LEVELS[f]]) for f in FIELDS}


def weights(
    lv: Levels,
    model: MatchModel,
    b: ProfileArrays,
    table: dict[str, NDArray[np.float64]] | None = None,
) -> NDArray[np.float64]:
    """Match weights of the pairs: the level weights summed, with the term-frequency
    adjustment of exact first and last names (the candidate's value; AKA readings excluded)."""
    table = table or weight_table(model)
    total = np.zeros(len(lv["dob"]))
    for f in FIELDS:
        total += table[f][lv[f]]
    not_aka = lv["name_order"] != 2
    for f, values in (("first_name", b.name.first), ("last_name", b.name.last)):
        if model.tf.get(f):
            hit = np.flatnonzero((lv[f] == 1) & not_aka)
            if len(hit):
                total[hit] += model.tf_adjustments(f, values[hit].tolist())
    return total


def evidence(lv: Levels, i: int) -> dict[str, str]:
    """The level names of pair ``i``, as :func:`lpx.domain.linkage.compare` returns them."""
    return {f: LEVELS[f][int(lv[f][i])] for f in FIELDS}
