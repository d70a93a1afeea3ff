"""``lpx keyadmin``: the hub operator's data-key commands (hub host only, never a state's).

``destroy`` crypto-shreds a state (withdrawal, or a court-ordered erasure): its KEK and data
keys are destroyed, so its stored identities, and every backup of them, can never be read
again. ``rotate`` starts a new data key version; ``reencrypt`` moves existing rows onto it.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lpx.bootstrap import build_hub
from lpx.keys.admin import KeyAdminService

console = Console()
keyadmin_app = typer.Typer(help="Hub operator: per-state data keys (rotate, re-encrypt, destroy).")

Jurisdiction = Annotated[str, typer.Option("--jurisdiction", help="Two-letter state code")]
User = Annotated[str, typer.Option("--user", envvar="LPX_USER", help="Operator (audited)")]


@contextmanager
def _keys() -> Iterator[KeyAdminService]:
    """The hub's key service, with its database connections closed when the command ends."""
    hub = build_hub()
    try:
        yield hub.keys
    finally:
        hub.engine.dispose()


def _code(jurisdiction: str) -> str:
    code = jurisdiction.strip().upper()
    if len(code) != 2 or not code.isalpha():
        console.print(f"[red]--jurisdiction must be a two-letter code, not {jurisdiction!r}[/]")
        raise typer.Exit(2)
    return code


@keyadmin_app.command("list")
def list_keys(jurisdiction: Jurisdiction) -> None:
    """Show a state's data key versions (never key bytes)."""
    with _keys() as keys:
        rows = keys.versions(_code(jurisdiction))
    table = Table("version", "key id", "provider", "created", "destroyed")
    for r in rows:
        table.add_row(str(r.version), r.key_id, r.provider, r.created_at.isoformat(),
                      r.destroyed_at.isoformat() if r.destroyed_at else "")  # fmt: skip
    console.print(table)


@keyadmin_app.command("rotate")
def rotate(jurisdiction: Jurisdiction, user: User = getpass.getuser()) -> None:
    """Start a new data key version; new writes use it (then run ``reencrypt``)."""
    with _keys() as keys:
        version = keys.rotate(_code(jurisdiction), user)
    console.print(f"{jurisdiction.upper()} now writes under data key version {version}.")


@keyadmin_app.command("reencrypt")
def reencrypt(jurisdiction: Jurisdiction, user: User = getpass.getuser()) -> None:
    """Re-seal every row of the state not under its current key (old versions, plaintext)."""
    with _keys() as keys:
        count = keys.reencrypt(_code(jurisdiction), user)
    console.print(f"Re-encrypted {count} pointer(s) of {jurisdiction.upper()}.")


@keyadmin_app.command("destroy")
def destroy(
    jurisdiction: Jurisdiction,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone")] = False,
    user: User = getpass.getuser(),
) -> None:
    """Crypto-shred a state: its stored identities become unreadable for good, backups too."""
    code = _code(jurisdiction)
    if not yes:
        console.print(f"[red]Refusing: destroying {code}'s key cannot be undone. "
                      "Add --yes to confirm.[/]")  # fmt: skip
        raise typer.Exit(2)
    with _keys() as keys:
        result = keys.destroy(code, user)
    console.print(f"Destroyed {result.versions} data key version(s) of {code}: "
                  f"{result.pointers} pointer(s) can no longer be read; "
                  f"{result.blocks_removed} index entries removed.")  # fmt: skip
