"""``lpx report transparency --period 2026Q4``: the public transparency report, from the DB."""

from __future__ import annotations

import json

import typer

from lpx.config import Settings
from lpx.services.transparency import TransparencyService
from lpx.storage.db import make_engine

report_app = typer.Typer(help="Public reports of the hub's activity.", no_args_is_help=True)


@report_app.callback()
def report() -> None:
    """Public reports (a group, so ``transparency`` stays a subcommand)."""


@report_app.command("transparency")
def transparency(
    period: str = typer.Option(..., "--period", help="A quarter, e.g. 2026Q4"),
    fmt: str = typer.Option("json", "--format", help="json, markdown or html"),
) -> None:
    """Counts of inquiries, outside requests, gag-delayed notices and enumeration alerts."""
    engine = make_engine(Settings().database_url)
    try:
        result = TransparencyService(engine).report(period)
    finally:
        engine.dispose()
    if fmt == "json":
        typer.echo(json.dumps(result.to_dict(), indent=2))
    elif fmt == "markdown":
        typer.echo(result.markdown())
    elif fmt == "html":
        typer.echo(result.html())
    else:
        raise typer.BadParameter("--format must be json, markdown or html")
