"""``lpx model train``: estimate the match model from data and write it as versioned JSON.

Thin wrapper over the shared training recipe (u from random pairs, m by EM,
λ, name frequency tables). ``lpx model train FILES... --out M.json`` reads license files
in the state layout, the way ``lpx dedupe`` does; ``--from-hub`` reads the pointers the hub
holds through :class:`lpx.services.model_training.ModelTrainingService` (opened as a search
opens them) and, without ``--out``, writes the file the hub loads at start
(``LPX_MODEL_FILE``).
Registered in ``lpx.cli.main`` as ``app.add_typer(model_app, name="model")``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lpx.cli.dedupe import load_model, stage_progress
from lpx.client.files import FileFormatError
from lpx.domain.model import MatchModel
from lpx.domain.training import STEPS
from lpx.linkage.columns import read_columns
from lpx.linkage.training import train as train_columns

model_app = typer.Typer(help="Train and inspect the match model.", no_args_is_help=True)


def _from_hub(start: MatchModel | None, out: Path | None, sample: int, random_pairs: int,
              seed: int, version: str, user: str,
              console: Console) -> tuple[MatchModel, Path, str]:  # fmt: skip
    from lpx.bootstrap import build_hub
    from lpx.bootstrap import load_model as hub_model
    from lpx.config import Settings
    from lpx.services.codec import IdentityCodec
    from lpx.services.model_training import ModelTrainingService, TooFewPointers
    from lpx.storage.uow import UnitOfWork

    settings = Settings()
    target = out or settings.model_file
    if settings.model_file and not settings.model_file.exists():
        # The first training writes the file the hub will load: start from the thresholds.
        settings = settings.model_copy(update={"model_file": None})
    hub = build_hub(settings)
    if target is None:
        raise typer.BadParameter("give --out, or set LPX_MODEL_FILE to the file the hub loads")
    service = ModelTrainingService(partial(UnitOfWork, hub.engine), IdentityCodec(hub.keys.ring),
                                   hub.audit.log)  # fmt: skip
    try:
        with stage_progress(console) as progress:
            trained = service.train(start or hub_model(hub.settings), user=user, sample=sample,
                                    random_pairs=random_pairs, seed=seed, version=version,
                                    progress=progress)  # fmt: skip
    except TooFewPointers as exc:
        raise typer.BadParameter(str(exc)) from exc
    finally:
        hub.engine.dispose()
    skipped = f" ({trained.skipped:,} unreadable skipped)" if trained.skipped else ""
    return trained.model, target, f"{trained.pointers:,} pointers{skipped}"


@model_app.command("train")
def train(
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the model JSON (--from-hub: LPX_MODEL_FILE)."),
    ] = None,
    files: Annotated[
        list[Path] | None, typer.Argument(help="License files to learn from.", show_default=False)
    ] = None,
    from_hub: Annotated[
        bool, typer.Option("--from-hub", help="Learn from the pointers the hub holds.")
    ] = False,
    start: Annotated[
        Path | None, typer.Option(help="Model to start from (default: the hub's or built-in).")
    ] = None,
    sample: Annotated[int, typer.Option(min=2, help="--from-hub: pointers to read.")] = 200_000,
    random_pairs: Annotated[int, typer.Option(min=1000, help="Random pairs for u.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Sampling seed.")] = 1,
    user: Annotated[
        str, typer.Option(help="--from-hub: the operator reading the identities (audited).")
    ] = "operator",
) -> None:
    """Estimate m, u, the prior and name frequencies without labels; thresholds are kept."""
    if from_hub == bool(files):
        raise typer.BadParameter("give license FILES to learn from, or --from-hub")
    version = f"trained-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    console = Console(stderr=True)
    base = load_model(start)
    if from_hub:
        model, target, source = _from_hub(base, out, sample, random_pairs, seed, version, user,
                                          console)  # fmt: skip
    else:
        if out is None:
            raise typer.BadParameter("give --out for the model file")
        try:
            records = read_columns(files or [])
        except FileFormatError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if len(records) < 2:
            raise typer.BadParameter("the files hold fewer than two records")
        with stage_progress(console) as progress:
            model = train_columns(
                records,
                base,
                random_pairs=random_pairs,
                seed=seed,
                version=version,
                progress=lambda done: progress("Estimating", done, STEPS),
            )
        target, source = out, f"{len(records):,} records"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(model.to_dict(), indent=1), encoding="utf-8")
    typer.echo(f"{source}: model {version} written to {target}")
