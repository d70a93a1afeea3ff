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

from collections.abc import Iterable, Sequence
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


class Vocabulary:
    """Small integer ids for strings; "" is always 0, so a zero id means "absent"."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {"": 0}

    def __call__(self, text: str) -> int:
        return self.ids.setdefault(text, len(self.ids))

    def many(self, texts: Iterable[str]) -> Ints:
        """The id of each text (a loop without a method call per text)."""
        ids = self.ids
        return np.array([ids.setdefault(t, len(ids)) for t in texts], dtype=np.int64)


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
        names_ids, root_ids = Vocabulary().many(names), Vocabulary().many(roots)
        return cls(text, names_ids, root_ids, nick, *_initials(names))


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
    multi: Bools  # two parts or more

    @classmethod
    def of(cls, parts: Sequence[tuple[str, ...]], phonetics: Sequence[str]) -> Surnames:
        joined = ["".join(p) for p in parts]
        last_ids, part_ids = Vocabulary(), Vocabulary()
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
        return cls(text, last, list(last_ids.ids), held, Vocabulary().many(phonetics), many,
                   tuples, held[:, 1] != 0)  # fmt: skip


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


def _first_cheap(g: Givens, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``first_levels`` where no Jaro-Winkler is needed (null, exact, nickname); -1 elsewhere."""
    null = (x == 0) | (y == 0)
    exact = g.name[x] == g.name[y]
    nick = (g.root[x] != 0) & (g.root[x] == g.root[y])
    todo = np.flatnonzero(~(null | exact | nick))
    nick[todo] = _nicknames(g.nick[x[todo]], g.nick[y[todo]])
    lv = np.full(len(x), -1, np.int8)
    lv[nick], lv[exact], lv[null] = 2, 1, 0  # the later condition wins, as in np.select
    return lv


def _first_rest(g: Givens, x: Ints, y: Ints, lv: NDArray[np.int8], rows: Ints,
                jw: NDArray[np.float64] | None = None) -> None:  # fmt: skip
    """Fill ``lv[rows]`` (rows ``_first_cheap`` left at -1): Jaro-Winkler (``jw``: the
    rows' values, when already known), then initial."""
    xs, ys = x[rows], y[rows]
    jw = _jw(xs, ys, g.text) if jw is None else jw
    initial = (g.short[xs] | g.short[ys]) & (g.initial[xs] == g.initial[ys])
    lv[rows] = np.select([jw >= JW_HIGH, jw >= JW_MID, initial], [3, 4, 5], 6)


def first_levels(g: Givens, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``vectorized._first_levels`` for the given-name ids ``x`` (probe) and ``y``."""
    lv = _first_cheap(g, x, y)
    _first_rest(g, x, y, lv, np.flatnonzero(lv < 0))
    return lv


def _last_cheap(s: Surnames, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``last_levels`` where no Jaro-Winkler is needed (null, exact, a shared part); -1
    elsewhere."""
    lx, ly = s.last[x], s.last[y]
    null = (lx == 0) | (ly == 0)
    exact = lx == ly
    # Two one-part surnames share their part exactly when they are equal (exact, which
    # ranks first), so parts are compared only where a side has two or more.
    rows = np.flatnonzero(s.multi[x] | s.multi[y])
    px, py = s.parts[x[rows]], s.parts[y[rows]]
    some = np.zeros(len(rows), dtype=bool)
    for i in range(_PARTS):
        for j in range(_PARTS):
            some |= (px[:, i] != 0) & (px[:, i] == py[:, j])
    shared = np.zeros(len(x), dtype=bool)
    shared[rows] = some
    for k in np.flatnonzero(s.many[x] | s.many[y]).tolist():
        tx, ty = s.tuples[x[k]], s.tuples[y[k]]
        kx, ky = s.parts[x[k]], s.parts[y[k]]
        shared[k] = bool((tx or frozenset(kx[kx != 0].tolist()))
                         & (ty or frozenset(ky[ky != 0].tolist())))  # fmt: skip
    lv = np.full(len(x), -1, np.int8)
    lv[shared], lv[exact], lv[null] = 2, 1, 0
    return lv


def _last_rest(s: Surnames, x: Ints, y: Ints, lv: NDArray[np.int8], rows: Ints,
               jw: NDArray[np.float64] | None = None) -> None:  # fmt: skip
    """Fill ``lv[rows]`` (rows ``_last_cheap`` left at -1): Jaro-Winkler (``jw``: the
    rows' values, when already known) and phonetic."""
    xs, ys = x[rows], y[rows]
    jw = _jw(xs, ys, s.text) if jw is None else jw
    phon = (s.phonetic[xs] != 0) & (s.phonetic[xs] == s.phonetic[ys])
    lv[rows] = np.select([jw >= JW_HIGH, phon, jw >= JW_MID], [3, 4, 5], 6)


def last_levels(s: Surnames, x: Ints, y: Ints) -> NDArray[np.int8]:
    """``vectorized._last_levels`` for the surname ids ``x`` (probe) and ``y``."""
    lv = _last_cheap(s, x, y)
    _last_rest(s, x, y, lv, np.flatnonzero(lv < 0))
    return lv


def _rank(first: NDArray[np.int8], last: NDArray[np.int8]) -> Ints:
    rank: Ints = _FIRST_RANK[first] + _LAST_RANK[last]
    return rank


# The highest rank a level left to Jaro-Winkler can reach: jw_high, for either name.
_OPEN_RANK = int(_FIRST_RANK[3])
assert _OPEN_RANK == _LAST_RANK[3] == max(_FIRST_RANK[3:].max(), _LAST_RANK[3:].max())


Hits = tuple[Ints, NDArray[np.int8], NDArray[np.int8], Ints]
Reading = tuple[Ints, Ints, Ints, Ints]  # given ids compared, surname ids compared


def _open(c: PairCodes, r: Reading, best: Ints) -> tuple[NDArray[np.int8], NDArray[np.int8],
                                                          Ints]:  # fmt: skip
    """A reading's cheap levels and the rows where it could still rank above ``best``: the
    cheap levels bound its rank (a level left to Jaro-Winkler ranks at most jw_high), and
    where that bound does not beat ``best`` the reading cannot be taken."""
    fx, fy, lx, ly = r
    f, la = _first_cheap(c.givens, fx, fy), _last_cheap(c.surnames, lx, ly)
    bound = (np.where(f < 0, _OPEN_RANK, _FIRST_RANK[f])
             + np.where(la < 0, _OPEN_RANK, _LAST_RANK[la]))  # fmt: skip
    return f, la, np.flatnonzero(bound > best)


def _close(
    c: PairCodes, r: Reading, opened: tuple[NDArray[np.int8], NDArray[np.int8], Ints],
    best: Ints, jw_first: NDArray[np.float64] | None = None,
    jw_last: NDArray[np.float64] | None = None,
) -> Hits:  # fmt: skip
    """Rows where the opened reading ranks strictly above ``best``, with its levels and
    rank there; Jaro-Winkler only on the rows still open (``jw_first``/``jw_last``: the
    values by row, when already known)."""
    fx, fy, lx, ly = r
    f, la, live = opened
    rows = live[f[live] < 0]
    _first_rest(c.givens, fx, fy, f, rows, None if jw_first is None else jw_first[rows])
    rows = live[la[live] < 0]
    _last_rest(c.surnames, lx, ly, la, rows, None if jw_last is None else jw_last[rows])
    rank = _rank(f[live], la[live])
    better = rank > best[live]
    hit = live[better]
    return hit, f[hit], la[hit], rank[better]


def _challenge(c: PairCodes, r: Reading, best: Ints) -> Hits:
    """Rows where the reading ranks strictly above ``best`` (:func:`_open`, :func:`_close`)."""
    return _close(c, r, _open(c, r, best), best)


def _swapped(c: PairCodes, a: Ints, b: Ints) -> Reading:
    """The probe ``a``'s name read family-first, against the candidate ``b``'s name."""
    return c.first_sw[a], c.first[b], c.last_sw[a], c.last[b]


def _straight(c: PairCodes, a: Ints, b: Ints) -> tuple[NDArray[np.int8], NDArray[np.int8]]:
    """First and last levels of the names as written. Every test they make is symmetric
    (equality, nickname equivalence in either direction, shared parts, initials, phonetic
    keys, Jaro-Winkler), so ``(a, b)`` and ``(b, a)`` get the same levels."""
    return first_levels(c.givens, c.first[a], c.first[b]), last_levels(c.surnames, c.last[a],
                                                                       c.last[b])  # fmt: skip


def name_levels(
    c: PairCodes, a: Ints, b: Ints,
    straight: tuple[NDArray[np.int8], NDArray[np.int8]] | None = None,
    swapped: Hits | None = None,
) -> tuple[NDArray[np.int8], ...]:  # fmt: skip
    """``comparison.name_levels`` of the record pairs: first, last and order levels of the
    best reading (straight, swapped, then each of the candidate's AKAs; ties keep the
    earlier reading). ``straight``, ``swapped``: the straight reading's levels and where
    the swapped one beats it, when already known."""
    first, last = _straight(c, a, b) if straight is None else (straight[0].copy(),
                                                               straight[1].copy())  # fmt: skip
    best = _rank(first, last)
    order = np.zeros(len(a), np.int8)
    hit, f, la, r = _challenge(c, _swapped(c, a, b), best) if swapped is None else swapped
    first[hit], last[hit], order[hit], best[hit] = f, la, 1, r
    count = c.aka_count[b]
    for k in range(int(count.max(initial=0))):
        rows = np.flatnonzero(count > k)
        at = c.aka_start[b[rows]] + k
        ar = a[rows]
        hit, f, la, r = _challenge(c, (c.first[ar], c.aka_first[at], c.last[ar],
                                       c.aka_last[at]), best[rows])  # fmt: skip
        hit = rows[hit]
        first[hit], last[hit], order[hit], best[hit] = f, la, _AKA, r
    return first, last, order


def _symmetric(c: PairCodes, a: Ints, b: Ints) -> tuple[NDArray[np.int8], ...]:
    """Middle name, suffix, sex and SSN levels (the SSN before its name-dependent
    ``conflict``): the same for ``(a, b)`` and ``(b, a)``."""
    ma, mb = c.middle[a], c.middle[b]
    m = c.middles
    mid_null = (ma == 0) | (mb == 0)
    mid_initial = (m.short[ma] | m.short[mb]) & (m.initial[ma] == m.initial[mb])
    middle = np.select([mid_null, ma == mb, mid_initial], [0, 1, 2], 3).astype(np.int8)
    xa, xb = c.suffix[a], c.suffix[b]
    sa, sb = xa == 0, xb == 0
    suffix = np.select([sa & sb, xa == xb, sa | sb], [0, 1, 2], 3).astype(np.int8)
    ya, yb = c.sex[a], c.sex[b]
    sex = np.select([(ya == 0) | (yb == 0), ya == yb], [0, 1], 2).astype(np.int8)
    na, nb = c.ssn[a], c.ssn[b]
    ka = c.masked[a]
    masked = ((ka == c.masked[b]) & (ka >= 0)).any(axis=1)
    ssn = np.select([(na < 0) | (nb < 0), na == nb, masked], [0, 1, 2], 3).astype(np.int8)
    return middle, suffix, sex, ssn


def _assemble(names: tuple[NDArray[np.int8], ...], others: tuple[NDArray[np.int8], ...],
              dob: NDArray[np.int8]) -> Levels:  # fmt: skip
    first, last, order = names
    middle, suffix, sex, ssn = others
    ssn = ssn.copy()
    ssn[(ssn == 3) & (first == 1) & (last == 1) & (dob == 1) & (order == 0)] = 4
    return {"first_name": first, "last_name": last, "name_order": order,
            "middle_name": middle, "suffix": suffix, "dob": dob, "sex": sex,
            "ssn": ssn}  # fmt: skip


def levels(c: PairCodes, a: Ints, b: Ints) -> Levels:
    """``vectorized.levels`` of the record pairs ``(a[i], b[i])``, ``a`` the probe side."""
    return _assemble(name_levels(c, a, b), _symmetric(c, a, b), _dob_levels(c.dob[a], c.dob[b]))


def both_ways(c: PairCodes, a: Ints, b: Ints) -> tuple[Levels, Levels]:
    """``levels(c, a, b)`` and ``levels(c, b, a)``, sharing what the two directions have in
    common: the straight names' levels and the symmetric fields. (The DOB is compared
    each way: a keyed impossible date is a day/month swap in one direction only.)"""
    straight, others = _straight(c, a, b), _symmetric(c, a, b)
    best = _rank(*straight)
    there, back = _swapped(c, a, b), _swapped(c, b, a)
    open_there, open_back = _open(c, there, best), _open(c, back, best)
    # Each swapped test compares two strings the other direction compares too, the other
    # way round: there's given-name test (a's family name, b's given name) is back's
    # family-name test (b's given name, a's family name), and likewise the other pair.
    # Jaro-Winkler is symmetric, so each string pair is computed once, for the rows
    # either direction still needs.
    n = len(a)
    f_there, l_there, live_there = open_there
    f_back, l_back, live_back = open_back
    jw_p, jw_q = np.zeros(n), np.zeros(n)
    for jw, x, y, text, mine, theirs in (
        (jw_p, there[0], there[1], c.givens.text, f_there, l_back),
        (jw_q, there[2], there[3], c.surnames.text, l_there, f_back),
    ):
        need = np.zeros(n, dtype=bool)
        need[live_there[mine[live_there] < 0]] = True
        need[live_back[theirs[live_back] < 0]] = True
        rows = np.flatnonzero(need)
        jw[rows] = _jw(x[rows], y[rows], text)
    swapped_there = _close(c, there, open_there, best, jw_p, jw_q)
    swapped_back = _close(c, back, open_back, best, jw_q, jw_p)
    da, db = c.dob[a], c.dob[b]
    return (_assemble(name_levels(c, a, b, straight, swapped_there), others,
                      _dob_levels(da, db)),
            _assemble(name_levels(c, b, a, straight, swapped_back), others,
                      _dob_levels(db, da)))  # fmt: skip


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
