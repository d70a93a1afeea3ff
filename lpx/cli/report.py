"""``lpx report transparency --period 2026Q4``: the public transparency report, from the DB."""

from __future__ import annotations

import json
from enum import StrEnum

import typer

from lpx.config import Settings
from lpx.services.errors import InvalidRequest
from lpx.services.transparency import Report, TransparencyService
from lpx.storage.db import make_engine

report_app = typer.Typer(help="Public reports of the hub's activity.", no_args_is_help=True)


class Format(StrEnum):
    JSON = "json"
    MARKDOWN = "markdown"
    HTML = "html"


@report_app.callback()
def report() -> None:
    """Public reports (a group, so ``transparency`` stays a subcommand)."""


@report_app.command("transparency")
def transparency(
    period: str = typer.Option(..., "--period", help="A quarter, e.g. 2026Q4"),
    fmt: Format = typer.Option(Format.JSON, "--format", help="json, markdown or html"),
) -> None:
    """Counts of inquiries, outside requests, gag-delayed notices and enumeration alerts."""
    engine = make_engine(Settings().database_url)
    try:
        result = TransparencyService(engine).report(period)
    except InvalidRequest as exc:  # a mistyped period: say so, no traceback
        raise typer.BadParameter(exc.detail, param_hint="--period") from None
    finally:
        engine.dispose()
    typer.echo(_render(result, fmt))


def _render(result: Report, fmt: Format) -> str:
    if fmt is Format.MARKDOWN:
        return result.markdown()
    if fmt is Format.HTML:
        return result.html()
    return json.dumps(result.to_dict(), indent=2)
