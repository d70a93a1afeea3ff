"""``lpx cases``: a state's duplicate-case queue from the command line.

``list`` shows the queue as a table, ``export`` writes all of it (page by page along the
hub's cursors) as CSV for a spreadsheet or a case system, and ``resolve`` moves one case on.
Everything goes through the hub's API with the state's key; the hub sends no identity fields
with a case, so nothing printed or exported here holds a name or a birth date.
"""

from __future__ import annotations

import csv
import os
import sys
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import TextIO

import typer
from rich.markup import escape
from rich.table import Table

from lpx.cli.load import DEFAULT_HUB, connect, fail, hub_refusal, out
from lpx.client.hub import CaseItem, HubClient, HubError
from lpx.domain.cases import CaseStatus

EXPORT_COLUMNS = ("case_id", "jurisdiction_a", "record_id_a", "jurisdiction_b", "record_id_b",
                  "weight", "class", "status", "opened_at")  # fmt: skip
PAGE = 500

cases_app = typer.Typer(help="Duplicate cases between states: list, export, resolve.",
                        no_args_is_help=True)  # fmt: skip


class ExportFormat(StrEnum):
    CSV = "csv"


class Resolution(StrEnum):
    UNDER_INVESTIGATION = CaseStatus.UNDER_INVESTIGATION.value
    SAME_PERSON = CaseStatus.SAME_PERSON.value
    DIFFERENT_PEOPLE = CaseStatus.DIFFERENT_PEOPLE.value
    CLOSED = CaseStatus.CLOSED.value


HUB = typer.Option(DEFAULT_HUB, "--hub", envvar="LPX_HUB_URL", help="Hub base URL")
API_KEY = typer.Option(..., "--api-key", envvar="LPX_API_KEY", show_default=False,
                       help="Jurisdiction API key")  # fmt: skip
USER = typer.Option(..., "--user", envvar="LPX_USER", help="Who asks (recorded by the hub)")
STATUS = typer.Option(None, "--status", help="Only this status (repeatable; default: the "
                      "active ones: open, under_investigation, same_person)")  # fmt: skip
OVERDUE = typer.Option(False, "--overdue", help="Only cases past the hub's configured age")


def _client(hub: str, api_key: str, user: str) -> HubClient:
    if not user.strip():
        raise fail("--user (or LPX_USER) must name the person running this command")
    return connect(hub, api_key, user)


def _statuses(given: list[CaseStatus] | None) -> list[str]:
    return [s.value for s in given or []]


@cases_app.command("list")
def list_cases(
    status: list[CaseStatus] | None = STATUS,
    overdue: bool = OVERDUE,
    limit: int = typer.Option(50, "--limit", min=1, max=100_000, help="Most cases shown"),
    hub: str = HUB,
    api_key: str = API_KEY,
    user: str = USER,
) -> None:
    """Show the state's open cases, REAL ID conflicts first, then oldest first."""
    client = _client(hub, api_key, user)
    try:
        shown: list[CaseItem] = []
        for case in client.all_cases(statuses=_statuses(status), overdue=overdue,
                                     page_size=min(limit, PAGE)):  # fmt: skip
            shown.append(case)
            if len(shown) == limit:
                break
    except HubError as exc:
        raise hub_refusal(exc) from None
    finally:
        client.close()
    if not shown:
        out.print("No cases.")
        return
    table = Table("case", "state A", "record A", "state B", "record B", "weight", "class",
                  "status", "REAL ID conflict", "overdue", "opened", title="Duplicate cases")
    for c in shown:
        table.add_row(c.case_id, c.jurisdiction_a, escape(c.record_id_a), c.jurisdiction_b,
                      escape(c.record_id_b), f"{c.weight:.1f}", c.match_class, c.status,
                      "yes" if c.real_id_conflict else "", "yes" if c.overdue else "",
                      c.opened_at[:19].replace("T", " "))  # fmt: skip
    out.print(table)


@cases_app.command("export")
def export_cases(
    fmt: ExportFormat = typer.Option(ExportFormat.CSV, "--format", help="Output format"),
    out_file: Path | None = typer.Option(None, "--out", help="Write here (default: stdout)"),
    status: list[CaseStatus] | None = STATUS,
    overdue: bool = OVERDUE,
    hub: str = HUB,
    api_key: str = API_KEY,
    user: str = USER,
) -> None:
    """Write the whole queue as CSV. With --out the file appears only once complete."""
    client = _client(hub, api_key, user)
    cases = client.all_cases(statuses=_statuses(status), overdue=overdue, page_size=PAGE)
    try:
        count = _write_file(cases, out_file) if out_file else _write_csv(cases, sys.stdout)
    except HubError as exc:
        raise hub_refusal(exc) from None
    finally:
        client.close()
    where = str(out_file) if out_file else "stdout"
    typer.echo(f"Exported {count} case(s) as {fmt.value} to {where}.", err=True)


def _write_file(cases: Iterable[CaseItem], path: Path) -> int:
    """Write to a side file and rename it into place: a failed export leaves no half file."""
    part = path.with_name(path.name + ".part")
    try:
        with part.open("w", newline="", encoding="utf-8") as fh:
            count = _write_csv(cases, fh)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return count


def _write_csv(cases: Iterable[CaseItem], fh: TextIO) -> int:
    writer = csv.writer(fh, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for c in cases:
        writer.writerow([c.case_id, c.jurisdiction_a, c.record_id_a, c.jurisdiction_b,
                         c.record_id_b, c.weight, c.match_class, c.status, c.opened_at])
        count += 1
    return count


@cases_app.command("resolve")
def resolve_case(
    case_id: str = typer.Argument(..., help="The case id (from list or export)"),
    target: Resolution = typer.Option(..., "--as", help="What the state found"),
    hub: str = HUB,
    api_key: str = API_KEY,
    user: str = USER,
) -> None:
    """Record the state's finding on a case (the hub keeps who and when)."""
    client = _client(hub, api_key, user)
    try:
        case = client.resolve_case(case_id.strip(), target.value)
    except HubError as exc:
        raise hub_refusal(exc) from None
    finally:
        client.close()
    out.print(f"Case {case.case_id} is now {case.status}.")
