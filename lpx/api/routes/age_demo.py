"""``/demo/age-check``: a website asks "over 21?", a wallet answers, the website verifies.

Three parties, kept apart in code the way they are apart in life:

* the **relying party** (:class:`RelyingParty`) is the website. It holds only what it fetched
  beforehand (a signed trust list, the status lists, the hub key it pinned) and the nonces
  it handed out. Verifying is :func:`lpx.mdl.verify` on those bytes: no call to the hub or
  the issuer, so neither learns that an age check happened;
* the **wallet** is the reference holder (:class:`lpx.mdl.Wallet`), run server-side for a
  synthetic person. It binds its answer to the origin the browser reports and the site's
  nonce, and discloses ``age_over_21`` alone;
* the **issuer and publisher** are a synthetic demo state ("ZZ") and an ephemeral demo key
  standing in for the hub's trust-list key. The hub's real key never signs a demo issuer:
  a relying party that pins the real key must not accept demo credentials.

The page is server-rendered HTML with plain forms (no script, no build step), so every
step works with a keyboard and a screen reader.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from lpx.mdl import (
    Person,
    StatusLists,
    TrustStore,
    VerificationError,
    Wallet,
    WalletError,
    build_hub_status_list,
    build_trust_list,
    issue_batch,
    make_state_pki,
    verify,
    web_session_transcript,
)
from lpx.mdl.issuer import NAMESPACE
from lpx.mdl.pki import IssuerKeys
from lpx.mdl.status import DEFAULT_SIZE

router = APIRouter(tags=["demo"], include_in_schema=False)
PATH = "/demo/age-check"
DEMO_STATE = "ZZ"
ELEMENT = "age_over_21"
BATCH = 20
NONCE_TTL = 300.0  # seconds a request stays answerable
MAX_NONCES = 10_000
WORLD_TTL = dt.timedelta(hours=12)  # rebuilt well before the status list's 2-day expiry
MAX_FORM = 64_000
LABELS = {"age_over_18": "over 18", "age_over_21": "over 21", "age_over_65": "over 65"}


@dataclass(frozen=True)
class AgeRequest:
    origin: str
    nonce: str
    element: str = ELEMENT


@dataclass(frozen=True)
class AgeResult:
    valid: bool
    disclosed: dict[str, object] = field(default_factory=dict)
    issuer_state: str = ""
    check: str = ""
    reason: str = ""


class RelyingParty:
    """The website's verifier: the lists it fetched earlier, and its own nonces. Nothing else.

    It takes signed bytes, not parsed objects, so it checks them itself with the hub key it
    pinned; and it never holds a network client, so verification cannot call home.
    """

    def __init__(self, hub_key: ec.EllipticCurvePublicKey, trust_list: bytes,
                 status_lists: list[bytes], at: dt.datetime) -> None:  # fmt: skip
        self._trust = TrustStore.from_signed(trust_list, hub_key)
        self._status = StatusLists.load(status_lists, self._trust, at, hub_key)
        self._nonces: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def ask(self, origin: str) -> AgeRequest:
        """A fresh request bound to the origin this site is served from."""
        nonce = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._nonces = {n: v for n, v in self._nonces.items() if v[1] > now}
            while len(self._nonces) >= MAX_NONCES:
                self._nonces.pop(next(iter(self._nonces)))
            self._nonces[nonce] = (origin, now + NONCE_TTL)
        return AgeRequest(origin, nonce)

    def check(self, nonce: str, response: bytes, at: dt.datetime) -> AgeResult:
        """Verify ``response`` against the transcript this site builds for its own nonce.

        A nonce answers once: a replayed or unknown one fails before any cryptography.
        """
        with self._lock:
            issued = self._nonces.pop(nonce, None)
        if issued is None or issued[1] < time.monotonic():
            return AgeResult(False, check="nonce", reason="unknown, used or expired request")
        transcript = web_session_transcript(issued[0], nonce)
        try:
            doc = verify(response, transcript, self._trust, at, self._status)
        except VerificationError as exc:
            return AgeResult(False, check=exc.check, reason=exc.reason)
        return AgeResult(True, dict(doc.elements.get(NAMESPACE, {})), doc.issuer_state)


class DemoWallet:
    """A synthetic holder's wallet, refilled by the demo state's issuer when it runs dry."""

    def __init__(self, keys: IssuerKeys, person: Person, status_uri: str) -> None:
        self._keys, self._person, self._uri = keys, person, status_uri
        self._wallet = Wallet()
        self._used: set[int] = set()
        self._lock = threading.Lock()

    def answer(self, origin: str, nonce: str, element: str) -> bytes:
        """Disclose ``element`` only, bound to the origin the browser reports and the nonce."""
        with self._lock:
            if not self._wallet.unspent(dt.datetime.now(dt.UTC)):
                self._refill()
            return self._wallet.present([element], web_session_transcript(origin, nonce))

    def _refill(self) -> None:
        indices: list[int] = []
        while len(indices) < BATCH:
            index = secrets.randbelow(DEFAULT_SIZE)
            if index not in self._used:
                self._used.add(index)
                indices.append(index)
        issued = issue_batch(self._keys, self._person, self._wallet.new_device_keys(BATCH),
                             indices, self._uri)  # fmt: skip
        self._wallet.add(issued)


@dataclass
class DemoWorld:
    wallet: DemoWallet
    site: RelyingParty
    made: dt.datetime


def build_world(now: dt.datetime | None = None) -> DemoWorld:
    """A demo state, its IACA on a demo trust list, an empty status list, a holder, a site."""
    now = now or dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        keys = make_state_pki(DEMO_STATE, Path(tmp))  # loaded into memory; files go away
    publisher = ec.generate_private_key(ec.SECP256R1())
    uri = f"urn:lpx:demo:status-list:{DEMO_STATE}"
    trust_list = build_trust_list([(DEMO_STATE, keys.iaca_certificate_der)], publisher)
    status_list = build_hub_status_list(publisher, DEMO_STATE, uri, bytes(DEFAULT_SIZE // 8))
    person = Person(
        family_name="Sample", given_name="Alex", birth_date=dt.date(1990, 4, 12),
        document_number="ZZ0000001", issuing_jurisdiction=DEMO_STATE,
        issue_date=now.date(), expiry_date=now.date() + dt.timedelta(days=365 * 4),
    )  # fmt: skip
    # The site "fetches" the published bytes now, before any age check.
    site = RelyingParty(publisher.public_key(), trust_list, [status_list], now)
    return DemoWorld(DemoWallet(keys, person, uri), site, now)


_world_lock = threading.Lock()


def world(request: Request) -> DemoWorld:
    """One demo world per app, made on first use and renewed twice a day."""
    with _world_lock:
        current: DemoWorld | None = getattr(request.app.state, "age_demo", None)
        if current is None or dt.datetime.now(dt.UTC) - current.made > WORLD_TTL:
            current = build_world()
            request.app.state.age_demo = current
        return current


def site_origin(request: Request) -> str:
    """The origin this page is served from (what the website knows about itself)."""
    return str(request.base_url).rstrip("/")


def browser_origin(request: Request) -> str:
    """The origin the browser reports to the wallet (the Origin header of the form post)."""
    return request.headers.get("origin") or site_origin(request)


async def start_page(request: Request) -> HTMLResponse:
    return HTMLResponse(_page(_start()))


async def step(request: Request) -> HTMLResponse:
    """One form, four steps: ask (site), share or decline (wallet), send (browser to site)."""
    body = await request.body()
    form = {k: v[0] for k, v in parse_qs(body[:MAX_FORM].decode("utf-8", "replace")).items()}
    action = form.get("step", "")
    demo = await run_in_threadpool(world, request)  # key generation and issuing: off the loop
    if action == "ask":
        return HTMLResponse(_page(_asked(demo.site.ask(site_origin(request)))))
    if action == "share" and form.get("consent") == "yes":
        nonce = form.get("nonce", "")[:100]
        try:
            response = demo.wallet.answer(browser_origin(request), nonce, ELEMENT)
        except WalletError as exc:
            return HTMLResponse(_page(_start(f"The wallet could not answer: {exc}")))
        return HTMLResponse(_page(_shared(nonce, response)))
    if action == "share":
        return HTMLResponse(_page(_start("Nothing was shared: tick the box to agree first.")))
    if action == "send":
        try:
            response = base64.b64decode(form.get("response", ""), validate=True)
        except (binascii.Error, ValueError):
            response = b""
        at = dt.datetime.now(dt.UTC)
        return HTMLResponse(_page(_result(demo.site.check(form.get("nonce", ""), response, at))))
    if action == "decline":
        return HTMLResponse(_page(_start("You declined. The website received nothing.")))
    return HTMLResponse(_page(_start()))


# Plain Starlette routes: an HTML page, not part of the versioned API or its OpenAPI schema.
router.add_route(PATH, start_page, methods=["GET"], include_in_schema=False)
router.add_route(PATH, step, methods=["POST"], include_in_schema=False)


def _button(step_name: str, label: str, hidden: dict[str, str] | None = None,
            extra: str = "") -> str:  # fmt: skip
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
                     for k, v in (hidden or {}).items())  # fmt: skip
    return (f'<form method="post" action="{PATH}">{fields}{extra}'
            f'<button type="submit" name="step" value="{step_name}" autofocus>{escape(label)}'
            "</button></form>")  # fmt: skip


def _start(note: str = "") -> str:
    notice = f'<p role="status" class="note">{escape(note)}</p>' if note else ""
    return (
        f"{notice}<section aria-labelledby='site'><h2 id='site'>The website</h2>"
        "<p>A shop must check that you are 21 or older. It asks your wallet for that one fact "
        "and nothing else.</p>" + _button("ask", "Check my age (over 21)") + "</section>"
    )


def _asked(ask: AgeRequest) -> str:
    consent = ('<p><input type="checkbox" id="consent" name="consent" value="yes" required> '
               f'<label for="consent">Share "{escape(LABELS[ask.element])}" with '
               f"{escape(ask.origin)}</label></p>")  # fmt: skip
    return (
        "<section aria-labelledby='site'><h2 id='site'>The website asks</h2><dl>"
        f"<dt>Origin</dt><dd>{escape(ask.origin)}</dd><dt>Asks for</dt>"
        f"<dd>{escape(LABELS[ask.element])}</dd><dt>Nonce</dt><dd><code>{escape(ask.nonce)}"
        "</code></dd></dl></section>"
        "<section aria-labelledby='wallet'><h2 id='wallet'>Your wallet</h2>"
        f"<p>{escape(ask.origin)} asks whether you are <strong>over 21</strong>. Your name, "
        "birth date and licence number stay in the wallet.</p>"
        + _button("share", "Share", {"nonce": ask.nonce}, consent)
        + _button("decline", "Decline").replace(" autofocus", "")
        + "</section>"
    )


def _shared(nonce: str, response: bytes) -> str:
    encoded = base64.b64encode(response).decode()
    return (
        "<section aria-labelledby='wallet'><h2 id='wallet'>Your wallet answered</h2>"
        f"<p>A signed response of {len(response)} bytes, made for this site and nonce only, "
        "disclosing one element. Its credential is now spent.</p>"
        + _button("send", "Send to the website", {"nonce": nonce, "response": encoded})
        + "</section>"
    )


def _result(result: AgeResult) -> str:
    if not result.valid:
        return (
            "<section aria-labelledby='result'><h2 id='result'>The website's result</h2>"
            f'<p id="verdict" role="status">Not verified ({escape(result.check)}): '
            f"{escape(result.reason)}</p>" + _button("ask", "Try again") + "</section>"
        )
    items = "".join(
        f"<li>{escape(LABELS.get(name, name))}: {'yes' if value is True else 'no'}</li>"
        if isinstance(value, bool) else f"<li>{escape(name)}: (not an age answer)</li>"
        for name, value in result.disclosed.items()
    )  # fmt: skip
    return (
        "<section aria-labelledby='result'><h2 id='result'>The website's result</h2>"
        f'<p id="verdict" role="status">Verified: issued by {escape(result.issuer_state)}, '
        "checked offline against the trust list and status list fetched earlier.</p>"
        f'<h3>What the website received</h3><ul id="disclosed">{items}</ul>'
        "<p>Not received: name, birth date, licence number, address, photo.</p>"
        + _button("ask", "Check again")
        + "</section>"
    )


STYLE = """
body{font:1.05rem/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;
color:#1b1b1b;background:#fff}
section{border:1px solid #757575;border-radius:.5rem;padding:1rem;margin:1rem 0}
button{font:inherit;padding:.5rem 1rem;margin:.25rem 0;border:2px solid #1a4480;
background:#1a4480;color:#fff;border-radius:.25rem;cursor:pointer}
button:focus-visible,input:focus-visible{outline:3px solid #e5a000;outline-offset:2px}
input[type=checkbox]{width:1.25rem;height:1.25rem;vertical-align:middle}
.note{background:#f0f0f0;padding:.5rem}
dt{font-weight:bold}code{word-break:break-all}
"""


def _page(content: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Private age check (demo)</title><style>{STYLE}</style></head><body><main>"
        "<h1>Private age check (demo)</h1><p>A synthetic person and a synthetic state (ZZ). "
        "The website verifies offline; the hub and the issuer never hear of this check.</p>"
        f"{content}</main></body></html>"
    )
