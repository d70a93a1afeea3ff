"""The shortcuts batch linking takes at scale give what the plain paths give: both scoring
directions at once, readings left out because they cannot win, names normalized once per
compacted form, decoys drawn in a batch, reading split with a helper process, and the
string columns built only when asked for."""

from __future__ import annotations

import os
import string
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler
from rapidfuzz.process import cpdist
from test_coded import FIRSTS, KEYS, LASTS, _write, rows

from lpx.client.keys import NetworkKeys
from lpx.client.ssn import decoy_value, decoy_values
from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.names import canonical_first, compact, phonetic, surname_parts
from lpx.domain.vectorized import ProfileArrays
from lpx.linkage import columns, read_columns, read_records
from lpx.linkage.candidates import candidate_pairs, connection
from lpx.linkage.coded import both_ways, first_levels, last_levels, levels
from lpx.synth import write_files

NAMES = st.text(alphabet=string.ascii_letters + " '-.éÉøßİ", max_size=14)


@settings(max_examples=40, deadline=None)
@given(st.lists(rows, min_size=2, max_size=25))
def test_both_directions_at_once_are_each_direction(records: list[dict[str, str]]) -> None:
    """``both_ways`` shares the straight names' levels and the symmetric fields between the
    two directions; each direction's levels are still exactly its own."""
    with tempfile.TemporaryDirectory() as tmp:
        cols = read_columns([_write(Path(tmp) / "S.csv", records)], KEYS)
    n = len(records)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n)))
    there, back = both_ways(cols.codes, a, b)
    for want, got in ((levels(cols.codes, a, b), there), (levels(cols.codes, b, a), back)):
        assert want.keys() == got.keys()
        for f, lv in want.items():
            assert np.array_equal(lv, got[f]), f
            assert got[f].dtype == np.int8


def test_name_levels_are_symmetric() -> None:
    """Every given and family name of the test pools, against every other, both ways."""
    path = _write(Path(tempfile.mkdtemp()) / "N.csv",
                  [{"first_name": f, "last_name": la} for f in FIRSTS for la in LASTS])  # fmt: skip
    c = read_columns([path], KEYS).codes
    g, s = np.unique(c.first), np.unique(c.last)
    x, y = (v.ravel() for v in np.meshgrid(g, g))
    assert np.array_equal(first_levels(c.givens, x, y), first_levels(c.givens, y, x))
    x, y = (v.ravel() for v in np.meshgrid(s, s))
    assert np.array_equal(last_levels(c.surnames, x, y), last_levels(c.surnames, y, x))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text("abcn", max_size=12), st.text("abcn", max_size=12)),
                min_size=1, max_size=300))  # fmt: skip
def test_jaro_winkler_is_symmetric(pairs: list[tuple[str, str]]) -> None:
    """What lets the reverse direction reuse the straight names' levels (a small alphabet
    makes repeated letters, where greedy matching could differ by direction)."""
    x, y = [p[0] for p in pairs], [p[1] for p in pairs]
    forward = cpdist(x, y, scorer=JaroWinkler.similarity, dtype=np.float64, workers=1)
    assert np.array_equal(forward, cpdist(y, x, scorer=JaroWinkler.similarity,
                                          dtype=np.float64, workers=1))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(NAMES)
def test_name_functions_read_only_the_compacted_form(text: str) -> None:
    """What lets reading call them once per compacted form instead of per spelling."""
    c = compact(text)
    assert compact(c) == c
    assert canonical_first(c) == canonical_first(text)
    assert phonetic(c) == phonetic(text)
    assert compact("".join(surname_parts(text))) == "".join(surname_parts(text))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(NAMES, NAMES, st.dates(date(1900, 1, 1), date(2020, 12, 31)),
                          st.lists(NAMES, max_size=2), st.text(max_size=8)),
                max_size=20))  # fmt: skip
def test_batch_decoys_are_decoy_value(people: list[tuple[str, str, date, list[str], str]]) -> None:
    people += people[:3]  # repeated names take the memoized keys
    want = [decoy_value(f, la, d, KEYS, aka, record) for f, la, d, aka, record in people]
    assert decoy_values(people, KEYS) == want


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("synth")
    return [f for f in write_files(out, 3000, seed=5).files if f.name != "truth.csv"]


def test_helper_process_reads_what_one_process_reads(
    synth: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = NetworkKeys.generate()
    alone = read_columns(synth, keys)
    monkeypatch.setattr(columns, "HELPER_RECORDS", 1)
    assert columns._helper(len(alone)) is not None
    helped = read_columns(synth, keys)
    assert helped.record_ids == alone.record_ids
    assert [helped.profile(i) for i in range(len(alone))] == [
        alone.profile(i) for i in range(len(alone))]  # fmt: skip
    assert np.array_equal(helped.ssn_value, alone.ssn_value)
    for got, want in ((helped.codes, alone.codes), (helped.straight, alone.straight),
                      (helped.swapped, alone.swapped)):  # fmt: skip
        for name in got.__slots__:
            x, y = getattr(got, name), getattr(want, name)
            if isinstance(x, np.ndarray):
                assert np.array_equal(x, y), name
    assert all(np.array_equal(x, y) for x, y in zip(helped.aka_keys, alone.aka_keys,
                                                    strict=True))  # fmt: skip


def test_string_columns_are_built_on_demand_as_the_hub_would(synth: list[Path]) -> None:
    keys = NetworkKeys.generate()
    cols, table = read_columns(synth, keys), read_records(synth, keys)
    hub = ProfileArrays.of(table.profiles)
    got = cols.arrays
    assert cols.arrays is got  # built once
    for name in ("first", "root", "last", "last_phonetic", "parts", "many_parts"):
        assert np.array_equal(getattr(got.name, name), getattr(hub.name, name)), name
        assert np.array_equal(getattr(got.swapped, name), getattr(hub.swapped, name)), name
    for name in ("middle", "suffix", "sex", "dob", "has_aka"):
        assert np.array_equal(getattr(got, name), getattr(hub, name)), name
    # Tokens are plain values offline: equal exactly where the hub's tokens are equal.
    assert np.array_equal(got.ssn == "", hub.ssn == "")
    assert np.array_equal(got.masked == "", hub.masked == "")


def test_candidates_without_unknown_dobs_skip_those_rules_and_equal_the_lookup(
    synth: list[Path],
) -> None:
    """No record lacks a DOB here, so no pointer key of the unknown-DOB rules exists and
    their inquiry keys are never built; the pairs are still exactly the online ones."""
    keys = NetworkKeys.generate()
    cols, table = read_columns(synth, keys), read_records(synth, keys)
    assert (cols.dob >= 0).all()
    index: dict[str, set[int]] = defaultdict(set)
    for i, p in enumerate(table.profiles):
        for key in pointer_keys(p):
            index[key].add(i)
    online = {(min(i, j), max(i, j)) for i, p in enumerate(table.profiles)
              for key in inquiry_keys(p) for j in index.get(key, ()) if j != i}  # fmt: skip
    with connection() as con:
        a, b = candidate_pairs(con, cols)
    assert set(zip(a.tolist(), b.tolist(), strict=True)) == online
    assert len(a) == len(online)


_PARENT = os.getpid()
_SURNAMES = columns._surnames


def _dies_in_the_helper(lvals: list[str]) -> columns.SurnameSpellings:
    if os.getpid() != _PARENT:
        os._exit(1)
    return _SURNAMES(lvals)


def test_a_helper_that_dies_leaves_its_share_to_the_reader(
    synth: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = NetworkKeys.generate()
    alone = read_columns(synth, keys)
    monkeypatch.setattr(columns, "HELPER_RECORDS", 1)
    monkeypatch.setattr(columns, "_surnames", _dies_in_the_helper)
    helped = read_columns(synth, keys)
    assert [helped.profile(i) for i in range(len(alone))] == [
        alone.profile(i) for i in range(len(alone))]  # fmt: skip
    assert np.array_equal(helped.straight.last_phs, alone.straight.last_phs)
