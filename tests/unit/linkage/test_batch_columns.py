"""The columnar batch path agrees with the online engine record for record and pair for pair:
same profiles, same candidate pairs as the hub's index lookup, same levels and weights as
the hub's ranker, the same trained model as ``train_model``."""

from __future__ import annotations

import csv
from collections import defaultdict

import numpy as np
import pytest

from lpx.client.files import COLUMNS
from lpx.client.keys import NetworkKeys
from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.linkage import rank
from lpx.domain.model import FIELDS
from lpx.domain.profile import MatchProfile
from lpx.domain.training import _block_pairs, train_model
from lpx.domain.vectorized import ProfileArrays, levels
from lpx.linkage import RecordColumns, RecordTable, read_columns, read_records
from lpx.linkage.candidates import candidate_pairs, connection
from lpx.linkage.scoring import Weights, pair_levels, score_pairs
from lpx.linkage.training import block_pairs, train
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
