"""Pair levels on integer codes: the array engine's levels without per-pair string columns.

:func:`lpx.domain.vectorized.levels` compares aligned string columns; a batch run that
gathers those columns for millions of pairs spends most of its time copying wide unicode
rows. Here every distinct name is coded once (given names, surnames, middle names) with
what a comparison reads from it (root, nickname index, initial, surname parts, phonetic),
so a pair's level is a few integer gathers; Jaro-Winkler is the only string work left, run
only for the pairs that reach it (same ``cpdist`` scorer on the same strings). What the
string engine sends the scalar way is arrays here too: a surname of more parts than the
string arrays hold, and the candidate's AKA readings. Tests hold every level and weight to
the string engine's, bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist

from lpx.domain.comparison import JW_HIGH, JW_MID
from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.vectorized import (
    _FIRST_RANK,
    _LAST_RANK,
    _PARTS,
    LEVELS,
    Levels,
    _dob_levels,
    _nickname_index,
)

Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
_AKA = 2  # LEVELS["name_order"].index("aka")


class _Ids:
    """Small integer ids for strings; "" is always 0."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))

    def many(self, texts: Sequence[str]) -> Ints:
        return np.array([self(t) for t in texts], dtype=np.int64)


def _initials(texts: Sequence[str]) -> tuple[Bools, Ints]:
    """(one letter long, code point of the first letter or -1) per string."""
    short = np.array([len(t) == 1 for t in texts], dtype=bool)
    return short, np.array([ord(t[0]) if t else -1 for t in texts], dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Givens:
    """Distinct (given name, root) readings (id 0 is ""), with what ``compare_first`` reads:
    an AKA's given name has no root, so the same name may appear twice."""

    text: NDArray[np.object_]
    name: Ints  # id of the name: equal exactly when the strings are
    root: Ints  # id of the nickname root, 0 without one
    nick: Ints  # index in the nickname data's vocabulary, -1 outside it
    short: Bools
    initial: Ints

    @classmethod
    def of(cls, names: Sequence[str], roots: Sequence[str]) -> Givens:
        vocab, _ = _nickname_index()
        at = np.minimum(np.searchsorted(vocab, np.array(names, dtype=np.str_)), len(vocab) - 1)
        nick = np.where(vocab[at] == np.array(names, dtype=np.str_), at, -1).astype(np.int64)
        nick[0] = -1
        text = np.empty(len(names), dtype=object)
        text[:] = list(names)
        return cls(text, _Ids().many(names), _Ids().many(roots), nick, *_initials(names))


@dataclass(frozen=True, slots=True)
class Surnames:
    """Distinct (surname parts, phonetic) (id 0 has none), with what ``compare_last``
    reads. The first ``_PARTS`` parts are arrays; a longer surname's parts are compared as
    sets, as the scalar comparison does."""

    text: NDArray[np.object_]  # the joined surname
    last: Ints  # id of the joined surname: equal exactly when the strings are
    last_text: list[str]  # the joined surname by ``last`` id
    parts: Ints  # (n, _PARTS) part ids, 0 padded
    phonetic: Ints  # id of the surname's metaphone, 0 when empty
    many: Bools  # more parts than the arrays hold
    tuples: NDArray[np.object_]  # every part, as a set, for the ``many`` ones

    @classmethod
    def of(cls, parts: Sequence[tuple[str, ...]], phonetics: Sequence[str]) -> Surnames:
        joined = ["".join(p) for p in parts]
        last_ids, part_ids = _Ids(), _Ids()
        last = last_ids.many(joined)
        held = np.zeros((len(parts), _PARTS), dtype=np.int64)
        for i, p in enumerate(parts):
            for j, x in enumerate(p[:_PARTS]):
                held[i, j] = part_ids(x)
        text = np.empty(len(parts), dtype=object)
        text[:] = joined
        many = np.array([len(p) > _PARTS for p in parts], dtype=bool)
        tuples = np.full(len(parts), None, dtype=object)
        for i in np.flatnonzero(many).tolist():
            tuples[i] = frozenset(part_ids(x) for x in parts[i])
        return cls(text, last, list(last_ids.ids), held, _Ids().many(phonetics), many,
                   tuples)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shorts:
    """Distinct values of a field compared by equality and initial (middle names)."""

    short: Bools
    initial: Ints

    @classmethod
    def of(cls, values: Sequence[str]) -> Shorts:
        return cls(*_initials(values))


@dataclass(frozen=True, slots=True)
class PairCodes:
    """Every record as codes: its two name readings, the other fields as integers."""

    givens: Givens
    surnames: Surnames
    middles: Shorts
    first: Ints  # given id, straight reading
    last: Ints  # surname id, straight reading
    first_sw: Ints  # given id of the family name read as the given name
    last_sw: Ints  # surname id of the given name read as the family name
    middle: Ints  # id among the distinct compacted middle names (0: none)
    suffix: Ints  # id among the distinct normalized suffixes (0: none)
    sex: Ints  # id among "", "F", "M" as compared (0: none)
    dob: Ints  # yyyymmdd, -1 when unknown
    ssn: Ints  # SSN-5 or decoy, -1 without tokens
    masked: Ints  # (n, 5) one-digit-masked codes, -1 without tokens
    aka_start: Ints  # where a record's AKA names start in ``aka_first``/``aka_last``
    aka_count: Ints
    aka_first: Ints  # given id of each AKA name (no root), records in order
    aka_last: Ints  # surname id of each AKA name (its one part)

    def __len__(self) -> int:
        return len(self.first)


def _jw(x: Ints, y: Ints, text: NDArray[np.object_]) -> NDArray[np.float64]:
    """Jaro-Winkler of ``text[x[i]]`` and ``text[y[i]]`` (``cpdist`` on short names costs
    less per pair than finding the distinct pairs would save)."""
    if len(x) == 0:
        return np.empty(0)
    sims: NDArray[np.float64] = cpdist(text[x].tolist(), text[y].tolist(),
                                       scorer=JaroWinkler.similarity, dtype=np.float64,
                                       workers=1)  # fmt: skip
    return sims


def _nicknames(x: Ints, y: Ints) -> Bools:
    """``vectorized._nicknames`` on nickname indexes (-1: outside the data)."""
    vocab, codes = _nickname_index()
    pair = x * len(vocab) + y
    at = np.minimum(np.searchsorted(codes, pair), len(codes) - 1)
    found: Bools = (x >= 0) & (y >= 0) & (codes[at] == pair)
    return found


def first_levels(g: Givens, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``vectorized._first_levels`` for the given-name ids ``x`` (probe) and ``y``."""
    null = (x == 0) | (y == 0)
    exact = g.name[x] == g.name[y]
    nick = (g.root[x] != 0) & (g.root[x] == g.root[y])
    todo = np.flatnonzero(~(null | exact | nick))
    nick[todo] = _nicknames(g.nick[x[todo]], g.nick[y[todo]])
    rest = todo[~nick[todo]]
    jw = np.zeros(len(x))
    jw[rest] = _jw(x[rest], y[rest], g.text)
    initial = (g.short[x] | g.short[y]) & (g.initial[x] == g.initial[y])
    return np.select([null, exact, nick, jw >= JW_HIGH, jw >= JW_MID, initial],
                     [0, 1, 2, 3, 4, 5], 6).astype(np.int8)  # fmt: skip


def last_levels(s: Surnames, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``vectorized._last_levels`` for the surname ids ``x`` (probe) and ``y``."""
    lx, ly = s.last[x], s.last[y]
    null = (lx == 0) | (ly == 0)
    exact = lx == ly
    px, py = s.parts[x], s.parts[y]
    shared = np.zeros(len(x), dtype=bool)
    for i in range(_PARTS):
        for j in range(_PARTS):
            shared |= (px[:, i] != 0) & (px[:, i] == py[:, j])
    for k in np.flatnonzero(s.many[x] | s.many[y]).tolist():
        tx, ty = s.tuples[x[k]], s.tuples[y[k]]
        shared[k] = bool((tx or frozenset(px[k][px[k] != 0].tolist()))
                         & (ty or frozenset(py[k][py[k] != 0].tolist())))  # fmt: skip
    rest = np.flatnonzero(~(null | exact | shared))
    jw = np.zeros(len(x))
    jw[rest] = _jw(x[rest], y[rest], s.text)
    phon = (s.phonetic[x] != 0) & (s.phonetic[x] == s.phonetic[y])
    return np.select([null, exact, shared, jw >= JW_HIGH, phon, jw >= JW_MID],
                     [0, 1, 2, 3, 4, 5], 6).astype(np.int8)  # fmt: skip


def _rank(first: NDArray[np.int8], last: NDArray[np.int8]) -> Ints:
    rank: Ints = _FIRST_RANK[first] + _LAST_RANK[last]
    return rank


def name_levels(c: PairCodes, a: Ints, b: Ints) -> tuple[NDArray[np.int8], ...]:
    """``comparison.name_levels`` of the record pairs: first, last and order levels of the
    best reading (straight, swapped, then each of the candidate's AKAs; ties keep the
    earlier reading)."""
    g, s = c.givens, c.surnames
    fb, lb = c.first[b], c.last[b]
    first, last = first_levels(g, c.first[a], fb), last_levels(s, c.last[a], lb)
    first_sw, last_sw = first_levels(g, c.first_sw[a], fb), last_levels(s, c.last_sw[a], lb)
    best = _rank(first, last)
    take = _rank(first_sw, last_sw) > best
    order = take.astype(np.int8)
    first, last = np.where(take, first_sw, first), np.where(take, last_sw, last)
    best = np.where(take, _rank(first_sw, last_sw), best)
    count = c.aka_count[b]
    for k in range(int(count.max(initial=0))):
        rows = np.flatnonzero(count > k)
        at = c.aka_start[b[rows]] + k
        fa, la = c.first[a[rows]], c.last[a[rows]]
        f, la_ = first_levels(g, fa, c.aka_first[at]), last_levels(s, la, c.aka_last[at])
        r = _rank(f, la_)
        better = r > best[rows]
        hit = rows[better]
        first[hit], last[hit], order[hit], best[hit] = f[better], la_[better], _AKA, r[better]
    return first, last, order


def levels(c: PairCodes, a: Ints, b: Ints) -> Levels:
    """``vectorized.levels`` of the record pairs ``(a[i], b[i])``, ``a`` the probe side."""
    first, last, order = name_levels(c, a, b)
    ma, mb = c.middle[a], c.middle[b]
    m = c.middles
    mid_null = (ma == 0) | (mb == 0)
    mid_initial = (m.short[ma] | m.short[mb]) & (m.initial[ma] == m.initial[mb])
    middle = np.select([mid_null, ma == mb, mid_initial], [0, 1, 2], 3)
    xa, xb = c.suffix[a], c.suffix[b]
    sa, sb = xa == 0, xb == 0
    suffix = np.select([sa & sb, xa == xb, sa | sb], [0, 1, 2], 3)
    ya, yb = c.sex[a], c.sex[b]
    sex = np.select([(ya == 0) | (yb == 0), ya == yb], [0, 1], 2)
    na, nb = c.ssn[a], c.ssn[b]
    ka = c.masked[a]
    masked = ((ka == c.masked[b]) & (ka >= 0)).any(axis=1)
    ssn = np.select([(na < 0) | (nb < 0), na == nb, masked], [0, 1, 2], 3)
    dob = _dob_levels(c.dob[a], c.dob[b])
    ssn[(ssn == 3) & (first == 1) & (last == 1) & (dob == 1) & (order == 0)] = 4
    return {"first_name": first.astype(np.int8), "last_name": last.astype(np.int8),
            "name_order": order, "middle_name": middle.astype(np.int8),
            "suffix": suffix.astype(np.int8), "dob": dob,
            "sex": sex.astype(np.int8), "ssn": ssn.astype(np.int8)}  # fmt: skip


class CodedWeights:
    """A model's per-level weight table and its name frequency adjustments per coded name,
    built once for a run (``vectorized.weights`` looks them up per pair)."""

    def __init__(self, model: MatchModel, c: PairCodes) -> None:
        self.model = model
        self.table = {f: np.array([model.weight(f, lv) for lv in LEVELS[f]]) for f in FIELDS}
        self.tf: dict[str, NDArray[np.float64] | None] = {"first_name": None, "last_name": None}
        if model.tf.get("first_name"):
            adj = model.tf_adjustments("first_name", c.givens.text.tolist())
            self.tf["first_name"] = adj
        if model.tf.get("last_name"):
            adj = model.tf_adjustments("last_name", c.surnames.last_text)
            self.tf["last_name"] = adj[c.surnames.last]

    def __call__(self, lv: Levels, c: PairCodes, b: Ints) -> NDArray[np.float64]:
        """``vectorized.weights`` of pairs whose candidate records are ``b``."""
        total = np.zeros(len(lv["dob"]))
        for f in FIELDS:
            total += self.table[f][lv[f]]
        not_aka = lv["name_order"] != 2
        for f, ids in (("first_name", c.first), ("last_name", c.last)):
            adj = self.tf[f]
            if adj is not None:
                hit = np.flatnonzero((lv[f] == 1) & not_aka)
                if len(hit):
                    total[hit] += adj[ids[b[hit]]]
        return total
