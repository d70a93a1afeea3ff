"""``lpx audit verify``: a state checks the hub's audit log on its own (see lpx.audit.verifier).

Exit codes: 0 the log checked out (new head stored), 1 tampering or a fork was found (the
stored head is kept, so the next run reports it again), 2 the check could not run.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import typer
from rich.markup import escape

from lpx.audit.verifier import Report, Verifier
from lpx.cli.load import DEFAULT_HUB, err, fail, out

EXIT_OK, EXIT_TAMPERED, EXIT_FATAL = 0, 1, 2

audit_app = typer.Typer(help="Check the hub's tamper-evident audit log.", no_args_is_help=True)


@audit_app.callback()
def audit() -> None:
    """Check the hub's tamper-evident audit log (a group, so ``verify`` stays a subcommand)."""


def connect(hub: str) -> httpx.Client:
    """The HTTP client the verifier uses; tests replace this to reach an in-process hub."""
    return httpx.Client(base_url=hub, timeout=60.0)


@audit_app.command("verify")
def verify(
    state: str = typer.Option(..., "--state", help="Your two-letter jurisdiction code"),
    hub: str = typer.Option(DEFAULT_HUB, "--hub", envvar="LPX_HUB_URL", help="Hub base URL"),
    api_key: str = typer.Option(..., "--api-key", envvar="LPX_API_KEY", show_default=False,
                                help="An API key of your state with the state_admin role"),
    user: str = typer.Option(..., "--user", envvar="LPX_USER", help="Who runs this check"),
    state_file: Path | None = typer.Option(
        None, "--state-file", help="Where the last verified head and pinned hub key are kept "
                                   "(default: ./.lpx/audit-<STATE>.json)"),
) -> None:  # fmt: skip
    """Verify the signed tree head, its consistency with the last one, and every entry
    touching your state's records; say exactly what failed."""
    code = state.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise fail(f"--state must be a two-letter code, not {state!r}")
    path = state_file or Path(".lpx") / f"audit-{code}.json"
    http = connect(hub)
    try:
        report = Verifier(http, code, path, {"Authorization": f"Bearer {api_key}",
                                             "X-LPX-User": user}).run()  # fmt: skip
    except (ValueError, OSError) as exc:
        raise fail(f"cannot use the state file {path}: {exc}") from None
    finally:
        http.close()
    _print(report, path)
    if report.ok:
        raise typer.Exit(EXIT_OK)
    fatal = all(f.kind in ("hub-error", "malformed") for f in report.findings)
    raise typer.Exit(EXIT_FATAL if fatal else EXIT_TAMPERED)


def _print(report: Report, path: Path) -> None:
    if report.pinned_now:
        out.print(f"Pinned the hub's audit key on first use in {escape(str(path))}; compare "
                  "it with the key the hub operator published.", highlight=False,
                  soft_wrap=True)  # fmt: skip
    head = report.head
    if report.ok and head is not None:
        since = f" (extends size {report.previous.size})" if report.previous else ""
        root = head.root_hash.hex()[:16]
        out.print(f"OK: signed tree head size {head.size}, root {root}...{since}; "
                  f"{report.checked} {report.jurisdiction} entries verified.",
                  highlight=False, soft_wrap=True)  # fmt: skip
        return
    err.print(f"[bold red]AUDIT LOG CHECK FAILED[/] for {report.jurisdiction}: "
              f"{len(report.findings)} problem(s); the last good head was kept.")  # fmt: skip
    for f in report.findings:
        err.print(f"  [red]{f.kind}[/]: {escape(f.message)}", highlight=False, soft_wrap=True)
