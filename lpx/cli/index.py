"""``lpx index rebuild``: re-key every stored pointer under the current blocking rules.

Thin wrapper over :class:`lpx.services.reindex.ReindexService`, run on the hub host after an
upgrade that adds or changes a blocking rule (``lpx.domain.blocking``): until then the
pointers written before it cannot be found under the new rule's keys. Registered in
``lpx.cli.main`` as ``app.add_typer(index_app, name="index")``.
"""

from __future__ import annotations

import getpass
from functools import partial
from typing import Annotated

import typer
from rich.console import Console

from lpx.cli.dedupe import stage_progress
from lpx.services.reindex import PAGE

index_app = typer.Typer(help="Hub operator: the blocking index of stored pointers.",
                        no_args_is_help=True)  # fmt: skip


@index_app.command("rebuild")
def rebuild(
    user: Annotated[
        str, typer.Option("--user", envvar="LPX_USER", help="Operator (audited).")
    ] = getpass.getuser(),
    page: Annotated[int, typer.Option(min=1, help="Pointers per transaction.")] = PAGE,
) -> None:
    """Rebuild every pointer's blocking keys from its stored identity.

    Idempotent; pointers of crypto-shredded states are skipped; each state read gets one
    audit entry (a count)."""
    from lpx.bootstrap import build_hub
    from lpx.services.codec import IdentityCodec
    from lpx.services.reindex import ReindexService
    from lpx.storage.uow import UnitOfWork

    hub = build_hub()
    service = ReindexService(partial(UnitOfWork, hub.engine), IdentityCodec(hub.keys.ring),
                             hub.settings.index_key(), hub.audit.log)  # fmt: skip
    try:
        with stage_progress(Console(stderr=True)) as progress:
            done = service.rebuild(user=user, page=page, progress=progress)
    finally:
        hub.engine.dispose()
    skipped = f"; {done.skipped:,} of shredded states skipped" if done.skipped else ""
    typer.echo(f"{done.pointers:,} pointers re-keyed ({done.keys:,} blocking keys){skipped}")
