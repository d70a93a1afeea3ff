"""``lpx mdl``: issue, present and verify mobile driver's licenses (ISO/IEC 18013-5).

``verify`` is what a relying party runs: it reads only local files (the response, its own
transcript, the trust list and any status lists it fetched earlier) and never the network.
Exit 0 prints the disclosed elements; exit 1 prints which check failed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import (
    FileIssuerKeys,
    Person,
    StatusLists,
    StatusRegistry,
    TrustStore,
    VerificationError,
    Wallet,
    WalletError,
    build_status_list,
    build_trust_list,
    issue_batch,
    make_state_pki,
    verify,
    web_session_transcript,
)
from lpx.mdl.pki import load_private_key
from lpx.mdl.status import DEFAULT_SIZE as STATUS_LIST_SIZE

mdl_app = typer.Typer(
    help="Mobile driver's licenses: issue, present, verify.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
REGISTRY = "status_registry.json"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _status_uri(base: str, state: str) -> str:
    return f"{base.rstrip('/')}/v1/status-lists/{state}"


@mdl_app.command("pki")
def pki(
    state: Annotated[str, typer.Argument(help="Two-letter state code")],
    directory: Annotated[Path, typer.Argument(help="Where to write the PEM files")],
) -> None:
    """Create a state's IACA root and document signer (demo and tests; keep IACA offline)."""
    keys = make_state_pki(state.upper(), directory)
    typer.echo(f"IACA and document signer for {keys.state} written to {directory}")


@mdl_app.command("issue")
def issue(
    person: Annotated[Path, typer.Argument(help="JSON with the person's fields")],
    pki_dir: Annotated[Path, typer.Option("--pki", help="State PKI directory")],
    wallet_path: Annotated[Path, typer.Option("--wallet", help="Wallet file (created)")],
    count: Annotated[int, typer.Option(min=1, max=1000, help="Credentials in the batch")] = 20,
    days: Annotated[int, typer.Option(min=1, max=90, help="Validity of each")] = 7,
    hub: Annotated[
        str, typer.Option(help="Base URL the status list is served from")
    ] = "https://hub.lpx.example",
    holder: Annotated[str | None, typer.Option(help="State's holder reference")] = None,
    record_id: Annotated[
        str | None,
        typer.Option(
            help="Own pointer's record id: the hub confirms it is active and keeps "
            "the batch's status bits (revoked when the pointer changes)"
        ),
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(envvar="LPX_API_KEY", help="Records API key (--record-id)")
    ] = None,
    user: Annotated[str | None, typer.Option(envvar="LPX_USER", help="Who issues")] = None,
) -> None:
    """Issue a batch of single-use credentials into a wallet file.

    With ``--record-id`` the hub at ``--hub`` first vouches for the pointer (own, active)
    and registers the batch's random status indices; the state still signs locally, and
    the hub never sees the credentials or the device keys.
    """
    try:
        keys = FileIssuerKeys.load(pki_dir)
        fields = Person.from_json(json.loads(person.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        raise _fail(f"cannot issue: {exc}") from None
    wallet = Wallet.load(wallet_path) if wallet_path.exists() else Wallet()
    registry = None
    if record_id is not None:
        if not api_key or not user:
            raise _fail("--record-id needs --api-key (LPX_API_KEY) and --user (LPX_USER)")
        with _hub_client(hub) as client:
            indices, uri = register_batch(client, api_key, user, record_id, count)
    else:
        registry = StatusRegistry(pki_dir / REGISTRY)
        indices = registry.allocate(holder or fields.document_number, count)
        uri = _status_uri(hub, keys.state)
    issued = issue_batch(
        keys,
        fields,
        wallet.new_device_keys(count),
        indices,
        uri,
        validity=dt.timedelta(days=days),
    )
    wallet.add(issued)
    wallet.save(wallet_path)
    if registry is not None:
        registry.save()
    typer.echo(f"issued {count} credentials to {wallet_path}")


def _hub_client(base: str) -> httpx.Client:
    """The HTTP client for the hub (tests swap in FastAPI's TestClient)."""
    return httpx.Client(base_url=base, timeout=30.0)


def register_batch(
    client: httpx.Client, api_key: str, user: str, record_id: str, count: int, attempts: int = 3
) -> tuple[list[int], str]:
    """Draw ``count`` uniformly random status indices and register them with the hub.

    Indices are drawn here (the issuer's side) so the hub cannot pattern them; a clash with
    an earlier batch (409 naming the indices) is retried with fresh draws. Returns the
    indices and the status-list URI to put into each MSO.
    """
    headers = {"Authorization": f"Bearer {api_key}", "X-LPX-User": user}
    for _ in range(attempts):
        indices: set[int] = set()
        while len(indices) < count:
            indices.add(secrets.randbelow(STATUS_LIST_SIZE))
        drawn = list(indices)
        secrets.SystemRandom().shuffle(drawn)
        try:
            resp = client.post(
                "/v1/mdl/credentials",
                json={"record_id": record_id, "status_indices": drawn},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise _fail(f"cannot reach the hub: {exc}") from None
        if resp.status_code == 201:
            return drawn, str(resp.json()["status_list_uri"])
        detail = _detail(resp)
        if resp.status_code != 409 or "status ind" not in detail:
            raise _fail(f"the hub refused to vouch ({resp.status_code}): {detail}")
    raise _fail("the hub kept reporting status-index clashes; try again")


def _detail(resp: httpx.Response) -> str:
    try:
        return str(resp.json().get("detail", resp.text))
    except ValueError:
        return resp.text[:200]


@mdl_app.command("present")
def present(
    wallet_path: Annotated[Path, typer.Argument(help="Wallet file")],
    origin: Annotated[str, typer.Option(help="The website's origin, e.g. https://shop.example")],
    nonce: Annotated[str, typer.Option(help="The website's fresh nonce")],
    element: Annotated[list[str] | None, typer.Option(help="Element to disclose (repeat)")] = None,
    out: Annotated[Path, typer.Option(help="DeviceResponse output")] = Path("response.cbor"),
    transcript_out: Annotated[Path, typer.Option("--transcript", help="Transcript output")] = Path(
        "transcript.cbor"
    ),
) -> None:
    """Answer a request with the next unspent credential, disclosing only the --element values."""
    transcript = web_session_transcript(origin, nonce)
    try:
        wallet = Wallet.load(wallet_path)
        response = wallet.present(element or ["age_over_21"], transcript)
    except (OSError, ValueError, KeyError, WalletError) as exc:
        raise _fail(f"cannot present: {exc}") from None
    wallet.save(wallet_path)  # the credential is spent even if the response is never sent
    out.write_bytes(response)
    transcript_out.write_bytes(transcript)
    typer.echo(f"wrote {out} and {transcript_out}")


@mdl_app.command("trust-list")
def trust_list(
    hub_key: Annotated[Path, typer.Option(help="Hub trust-list signing key (PEM)")],
    out: Annotated[Path, typer.Option(help="Signed trust list output")],
    pki_dirs: Annotated[list[Path], typer.Argument(help="State PKI directories")],
) -> None:
    """Sign the list of states' IACA certificates (what GET /v1/trust-list serves)."""
    entries = [(k.state, k.iaca_certificate_der) for k in map(FileIssuerKeys.load, pki_dirs)]
    out.write_bytes(build_trust_list(entries, load_private_key(hub_key)))
    typer.echo(f"wrote {out} with {len(entries)} states")


@mdl_app.command("status-list")
def status_list(
    pki_dir: Annotated[Path, typer.Option("--pki", help="State PKI directory")],
    out: Annotated[Path, typer.Option(help="Signed status list output")],
    revoke: Annotated[list[str] | None, typer.Option(help="Holder reference to revoke")] = None,
    hub: Annotated[
        str, typer.Option(help="Base URL the list is served from")
    ] = "https://hub.lpx.example",
) -> None:
    """Revoke holders (every credential of theirs) and sign the state's status list."""
    keys = FileIssuerKeys.load(pki_dir)
    registry = StatusRegistry(pki_dir / REGISTRY)
    for holder in revoke or []:
        registry.revoke_holder(holder)
    registry.save()
    out.write_bytes(build_status_list(keys, _status_uri(hub, keys.state), registry.bits()))
    typer.echo(f"wrote {out}")


def _trust(path: Path, hub_key: Path | None) -> TrustStore:
    data = path.read_bytes()
    if b"-----BEGIN CERTIFICATE-----" in data:
        certs = x509.load_pem_x509_certificates(data)
        return TrustStore.from_certificates(
            (path.stem, c.public_bytes(serialization.Encoding.DER)) for c in certs
        )
    try:
        x509.load_der_x509_certificate(data)
        return TrustStore.from_certificates([(path.stem, data)])
    except ValueError:
        pass
    if hub_key is None:
        raise _fail("--trust is not a certificate; a signed trust list needs --hub-key")
    return TrustStore.from_signed(data, _hub_public(hub_key))


def _hub_public(path: Path) -> ec.EllipticCurvePublicKey:
    public = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(public, ec.EllipticCurvePublicKey):
        raise _fail("--hub-key must be an EC public key")
    return public


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return repr(value)


@mdl_app.command("verify")
def verify_cmd(
    response: Annotated[Path, typer.Argument(help="DeviceResponse (CBOR)")],
    transcript: Annotated[Path, typer.Option(help="Your SessionTranscript (CBOR)")],
    trust: Annotated[Path, typer.Option(help="IACA/DS certificate(s) or a signed trust list")],
    hub_key: Annotated[Path | None, typer.Option(help="Hub public key for a trust list")] = None,
    reader_key: Annotated[
        Path | None, typer.Option(help="Reader ephemeral key (device MAC)")
    ] = None,
    status: Annotated[list[Path] | None, typer.Option(help="Signed status list (repeat)")] = None,
    at: Annotated[
        str | None, typer.Option(help="Verification time, e.g. 2020-10-01T14:00:00Z")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Verify a presentation offline; exit 0 with the disclosed elements, 1 with the reason."""
    try:
        when = dt.datetime.fromisoformat(at) if at else dt.datetime.now(dt.UTC)
    except ValueError:
        raise _fail(f"--at must be an ISO 8601 time, not {at!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        store = _trust(trust, hub_key)
        signer = _hub_public(hub_key) if hub_key else None  # hub-signed status lists
        lists = (
            StatusLists.load([p.read_bytes() for p in status], store, when, signer)
            if status
            else None
        )
        key = load_private_key(reader_key) if reader_key else None
        result = verify(response.read_bytes(), transcript.read_bytes(), store, when, lists, key)
    except VerificationError as exc:
        if as_json:
            typer.echo(json.dumps({"valid": False, "check": exc.check, "reason": exc.reason}))
        else:
            typer.echo(f"INVALID ({exc.check}): {exc.reason}", err=True)
        raise typer.Exit(1) from None
    except (OSError, ValueError) as exc:
        raise _fail(f"cannot verify: {exc}") from None
    elements = _jsonable(result.elements)
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "valid": True,
                    "doctype": result.doctype,
                    "issuer": result.issuer_state,
                    "elements": elements,
                }
            )
        )
        return
    typer.echo(f"VALID {result.doctype} from {result.issuer_state or 'a trusted issuer'}")
    for namespace, values in elements.items():
        for name, value in values.items():
            typer.echo(f"  {namespace}/{name} = {json.dumps(value)[:200]}")
