"""``lpx synth``: write synthetic state license files with ground truth for linkage tests.

Thin wrapper over :func:`lpx.synth.write_files`; it only parses options, shows progress
and prints a summary. Registered in ``lpx.cli.main`` as ``app.command("synth")(synth)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from lpx.synth import ErrorRates, write_files

_DEFAULTS = ErrorRates()


def synth(
    count: Annotated[int, typer.Option(min=0, help="Total records across all states.")] = 10000,
    out: Annotated[Path, typer.Option(help="Directory for <STATE>.csv and truth.csv.")] = Path(
        "synth-data"
    ),
    states: Annotated[str, typer.Option(help="Comma-separated state codes.")] = "CA,NY,TX,FL,IL",
    seed: Annotated[int, typer.Option(help="Same seed, same files.")] = 1,
    no_ssn_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of people without an SSN.")
    ] = _DEFAULTS.no_ssn,
    multi_state_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of people with cards in 2-3 states.")
    ] = _DEFAULTS.multi_state,
    typo_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Per-record rate of a one-letter name typo.")
    ] = _DEFAULTS.typo,
    nickname_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Per-record rate of a nickname (Bill).")
    ] = _DEFAULTS.nickname,
    dob_swap_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Per-record rate of day/month swapped.")
    ] = _DEFAULTS.dob_swap,
    ssn_typo_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Per-record rate of one mistyped SSN digit.")
    ] = _DEFAULTS.ssn_typo,
    lookalike_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of twins, namesakes, father/son.")
    ] = _DEFAULTS.lookalike,
) -> None:
    """Write synthetic license files (one CSV per state) and truth.csv with the true person."""
    codes = [s.strip().upper() for s in states.split(",") if s.strip()]
    try:
        rates = ErrorRates(
            no_ssn=no_ssn_rate,
            multi_state=multi_state_rate,
            typo=typo_rate,
            nickname=nickname_rate,
            dob_swap=dob_swap_rate,
            ssn_typo=ssn_typo_rate,
            lookalike=lookalike_rate,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    console = Console()
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("Generating", total=count)
        try:
            summary = write_files(
                out, count, codes, seed, rates, lambda n: bar.update(task, completed=n)
            )
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc

    table = Table(title=f"Synthetic records in {summary.out_dir}")
    table.add_column("State")
    table.add_column("Records", justify="right")
    for state, n in summary.counts.items():
        table.add_row(state, f"{n:,}")
    table.add_row("[bold]Total[/bold]", f"[bold]{summary.records:,}[/bold]")
    console.print(table)
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    console.print(
        f"{summary.people:,} people; ground truth in truth.csv; "
        f"{summary.seconds:.1f} s ({rate:,.0f} records/s)"
    )
