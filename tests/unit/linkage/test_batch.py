"""Batch dedupe: finds known duplicates, writes the promised columns, and blocks and scores
exactly as the online search path does."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from lpx.client.files import COLUMNS
from lpx.client.keys import NetworkKeys
from lpx.domain.comparison import compare_dob
from lpx.domain.linkage import rank
from lpx.domain.model import MatchModel
from lpx.linkage import dedupe, read_records
from lpx.linkage.batch import OUTPUT_COLUMNS
from lpx.linkage.records import parse_dob, sentinel_dob
from lpx.synth import write_files

A = [
    ("A1", "William", "Garcia Lopez", "1980-03-05", "12345"),
    ("A2", "Maria", "Lopez", "1975-06-07", ""),
    ("A3", "Chen", "Wei", "1990-11-30", "54321"),
    ("A4", "Willaim", "Garcia Lopez", "1980-03-05", "12345"),  # typo of A1, same file
]
B = [
    ("B1", "Bill", "Garcia", "1980-03-05", "12345"),  # nickname, one of two surnames
    ("B2", "Maria", "Lopez", "1975-07-06", ""),  # day and month swapped, no SSN
    ("B3", "Olga", "Petrova", "1962-01-15", "11111"),
]


def write(path: Path, rows: list[tuple[str, str, str, str, str]], ssn: bool = True) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        out.writeheader()
        for rid, first, last, dob, ssn5 in rows:
            out.writerow(dict.fromkeys(COLUMNS, "") | {
                "record_id": rid, "card_type": "DL", "real_id": "false", "status": "active",
                "first_name": first, "last_name": last, "dob": dob,
                "ssn_last5": ssn5 if ssn else ""})  # fmt: skip
    return path


def pairs_of(files: list[Path], **kwargs: bool) -> dict[frozenset[str], str]:
    linkage = dedupe(files, **kwargs)
    return {frozenset((f"{p.file_a}/{p.record_id_a}", f"{p.file_b}/{p.record_id_b}")):
            p.match_class for p in linkage.rows()}  # fmt: skip


@pytest.mark.parametrize("ssn", [True, False])
def test_known_duplicates_are_found_and_strangers_are_not(tmp_path: Path, ssn: bool) -> None:
    files = [write(tmp_path / "A.csv", A, ssn), write(tmp_path / "B.csv", B, ssn)]
    found = pairs_of(files)
    assert frozenset({"A.csv/A1", "B.csv/B1"}) in found
    assert frozenset({"A.csv/A2", "B.csv/B2"}) in found
    assert frozenset({"A.csv/A1", "A.csv/A4"}) in found  # within one file
    assert not any("A.csv/A3" in p or "B.csv/B3" in p for p in found)


def test_link_only_skips_pairs_within_a_file(tmp_path: Path) -> None:
    files = [write(tmp_path / "A.csv", A), write(tmp_path / "B.csv", B)]
    found = pairs_of(files, link_only=True)
    assert frozenset({"A.csv/A1", "A.csv/A4"}) not in found
    assert frozenset({"A.csv/A1", "B.csv/B1"}) in found


def test_no_decoys_leaves_no_ssn_records_without_tokens(tmp_path: Path) -> None:
    path = write(tmp_path / "A.csv", A, ssn=False)
    with_decoys = read_records([path], decoys=True)
    without = read_records([path], decoys=False)
    assert all(p.ssn_full for p in with_decoys.profiles)
    assert not any(p.ssn_full for p in without.profiles)
    assert frozenset({"A.csv/A1", "A.csv/A4"}) in pairs_of([path], decoys=False)


def test_output_csv_has_the_columns_and_file_names(tmp_path: Path) -> None:
    files = [write(tmp_path / "A.csv", A), write(tmp_path / "B.csv", B)]
    out = tmp_path / "pairs.csv"
    written = dedupe(files).write_csv(out)
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == OUTPUT_COLUMNS
    assert len(rows) == written >= 3
    assert {r["file_a"] for r in rows} | {r["file_b"] for r in rows} <= {"A.csv", "B.csv"}
    assert {r["class"] for r in rows} <= {"match", "possible"}
    assert all(0.0 <= float(r["probability"]) <= 1.0 for r in rows)


def test_missing_dob_is_marked_and_compares_as_else(tmp_path: Path) -> None:
    rows = [("X1", "Ann", "Lee", "", ""), ("X2", "Ann", "Lee", "1980-02-31", "")]
    table = read_records([write(tmp_path / "A.csv", rows)])
    assert table.dob_missing == [True, True]
    assert parse_dob("1980-02-31") is None
    assert parse_dob("19800101") is None
    sentinels = [sentinel_dob(i) for i in range(7476)]
    assert len(set(sentinels)) == len(sentinels)
    for real in (date(1980, 1, 1), date(1910, 10, 10), date(2001, 12, 31)):
        assert {compare_dob(s, real) for s in sentinels} == {"else"}
    assert [compare_dob(s, sentinels[i + 1]) for i, s in enumerate(sentinels[:-1])].count(
        "one_digit"
    ) == 0


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("synth")
    summary = write_files(out, 3000, seed=7)
    return [f for f in summary.files if f.name != "truth.csv"]


def test_weights_are_the_hub_rankers_weights(synth_files: list[Path]) -> None:
    model = MatchModel()
    linkage = dedupe(synth_files[:2], model, keys=NetworkKeys.generate())
    r = linkage.records
    for a, b, w in list(zip(linkage.a, linkage.b, linkage.weight, strict=True))[:200]:
        pa, pb = r.profile(int(a)), r.profile(int(b))
        online = rank(pa, [("b", pb)], model) + rank(pb, [("a", pa)], model)
        assert max(s.weight for s in online) == round(float(w), 3)


def test_without_a_model_it_is_estimated_from_the_files(synth_files: list[Path],
                                                         tmp_path: Path) -> None:  # fmt: skip
    linkage = dedupe(synth_files, keys=NetworkKeys.generate())
    model = linkage.model
    assert model.version == "from-files"
    assert "train" in linkage.seconds
    assert model.tf["last_name"]
    assert model.mu != MatchModel().mu
    assert (model.match_threshold, model.possible_threshold) == (20.0, 10.0)
    # Too few records to learn from: the built-in model.
    assert dedupe([write(tmp_path / "A.csv", A)]).model == MatchModel()
