"""``lpx dedupe``: find duplicate people within and across license files, offline.

Thin wrapper over :func:`lpx.linkage.dedupe` (the hub's engine, no hub needed): parses
options, shows progress, writes the pairs CSV. Registered in ``lpx.cli.main``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from lpx.client.files import FileFormatError
from lpx.domain.model import MatchModel
from lpx.linkage import dedupe as run_dedupe

StageProgress = Callable[[str, int, int | None], None]


def load_model(path: Path | None) -> MatchModel | None:
    """A model trained and saved as JSON (``MatchModel.to_dict``); None without a path,
    which the batch engine reads as "estimate the model from the files themselves"."""
    if path is None:
        return None
    try:
        return MatchModel.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise typer.BadParameter(f"cannot load model {path}: {exc}") from exc


@contextmanager
def stage_progress(console: Console) -> Iterator[StageProgress]:
    """A Rich progress display with one bar per stage, fed as ``progress(stage, done, total)``."""
    columns = (TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield progress


def dedupe(
    files: Annotated[list[Path], typer.Argument(help="License files (CSV, Parquet, NDJSON).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the pairs CSV.")],
    model: Annotated[
        Path | None,
        typer.Option(help="Match model JSON; default: estimated from the files themselves."),
    ] = None,
    no_decoys: Annotated[
        bool, typer.Option("--no-decoys", help="Leave records without SSN untokenized.")
    ] = False,
) -> None:
    """Write every pair of records of class match or possible, with weight and probability."""
    match_model = load_model(model)
    console = Console(stderr=True)
    with stage_progress(console) as progress:
        try:
            linkage = run_dedupe(files, match_model, decoys=not no_decoys, progress=progress)
        except FileFormatError as exc:
            raise typer.BadParameter(str(exc)) from exc
    written = linkage.write_csv(out)
    console.print(
        f"{len(linkage.records):,} records, {linkage.candidates:,} candidate pairs, "
        f"{written:,} pairs of class match or possible written to {out} "
        f"in {linkage.seconds['total']:.1f} s"
    )
