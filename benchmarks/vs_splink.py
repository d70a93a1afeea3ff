"""LPX batch linking against Splink 5 (DuckDB backend) on the same inputs, side by side.

Datasets: FEBRL4 (license fields only: names, DOB, SSN-5 from soc_sec_id) and ``lpx synth``
data (default 100k records), each with and without the SSN column. Both systems read the
same CSV files; Splink gets the names folded and compacted exactly as LPX compares them
(``lpx.domain.names.compact``), so neither side wins on normalization alone.

Every system runs in its own subprocess, so its peak RSS (``ru_maxrss``) is its own; the
parent turns the scored pairs both return into precision, recall and F1. Rows:

- LPX at its configured thresholds (``match`` alone and ``match``+``possible``) and at its
  best-F1 weight. LPX estimates its model from the same files first (``lpx dedupe``
  without ``--model``: u from random pairs, m by EM, λ, name frequencies), timed as train.
- Splink at match probability 0.5 and at its best-F1 match weight. Its settings: TF-adjusted
  NameComparison on first and last name, DateOfBirthComparison, Levenshtein<=1 on SSN-5,
  exact middle name; prediction blocking rules OR'd; lambda from a deterministic rule,
  u by random sampling, m by EM on two blocking rules.

Targets (issue): FEBRL4 F1 >= 0.995; synth F1 >= Splink + 0.01 (not below Splink with SSN
empty); batch linking >= 3x faster than Splink at 1M. Reported, never asserted.

    .venv/bin/python benchmarks/vs_splink.py                  # FEBRL4 + synth 100k
    .venv/bin/python benchmarks/vs_splink.py --count 1000000 --skip-febrl --skip-nossn
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from lpx.evaluation.datasets import Dataset, febrl, synth, without_ssn
from lpx.evaluation.metrics import PairMetrics, best_f1, confusion


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu() -> float:
    """CPU seconds of this process's threads and of its ended child processes."""
    t = os.times()
    return time.process_time() + t.children_user + t.children_system


# --- workers (run in a subprocess; write pairs as global row indexes to an .npz) --------


def run_lpx(spec: dict[str, Any], out: Path) -> dict[str, Any]:
    from lpx.linkage import dedupe

    linkage = dedupe([Path(f) for f in spec["files"]], link_only=spec["link_only"],
                     keep_all=True)  # fmt: skip
    s = linkage.seconds
    model = linkage.model
    np.savez(out, a=linkage.a, b=linkage.b, score=linkage.weight)
    # prep: reading and profiling the files; link: blocking and scoring.
    return {"train_s": s.get("train", 0.0), "prep_s": s["read"],
            "link_s": s["block"] + s["score"], "candidates": linkage.candidates, "stages": s,
            "thresholds": [model.match_threshold, model.possible_threshold]}  # fmt: skip


def _splink_frame(files: list[str]) -> Any:
    import pandas as pd

    from lpx.domain.names import compact

    frames, offset = [], 0
    for path in files:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df.insert(0, "unique_id", np.arange(offset, offset + len(df)))
        df["source_dataset"] = Path(path).name
        offset += len(df)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)

    def fold(col: str) -> Any:
        return df[col].map(lambda s: compact(s) or None)

    dob = df["dob"].where(df["dob"].str.fullmatch(r"\d{4}-\d{2}-\d{2}"), None)
    ssn = df["ssn_last5"].where(df["ssn_last5"].str.fullmatch(r"\d{5}") &
                                (df["ssn_last5"] != "99999"), None)  # fmt: skip
    return pd.DataFrame({"unique_id": df["unique_id"], "source_dataset": df["source_dataset"],
                         "first_name": fold("first_name"), "last_name": fold("last_name"),
                         "middle_name": fold("middle_name"), "dob": dob,
                         "ssn_last5": ssn})  # fmt: skip


def run_splink(spec: dict[str, Any], out: Path) -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    df = _splink_frame(spec["files"])
    link_only = spec["link_only"]
    db = DuckDBAPI()
    if link_only:
        names = sorted(df["source_dataset"].unique())
        inputs = [
            db.register(df[df["source_dataset"] == n].reset_index(drop=True),
                        dataset_display_name=n.removesuffix(".csv"))
            for n in names
        ]  # fmt: skip
    else:
        inputs = [db.register(df, dataset_display_name="records")]
    settings = SettingsCreator(
        link_type="link_only" if link_only else "dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.LevenshteinAtThresholds("ssn_last5", [1]),
            cl.ExactMatch("middle_name"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_name", "last_name"),
            block_on("last_name", "dob"),
            block_on("first_name", "dob"),
            block_on("ssn_last5", "substr(dob, 1, 4)"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(inputs if link_only else inputs[0], settings, log_level=logging.WARNING)
    prep = time.perf_counter() - started
    mark = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("first_name", "last_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    train = time.perf_counter() - mark
    mark = time.perf_counter()
    pred = linker.inference.predict(threshold_match_probability=0.001)
    rel = pred.as_duckdbpyrelation()
    cols = rel.select("unique_id_l, unique_id_r, match_weight, match_probability").fetchnumpy()
    link = time.perf_counter() - mark
    a, b = cols["unique_id_l"].astype(np.int64), cols["unique_id_r"].astype(np.int64)
    np.savez(out, a=np.minimum(a, b), b=np.maximum(a, b),
             score=cols["match_weight"].astype(np.float64),
             prob=cols["match_probability"].astype(np.float64))  # fmt: skip
    return {"train_s": train, "prep_s": prep, "link_s": link, "candidates": len(a)}


def worker(system: str, spec_path: Path) -> None:
    spec = json.loads(spec_path.read_text())
    out = Path(spec["out"]) / f"{system}.npz"
    base = _peak_mb()
    wall, cpu = time.perf_counter(), _cpu()
    result = (run_lpx if system == "lpx" else run_splink)(spec, out)
    # CPU time of all the worker's threads and helper processes: on a shared machine the
    # fairer clock.
    result.update(peak_mb=_peak_mb(), base_mb=base, wall_s=time.perf_counter() - wall,
                  cpu_s=_cpu() - cpu, load=os.getloadavg())  # fmt: skip
    (Path(spec["out"]) / f"{system}.json").write_text(json.dumps(result))


# --- parent ---------------------------------------------------------------------------


def _global_index(files: tuple[Path, ...]) -> dict[tuple[str, str], int]:
    index: dict[tuple[str, str], int] = {}
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                index[(path.name, row["record_id"])] = len(index)
    return index


def _truth(data: Dataset) -> tuple[np.ndarray[Any, Any], int]:
    index = _global_index(data.files)
    n = len(index)
    codes = {min(index[x], index[y]) * n + max(index[x], index[y]) for x, y in data.truth}
    return np.array(sorted(codes), dtype=np.int64), n


def run_dataset(data: Dataset, work: Path, console: Console) -> list[list[str]]:
    truth, n = _truth(data)
    spec = {"files": [str(f) for f in data.files], "link_only": data.link_only,
            "out": str(work)}  # fmt: skip
    spec_path = work / "spec.json"
    spec_path.write_text(json.dumps(spec))
    rows: list[list[str]] = []
    for system in ("lpx", "splink"):
        console.print(f"[dim]{data.name}: running {system}...[/dim]")
        subprocess.run([sys.executable, __file__, "--worker", system, str(spec_path)],
                       check=True)  # fmt: skip
        info = json.loads((work / f"{system}.json").read_text())
        pairs = np.load(work / f"{system}.npz")
        codes = pairs["a"] * n + pairs["b"]
        codes, first = np.unique(codes, return_index=True)
        score = pairs["score"][first]
        is_true = np.isin(codes, truth)
        if system == "lpx":
            match, possible = info["thresholds"]
            cuts: list[tuple[str, PairMetrics]] = [
                ("match", confusion(codes[score >= match], truth, match)),
                ("match+possible", confusion(codes[score >= possible], truth, possible)),
                ("best F1", best_f1(score, is_true, len(truth))),
            ]
        else:
            prob = pairs["prob"][first]
            cuts = [("p >= 0.5", confusion(codes[prob >= 0.5], truth, 0.5)),
                    ("best F1", best_f1(score, is_true, len(truth)))]  # fmt: skip
        console.print(f"[dim]{system} stages: {info.get('stages', {})}; load average at "
                      f"end {info['load']}[/dim]")  # fmt: skip
        for label, m in cuts:
            thr = "-" if m.threshold is None else f"{m.threshold:.2f}"
            total = info["prep_s"] + info["train_s"] + info["link_s"]
            rows.append([data.name, "LPX" if system == "lpx" else "Splink 5", label, thr,
                         f"{m.precision:.4f}", f"{m.recall:.4f}", f"{m.f1:.4f}",
                         f"{info['prep_s']:.1f}", f"{info['train_s']:.1f}", f"{info['link_s']:.1f}",
                         f"{total:.1f}", f"{info['cpu_s']:.1f}",
                         f"{info['peak_mb']:,.0f} (+{info['peak_mb'] - info['base_mb']:,.0f})",
                         f"{info['candidates']:,}",
                         "/".join(f"{x:.1f}" for x in info["load"])])  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="synth records")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--skip-synth", action="store_true")
    parser.add_argument("--skip-nossn", action="store_true",
                        help="leave out the runs with the SSN column emptied")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the table rows here")
    parser.add_argument("--worker", nargs=2, metavar=("SYSTEM", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], Path(args.worker[1]))
        return
    console = Console(width=200)
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="lpx-vs-splink-") as tmp:
        root = Path(tmp)
        sets: list[Dataset] = []
        if not args.skip_febrl:
            f4 = febrl("febrl4", root / "febrl4")
            sets += [f4] if args.skip_nossn else [f4, without_ssn(f4, root / "febrl4-nossn")]
        if not args.skip_synth:
            s = synth(root / "synth", args.count, args.seed)
            sets += [s] if args.skip_nossn else [s, without_ssn(s, root / "synth-nossn")]
        for data in sets:
            work = root / f"run-{data.name}"
            work.mkdir()
            rows += run_dataset(data, work, console)
    table = Table(
        title="LPX batch vs Splink 5 (DuckDB): pairwise accuracy, time, memory "
        "(wall seconds; CPU s counts all threads; load average when each run ended)"
    )
    header = ["dataset", "system", "cut", "threshold", "precision", "recall", "F1", "prep s",
              "train s", "link s", "total s", "CPU s", "peak RSS MB (+over imports)",
              "scored pairs", "load 1/5/15"]  # fmt: skip
    for col in header:
        table.add_column(col, justify="left" if col in ("dataset", "system", "cut") else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps([dict(zip(header, r, strict=True)) for r in rows]))


if __name__ == "__main__":
    main()
