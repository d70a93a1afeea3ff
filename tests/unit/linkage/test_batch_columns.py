"""The columnar batch path agrees with the online engine record for record and pair for pair:
same profiles, same candidate pairs as the hub's index lookup, same levels and weights as
the hub's ranker, the same trained model as ``train_model``."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from lpx.client.files import COLUMNS
from lpx.client.keys import NetworkKeys
from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.linkage import rank
from lpx.domain.model import FIELDS
from lpx.domain.profile import MatchProfile
from lpx.domain.training import _block_pairs, train_model
from lpx.domain.vectorized import LEVELS, ProfileArrays, levels
from lpx.linkage import RecordColumns, RecordTable, read_columns, read_records
from lpx.linkage.candidates import candidate_pairs, connection
from lpx.linkage.scoring import Weights, pair_levels, score_pairs
from lpx.linkage.training import block_pairs, calendar_levels, train
from lpx.synth import write_files

Both = tuple[RecordTable, RecordColumns]


# Rows synth rarely makes: unknown or bad DOBs, long and particle surnames, a particle as a
# given name, AKAs, the 99999 sentinel and bad SSNs, swapped names, sex X, suffixes.
EDGE = [  # record_id, first, middle, last, suffix, aka, dob, sex, ssn_last5
    ("E1", "Ann", "", "Lee", "", "", "", "F", "12345"),
    ("E2", "Ann", "", "Lee", "", "", "1980-02-31", "F", "12345"),
    ("E3", "Lee", "", "Ann", "", "", "", "", ""),
    ("E4", "Jose", "M", "de la Cruz Garcia Lopez Perez", "Jr.", "", "1970-05-06", "M", "99999"),
    ("E5", "José", "Maria", "Garcia Lopez", "", "Pepe Cruz", "1970-06-05", "X", "1234"),
    ("E6", "De", "", "Van Der Berg", "III", "", "1991-01-01", "M", "54321"),
    ("E7", "Berg", "", "De", "", "Maria Smith;Smith", "1991-01-01", "F", "54320"),
    ("E8", "Maria", "", "Smith", "", "", "", "F", ""),
    ("E9", "Bill", "", "O'Neil-Smith", "", "William O'Neil", "1962-12-11", "M", "00001"),
    ("E10", "William", "J", "Oneil", "", "", "1962-11-12", "", "00011"),
]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Both:
    """2,500 synthetic records and the edge rows, read both ways with the same network keys
    (so the same decoys)."""
    out = tmp_path_factory.mktemp("synth")
    files = [f for f in write_files(out, 2500, seed=11).files if f.name != "truth.csv"]
    edge = out / "ZZ.csv"
    with edge.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for rid, first, middle, last, suffix, aka, dob, sex, ssn in EDGE:
            row = {"record_id": rid, "first_name": first, "middle_name": middle,
                   "last_name": last, "suffix": suffix, "aka_names": aka, "dob": dob,
                   "sex": sex, "ssn_last5": ssn}  # fmt: skip
            writer.writerow(dict.fromkeys(COLUMNS, "") | row)
    keys = NetworkKeys.generate()
    return read_records([*files, edge], keys), read_columns([*files, edge], keys)


def test_profiles_are_the_hubs_profiles(both: Both) -> None:
    old, new = both
    assert len(old) == len(new) == 2500 + len(EDGE)
    assert new.record_ids == old.record_ids
    assert new.dob_missing == old.dob_missing
    assert any(p.aka for p in old.profiles)  # the data exercises the AKA path
    for i, p in enumerate(old.profiles):
        q = new.profile(i)
        assert (q.name, q.dob, q.sex, q.aka) == (p.name, p.dob, p.sex, p.aka)
        assert bool(q.ssn_full) == bool(p.ssn_full)


def _online_pairs(profiles: list[MatchProfile]) -> set[tuple[int, int]]:
    index: dict[str, set[int]] = defaultdict(set)  # the hub's pointer_blocks, unhashed
    for i, p in enumerate(profiles):
        for key in pointer_keys(p):
            index[key].add(i)
    return {(min(i, j), max(i, j)) for i, p in enumerate(profiles) for key in inquiry_keys(p)
            for j in index.get(key, ()) if j != i}  # fmt: skip


def test_candidate_pairs_equal_the_online_index_lookup(both: Both) -> None:
    old, new = both
    with connection() as con:
        a, b = candidate_pairs(con, new)
    got = set(zip(a.tolist(), b.tolist(), strict=True))
    assert len(got) == len(a)  # distinct
    assert got == _online_pairs(old.profiles)


def test_link_only_drops_pairs_within_a_file(both: Both) -> None:
    _, new = both
    with connection() as con:
        a, b = candidate_pairs(con, new)
        la, lb = candidate_pairs(con, new, link_only=True)
    across = new.source[a] != new.source[b]
    assert np.array_equal(la, a[across])
    assert np.array_equal(lb, b[across])
    assert 0 < len(la) < len(a)


def test_levels_and_weights_are_the_online_engines(both: Both) -> None:
    old, new = both
    with connection() as con:
        a, b = candidate_pairs(con, new)
    rng = np.random.default_rng(3)  # candidate pairs plus random ones (mostly "else")
    a = np.concatenate([a, rng.integers(0, len(new), 3000)])
    b = np.concatenate([b, (a[-3000:] + rng.integers(1, len(new), 3000)) % len(new)])
    # E2's DOB (1980-02-31) is no date: the hub refuses it, so there is no online weight to
    # agree with; offline it compares by its digits (test_impossible_dates_compare_...).
    hub_holds = ~_keyed_only(new)
    assert hub_holds.sum() == len(new) - 1
    a, b = a[hub_holds[a] & hub_holds[b]], b[hub_holds[a] & hub_holds[b]]
    hub = ProfileArrays.of(old.profiles)
    for x, y in ((a, b), (b, a)):
        want, got = levels(hub.take(x), hub.take(y)), pair_levels(new, x, y)
        for f in FIELDS:
            assert np.array_equal(want[f], got[f]), f
    model = train_model(old.profiles, random_pairs=20_000)  # term frequencies too
    w = score_pairs(new, a, b, Weights(model))
    for i in range(0, len(a), 7):
        pa, pb = old.profiles[int(a[i])], old.profiles[int(b[i])]
        online = rank(pa, [("b", pb)], model) + rank(pb, [("a", pa)], model)
        if online:
            assert max(s.weight for s in online) == round(float(w[i]), 3)
        else:
            assert w[i] < model.possible_threshold


def _keyed_only(records: RecordColumns) -> NDArray[np.bool_]:
    """Records whose DOB the calendar lacks: unknown to blocking, compared by digits."""
    keyed: NDArray[np.bool_] = (records.dob < 0) & (records.arrays.dob >= 0)
    return keyed


def test_impossible_dates_compare_by_their_digits_and_block_as_unknown(
    tmp_path: Path, both: Both
) -> None:
    """A keying slip that leaves no calendar date (1980-02-31 for 1980-02-13) still says
    which date was meant: it compares as the slip it is, while blocking, training and the
    profile treat it as the unknown DOB the record path gives it."""
    old, new = both
    rows = [("K1", "1980-02-13", "12345"), ("K2", "1980-02-31", "12345"),
            ("K3", "1980-13-02", "12345"), ("K4", "1980-00-00", "12345"),
            ("K5", "", "12345"), ("K6", "1980-02-31", "54321")]  # fmt: skip
    path = tmp_path / "K.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for rid, dob, ssn in rows:
            writer.writerow(dict.fromkeys(COLUMNS, "") | {
                "record_id": rid, "first_name": "Ann", "last_name": "Lee", "dob": dob,
                "ssn_last5": ssn})  # fmt: skip
    keys = NetworkKeys.generate()
    cols, table = read_columns([path], keys), read_records([path], keys)
    assert cols.dob_missing == table.dob_missing == [False, True, True, True, True, True]
    assert cols.dob.tolist() == [19800213, -1, -1, -1, -1, -1]
    assert cols.arrays.dob.tolist() == [19800213, 19800231, 19801302, -1, -1, 19800231]
    assert [cols.profile(i).dob for i in range(6)] == [p.dob for p in table.profiles]
    a, b = np.array([1, 2, 3, 4, 5]), np.array([0, 0, 0, 0, 1])
    scored = pair_levels(cols, a, b)
    # A month of 13 is a day keyed into a month-first form; 00 is a placeholder, unknown.
    want = ["one_digit", "day_month_swapped", "null", "null", "exact"]
    assert [LEVELS["dob"][x] for x in scored["dob"]] == want
    assert LEVELS["ssn"][scored["ssn"][4]] == "conflict"  # names and digits equal
    # Training reads them as the profiles do: unknown, so never a conflict either.
    trained = calendar_levels(cols, a, b)
    assert [LEVELS["dob"][x] for x in trained["dob"]] == ["null"] * 5
    assert [LEVELS["ssn"][x] for x in trained["ssn"]] == ["exact"] * 4 + ["else"]
    # Blocking: the candidates of the file with those dates emptied.
    blank = tmp_path / "blank" / "K.csv"
    blank.parent.mkdir()
    blank.write_text(path.read_text().replace("1980-02-31", "").replace("1980-13-02", "")
                     .replace("1980-00-00", ""))  # fmt: skip
    with connection() as con:
        want = candidate_pairs(con, read_columns([blank], keys))
        got_pairs = candidate_pairs(con, cols)
    assert all(np.array_equal(x, y) for x, y in zip(want, got_pairs, strict=True))
    # The EDGE row E2 (1980-02-31): blocks as unknown, like the record path's profile.
    assert _keyed_only(new).tolist().count(True) == 1
    assert old.profiles[new.record_ids.index("E2")].dob is None


def test_training_gives_train_models_model(both: Both) -> None:
    old, new = both
    want = train_model(old.profiles, random_pairs=30_000, max_pairs=2_000, seed=5)
    got = train(new, random_pairs=30_000, max_pairs=2_000, seed=5)
    assert got == want


@pytest.mark.parametrize("seed", [1, 2])
def test_block_pairs_are_the_domains(seed: int) -> None:
    rng = np.random.default_rng(seed)
    keys = rng.integers(-1, 400, 3000)
    keys[:60] = 7  # one group above the size limit
    want = _block_pairs([None if k < 0 else int(k) for k in keys], 4000,
                        np.random.default_rng(9))  # fmt: skip
    got = block_pairs(keys, 4000, np.random.default_rng(9))
    assert np.array_equal(want[0], got[0])
    assert np.array_equal(want[1], got[1])
