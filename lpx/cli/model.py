"""``lpx model train``: estimate the match model from data and write it as versioned JSON.

Thin wrapper over :func:`lpx.linkage.training.train_model` (u from random pairs, m by EM,
λ, name frequency tables). ``--from-files`` reads license files in the state layout, the
way ``lpx dedupe`` does. Reading the hub's own pointers (``--from-hub``) is not wired yet.
Registered in ``lpx.cli.main`` as ``app.add_typer(model_app, name="model")``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from lpx.cli.dedupe import load_model
from lpx.client.files import FileFormatError
from lpx.linkage.records import read_records
from lpx.linkage.training import train_model

model_app = typer.Typer(help="Train and inspect the match model.", no_args_is_help=True)


@model_app.command("train")
def train(
    out: Annotated[Path, typer.Option("--out", help="Where to write the model JSON.")],
    from_files: Annotated[
        list[Path] | None, typer.Option("--from-files", help="License files to learn from.")
    ] = None,
    from_hub: Annotated[
        bool, typer.Option("--from-hub", help="Learn from loaded pointers.")
    ] = False,
    start: Annotated[
        Path | None, typer.Option(help="Model to start from (default built-in).")
    ] = None,
    random_pairs: Annotated[int, typer.Option(min=1000, help="Random pairs for u.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 1,
) -> None:
    """Estimate m, u, the prior and name frequencies without labels; thresholds are kept."""
    if from_hub or not from_files:
        raise typer.BadParameter("use --from-files FILE...; --from-hub is not available yet")
    version = f"trained-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    try:
        records = read_records(from_files)
    except FileFormatError as exc:
        raise typer.BadParameter(str(exc)) from exc
    model = train_model(records, load_model(start), random_pairs=random_pairs, seed=seed,
                        version=version)  # fmt: skip
    out.write_text(json.dumps(model.to_dict(), indent=1), encoding="utf-8")
    typer.echo(f"{len(records):,} records: model {version} written to {out}")
