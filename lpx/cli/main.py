"""The ``lpx`` command: hub operation (serve, migrate, admin) and the state's tools.

Commands parse options and call services or the state-side client; nothing else.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lpx.cli import admin, demo
from lpx.cli.audit import audit_app
from lpx.cli.cases import cases_app
from lpx.cli.dedupe import dedupe
from lpx.cli.eval import eval_command
from lpx.cli.index import index_app
from lpx.cli.keys_admin import keyadmin_app
from lpx.cli.load import load
from lpx.cli.mdl import mdl_app
from lpx.cli.model import model_app
from lpx.cli.report import report_app
from lpx.cli.search import search, status
from lpx.cli.synth import synth

app = typer.Typer(
    help="LPX, the License Pointer Exchange: a state-to-state driver-license pointer hub.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold keys or personal data
)
console = Console()

app.command("demo")(demo.demo)
app.command("serve")(admin.serve)
app.command("migrate")(admin.migrate)
app.command("synth")(synth)
app.command("load")(load)
app.command("search")(search)
app.command("status")(status)
app.command("dedupe")(dedupe)
app.command("eval")(eval_command)
app.add_typer(admin.jurisdiction_app, name="jurisdiction")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(keyadmin_app, name="keyadmin")
app.add_typer(audit_app, name="audit")
app.add_typer(cases_app, name="cases")
app.add_typer(mdl_app, name="mdl")
app.add_typer(model_app, name="model")
app.add_typer(index_app, name="index")
app.add_typer(report_app, name="report")


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more")] = False,
) -> None:
    """Hub commands read LPX_* settings (see README); state tools read LPX_NETWORK_KEYS."""
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
if __name__ == "__main__":
    app()
