"""``lpx load``: send a state's license file to the hub, with progress and a bad-row report.

The load is an upload session on the hub: killed part-way and run again on the same file, it
resumes after the last batch the hub committed. It ends with a summary (rows read, added,
updated, rejected by field, withheld, held back, duplicate cases opened per state) printed as
a table and written as JSON (``--summary``, default ``FILE.summary.json``).

Exit codes tell a scheduler what happened: 0 every row loaded, 1 some rows rejected (the rest
loaded, batch by batch), 2 nothing could be done (bad file, missing keys, refused credentials).
Nothing printed here carries key material, SSN digits or tokens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from lpx.client.carry import read_carry_book
from lpx.client.files import FileFormatError, count_rows, detect_format
from lpx.client.hub import HubClient, HubError
from lpx.client.keys import KeyFileError, NetworkKeys
from lpx.client.loader import MAX_BATCH, LoadAborted, LoadReport, load_file
from lpx.client.ssn import IssuanceOutcome
from lpx.domain.policy import UploadPolicy

DEFAULT_HUB = "http://127.0.0.1:8000"
SHOWN_BAD_ROWS = 50
EXIT_OK, EXIT_REJECTED, EXIT_FATAL = 0, 1, 2

_JURISDICTION_RE = re.compile(r"[A-Z]{2}")
_KEY_RE = re.compile(r"lpx_([a-z]{2})_.+")

out = Console()
err = Console(stderr=True)


def connect(hub: str, api_key: str, user: str) -> HubClient:
    """The hub client the commands use; tests replace this to talk to an in-process hub."""
    return HubClient.connect(hub, api_key, user)


def fail(message: str, code: int = EXIT_FATAL) -> typer.Exit:
    """Print a clerk-readable error and return the exit to raise."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def key_jurisdiction(api_key: str) -> str | None:
    """The jurisdiction an LPX API key was issued to (keys read ``lpx_<code>_<secret>``)."""
    found = _KEY_RE.fullmatch(api_key.strip())
    return found.group(1).upper() if found else None


def check_identity(jurisdiction: str, api_key: str, user: str) -> str:
    """Catch the mistakes that would otherwise surface as a refusal after the first batch."""
    code = jurisdiction.strip().upper()
    if not _JURISDICTION_RE.fullmatch(code):
        raise fail(f"--jurisdiction must be a two-letter code, not {jurisdiction!r}")
    if not user.strip():
        raise fail("--user (or LPX_USER) must name the person running this command")
    owner = key_jurisdiction(api_key)
    if owner is not None and owner != code:
        raise fail(
            f"the API key belongs to {owner}, not {code}: "
            f"use {owner}'s file with --jurisdiction {owner}, or {code}'s API key"
        )
    return code


def hub_refusal(exc: HubError, jurisdiction: str | None = None) -> typer.Exit:
    """Explain a fatal hub error; credential refusals get a hint at the usual causes."""
    message = str(exc)
    if exc.status == 401:
        message += "\nhint: check LPX_API_KEY (or --api-key); the hub does not know this key"
    elif exc.status == 403 and jurisdiction:
        message += f"\nhint: check that the API key is {jurisdiction}'s and may do this"
    return fail(message)


def load(
    file: Path = typer.Argument(..., help="License file: .csv, .parquet, .ndjson or .jsonl"),
    jurisdiction: str = typer.Option(
        ..., "--jurisdiction", help="Your two-letter code; must be the API key's jurisdiction"
    ),
    hub: str = typer.Option(DEFAULT_HUB, "--hub", envvar="LPX_HUB_URL", help="Hub base URL"),
    api_key: str = typer.Option(
        ..., "--api-key", envvar="LPX_API_KEY", show_default=False, help="Jurisdiction API key"
    ),
    user: str = typer.Option(
        ..., "--user", envvar="LPX_USER", help="Who runs this load (recorded by the hub)"
    ),
    batch_size: int = typer.Option(
        500, "--batch-size", min=1, max=MAX_BATCH, help="Rows per all-or-nothing batch"
    ),
    skip_bad_rows: bool = typer.Option(
        False, "--skip-bad-rows", help="Send a batch's good rows even if some of its rows are bad"
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="csv, parquet or ndjson (default: from the file extension)"
    ),
    policy_file: Path | None = typer.Option(
        None, "--policy", help="Upload policy JSON (as GET /v1/policy returns): what to send "
        "(default: the policy your state declared at the hub)"
    ),
    summary_file: Path | None = typer.Option(
        None, "--summary", help="Where to write the JSON summary (default: FILE.summary.json)"
    ),
    resume: bool = typer.Option(
        True, "--resume/--no-resume",
        help="Resume an interrupted load of the same file from its last committed batch",
    ),
    carry_book: Path | None = typer.Option(
        None, "--carry-book", help="The state's carry book (JSON lines written at issuance): "
        "records in it keep the SSN tokens the carry protocol gave them",
    ),
    in_flight: int = typer.Option(
        2, "--in-flight", min=1, max=8, help="Batches sent at once: the hub writes one while "
        "it opens the cases of another, and commits them in file order",
    ),
) -> None:
    """Load a license file into the hub; bad rows are reported by line and field."""
    code = check_identity(jurisdiction, api_key, user)
    try:
        detect_format(file, fmt)
        if not file.is_file():
            raise FileFormatError(f"{file}: no such file")
    except FileFormatError as exc:
        raise fail(str(exc)) from None
    try:
        keys = NetworkKeys.from_env()
    except KeyFileError as exc:
        raise fail(str(exc)) from None

    try:
        carry = read_carry_book(carry_book) if carry_book else None
    except (OSError, ValueError) as exc:
        raise fail(f"carry book: {exc}") from None
    policy = _read_policy(policy_file) if policy_file else None
    summary_path = summary_file or file.with_name(file.name + ".summary.json")
    client = connect(hub, api_key, user)
    try:
        if policy is None:  # no --policy: apply the one the state declared at the hub
            policy = _hub_policy(client, code)
        report = _run(file, client, keys, code, batch_size, skip_bad_rows, fmt, policy, resume,
                      carry, in_flight)  # fmt: skip
    except LoadAborted as exc:
        _print_summary(exc.report, summary_path)
        cause = exc.__cause__
        if isinstance(cause, HubError):
            raise hub_refusal(cause, code) from None
        raise fail(f"load stopped: {exc}") from None
    finally:
        client.close()
    _print_summary(report, summary_path)
    if not report.ok:
        _print_bad_rows(report)
        raise typer.Exit(EXIT_REJECTED)
    raise typer.Exit(EXIT_OK)


def _run(
    file: Path,
    client: HubClient,
    keys: NetworkKeys,
    jurisdiction: str,
    batch_size: int,
    skip_bad_rows: bool,
    fmt: str | None,
    policy: UploadPolicy | None = None,
    resume: bool = True,
    carry: Mapping[str, IssuanceOutcome] | None = None,
    in_flight: int = 1,
) -> LoadReport:
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(f"loading {file.name}", total=count_rows(file, fmt))
        return load_file(
            file,
            client,
            keys,
            batch_size=batch_size,
            skip_bad_rows=skip_bad_rows,
            progress=lambda rows: bar.update(task, completed=rows),
            fmt=fmt,
            jurisdiction=jurisdiction,
            policy=policy,
            resume=resume,
            carry=carry,
            in_flight=in_flight,
        )


def _read_policy(path: Path) -> UploadPolicy:
    """The state's upload policy from a JSON file (the body GET /v1/policy returns)."""
    try:
        data = json.loads(path.read_text())
        data.pop("jurisdiction", None)
        return UploadPolicy.from_dict(data)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        raise fail(f"{path}: not an upload policy file ({exc})") from None


def _hub_policy(client: HubClient, jurisdiction: str) -> UploadPolicy:
    """The upload policy the state declared at the hub, fetched before any row is read."""
    try:
        data = client.upload_policy()
    except HubError as exc:
        raise hub_refusal(exc, jurisdiction) from None
    data.pop("jurisdiction", None)
    return UploadPolicy.from_dict(data)


def _print_summary(report: LoadReport, path: Path) -> None:
    """Print the summary table and write it as JSON (counts only, no personal data)."""
    table = Table(title="Load summary", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, object]] = [
        ("rows read", report.rows_read),
        ("added", report.added),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("rows rejected", report.rejected_rows),
        *((f"  rejected for {reason}", n) for reason, n in sorted(report.rejected_reasons.items())),
        ("rows withheld by the upload policy", report.withheld),
        ("good rows not sent (their batch was not)", report.rows_held_back),
        ("duplicate cases opened", sum(report.cases_opened.values())),
        *((f"  with {state}", n) for state, n in sorted(report.cases_opened.items())),
    ]
    if report.upload_id:
        rows += [("upload", f"{report.upload_id} ({report.status})"),
                 ("resumed after row", report.resumed_after)]  # fmt: skip
    for label, value in rows:
        table.add_row(escape(label), escape(str(value)))
    out.print(table)
    try:
        path.write_text(json.dumps(report.summary(), indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        err.print(f"[yellow]warning:[/] summary not written to {escape(str(path))}: {exc}")
        return
    out.print(f"Summary written to {escape(str(path))}", highlight=False, soft_wrap=True)


def _print_bad_rows(report: LoadReport) -> None:
    table = Table(title="Rejected rows")
    table.add_column("line", justify="right")
    table.add_column("field")
    table.add_column("reason")
    for error in report.rejected[:SHOWN_BAD_ROWS]:
        table.add_row(str(error.line), escape(error.field), escape(error.message))
    out.print(table)
    hidden = len(report.rejected) - SHOWN_BAD_ROWS
    if hidden > 0:
        out.print(f"... and {hidden} more problem(s) not shown", highlight=False)
