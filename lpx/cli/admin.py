"""Hub operator commands: run the server, migrate, add jurisdictions and issue credentials.

``keys`` holds the one state-side command here: making a network key file, which a
state keeps and the hub never sees.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from lpx.auth.permissions import Role
from lpx.bootstrap import build_hub
from lpx.config import Settings
from lpx.services.errors import ServiceError
from lpx.storage.db import make_engine
from lpx.storage.db import migrate as run_migrations

console = Console()
jurisdiction_app = typer.Typer(help="Participating jurisdictions and their credentials.")
keys_app = typer.Typer(help="State side: the network keys shared by the states (never the hub).")


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Run the hub's HTTP API (migrate first); it delivers webhooks unless LPX_WEBHOOKS=0."""
    import os

    import uvicorn

    os.environ.setdefault("LPX_WEBHOOKS", "1")
    if workers > 1 and Settings().console_session_secret is None:
        # Every worker must accept the console cookie another signed (sign-ins themselves
        # are in the database): one random secret for this run, handed down to all.
        os.environ["LPX_CONSOLE_SESSION_SECRET"] = secrets.token_hex(32)

    uvicorn.run("lpx.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False)  # fmt: skip


def migrate() -> None:
    """Create or upgrade the hub's schema in LPX_DATABASE_URL."""
    settings = Settings()
    run_migrations(make_engine(settings.database_url))
    console.print("[green]Schema is at the latest migration.[/]")


@jurisdiction_app.command("add")
def add_jurisdiction(
    code: Annotated[str, typer.Argument(help="Two-letter code, e.g. CA")],
    name: Annotated[str, typer.Argument(help="Full name, e.g. California")],
) -> None:
    """Register a participating jurisdiction."""
    try:
        build_hub().access.add_jurisdiction(code.upper(), name)
    except ServiceError as exc:
        console.print(f"[red]{exc.detail}[/]")
        raise typer.Exit(1) from exc
    console.print(f"Added {code.upper()} ({name}).")


@jurisdiction_app.command("credential")
def issue_credential(
    code: Annotated[str, typer.Argument(help="Jurisdiction code")],
    label: Annotated[str, typer.Option(help="What system holds this key")] = "system",
    role: Annotated[list[Role] | None, typer.Option(help="Role; repeat for several")] = None,
) -> None:
    """Issue an API key for a jurisdiction's system (default roles: clerk, records).

    The key is shown once; the hub stores only its hash.
    """
    role = role or [Role.CLERK, Role.RECORDS]
    key = build_hub().access.issue_credential(code.upper(), label, role)
    console.print(f"API key for {code.upper()} ({', '.join(r.value for r in role)}):")
    console.print(key, soft_wrap=True, highlight=False)


@keys_app.command("init")
def keys_init(
    out: Annotated[Path, typer.Option(help="Key file to create (mode 0600)")] = Path(
        "network-keys.json"
    ),
) -> None:
    """Create the network keys the states share; pass them state to state, never via the hub."""
    from lpx.client.keys import generate, save

    if out.exists():
        console.print(f"[red]{out} exists; refusing to overwrite network keys.[/]")
        raise typer.Exit(1)
    save(generate(), out)
    console.print(f"Wrote {out}. Point LPX_NETWORK_KEYS at it on each state's side.")
