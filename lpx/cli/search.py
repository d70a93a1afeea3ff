"""``lpx search`` and ``lpx status``: a clerk's inquiries against the hub.

SSN-5 is tokenized here with the network keys before anything is sent; the digits, and whether
the applicant has an SSN at all, never leave the state. Pass ``--ssn-last5 -`` to type the
digits at a hidden prompt instead of leaving them in the shell history.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date

import typer
from rich.markup import escape
from rich.table import Table

from lpx.cli.load import DEFAULT_HUB, connect, fail, hub_refusal, out
from lpx.client.hub import PURPOSES, HubError, SearchResult
from lpx.client.keys import KeyFileError, NetworkKeys
from lpx.client.ssn import ssn_tokens_for, validate_ssn5
from lpx.domain.records import SsnTokens

_SEXES = ("F", "M", "X")


def _parse_dob(text: str) -> date:
    try:
        if len(text.strip()) != len("YYYY-MM-DD"):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise fail(f"--dob must be a date written YYYY-MM-DD, not {text!r}") from None


def _tokens(
    ssn_last5: str | None, no_ssn: bool, first: str, last: str, dob: date
) -> SsnTokens | None:
    """Tokens for the inquiry: real, a decoy for "has no SSN", or none when SSN is unknown."""
    if ssn_last5 is not None and no_ssn:
        raise fail("give either --ssn-last5 or --no-ssn, not both")
    if ssn_last5 is None and not no_ssn:
        return None
    if ssn_last5 == "-":
        ssn_last5 = typer.prompt("SSN last 5", hide_input=True)
    if ssn_last5 is not None:
        try:
            validate_ssn5(ssn_last5)
        except ValueError as exc:
            raise fail(str(exc)) from None
    try:
        keys = NetworkKeys.from_env()
    except KeyFileError as exc:
        raise fail(str(exc)) from None
    return ssn_tokens_for(ssn_last5, first, last, dob, keys)


def search(
    last_name: str = typer.Option(..., "--last-name", help="Applicant's last name"),
    first_name: str = typer.Option(..., "--first-name", help="Applicant's first name"),
    dob: str = typer.Option(..., "--dob", help="Date of birth, YYYY-MM-DD"),
    middle_name: str = typer.Option("", "--middle-name", help="Middle name, if known"),
    suffix: str = typer.Option("", "--suffix", help="Suffix such as JR or III"),
    sex: str | None = typer.Option(None, "--sex", help="F, M or X"),
    ssn_last5: str | None = typer.Option(
        None, "--ssn-last5", help="Last five SSN digits, or '-' to type them at a hidden prompt"
    ),
    no_ssn: bool = typer.Option(False, "--no-ssn", help="The applicant has no SSN"),
    purpose: str = typer.Option(..., "--purpose", help=f"One of: {', '.join(PURPOSES)}"),
    hub: str = typer.Option(DEFAULT_HUB, "--hub", envvar="LPX_HUB_URL", help="Hub base URL"),
    api_key: str = typer.Option(
        ..., "--api-key", envvar="LPX_API_KEY", show_default=False, help="Jurisdiction API key"
    ),
    user: str = typer.Option(..., "--user", envvar="LPX_USER", help="The clerk asking"),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Ask the hub whether this person holds a card anywhere (at most 10 candidates)."""
    if purpose not in PURPOSES:
        raise fail(f"--purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    sex_code = sex.strip().upper() if sex else None
    if sex_code is not None and sex_code not in _SEXES:
        raise fail(f"--sex must be F, M or X, not {sex!r}")
    if not first_name.strip() or not last_name.strip():
        raise fail("--first-name and --last-name must not be empty")
    born = _parse_dob(dob)
    tokens = _tokens(ssn_last5, no_ssn, first_name, last_name, born)

    client = connect(hub, api_key, user)
    try:
        result = client.inquire(
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            dob=born,
            purpose=purpose,
            middle_name=middle_name.strip(),
            suffix=suffix.strip(),
            sex=sex_code,
            ssn=tokens,
        )
    except HubError as exc:
        raise hub_refusal(exc) from None
    finally:
        client.close()
    if json_output:
        out.print_json(json.dumps(_as_json(result)))
    else:
        _print_candidates(result)


def status(
    pointer_id: str = typer.Argument(..., help="Pointer id from a search result"),
    hub: str = typer.Option(DEFAULT_HUB, "--hub", envvar="LPX_HUB_URL", help="Hub base URL"),
    api_key: str = typer.Option(
        ..., "--api-key", envvar="LPX_API_KEY", show_default=False, help="Jurisdiction API key"
    ),
    user: str = typer.Option(..., "--user", envvar="LPX_USER", help="The clerk asking"),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Show the card status and dates behind one pointer."""
    client = connect(hub, api_key, user)
    try:
        found = client.status(pointer_id)
    except HubError as exc:
        raise hub_refusal(exc) from None
    finally:
        client.close()
    if json_output:
        out.print_json(json.dumps(asdict(found)))
        return
    table = Table(title=f"Pointer {escape(found.pointer_id)}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for name, value in asdict(found).items():
        shown = ("yes" if value else "no") if isinstance(value, bool) else value
        table.add_row(name.replace("_", " "), escape(str(shown if shown is not None else "")))
    out.print(table)


def _as_json(result: SearchResult) -> dict[str, object]:
    return {"inquiry_id": result.inquiry_id, "candidates": [asdict(c) for c in result.candidates]}


def _print_candidates(result: SearchResult) -> None:
    if not result.candidates:
        out.print(f"No candidates (inquiry {escape(result.inquiry_id)}).", highlight=False)
        return
    table = Table(title=f"Candidates (inquiry {escape(result.inquiry_id)})")
    table.add_column("rank", justify="right")
    table.add_column("pointer id")
    table.add_column("SOR")
    table.add_column("class")
    table.add_column("weight", justify="right")
    table.add_column("probability", justify="right")
    table.add_column("evidence")
    for rank, c in enumerate(result.candidates, start=1):
        evidence = "\n".join(f"{k}: {v}" for k, v in c.evidence.items())
        table.add_row(
            str(rank),
            escape(c.pointer_id),
            escape(c.jurisdiction),
            escape(c.match_class),
            f"{c.weight:.2f}",
            f"{c.probability:.3f}",
            escape(evidence),
        )
    out.print(table)
