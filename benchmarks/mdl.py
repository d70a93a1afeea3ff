"""mDL issuance and verification throughput per core, against pymdoccbor in the same run.

Single process, and rates are per CPU-second of this process (``time.process_time``), so they
are per core and hold on a shared machine where wall time would count other work too; the
wall-clock rate is printed beside them. ``lpx`` issues with ``issue_batch`` (device keys
made beforehand, as the wallet makes them) and verifies each presentation with ``verify``
(chain, MSO signature, digests, validity, device signature, status list). The peer,
pymdoccbor 1.4.0, issues with ``MdocCborIssuer.new`` and verifies with ``MdocCbor.verify``
(issuer chain, MSO signature and digests only: it does not check device authentication,
validity or status), so its verify does less work. The script also feeds both verifiers the
same forged responses and reports which each rejects.

Target (issue): >= 1,000 verifications/s per core. Prints PASS/FAIL; never asserts.

    .venv/bin/python benchmarks/mdl.py --count 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import (
    NAMESPACE,
    Person,
    StatusLists,
    StatusRegistry,
    TrustStore,
    VerificationError,
    Wallet,
    build_status_list,
    issue_batch,
    make_state_pki,
    verify,
    web_session_transcript,
)
from lpx.mdl.pki import DS_KEY, load_private_key

URI = "https://hub.lpx.example/v1/status-lists/CA"
PERSON = Person.from_json(
    {
        "family_name": "Doe",
        "given_name": "Jane",
        "birth_date": "1990-05-01",
        "document_number": "CA1234567",
        "issuing_jurisdiction": "US-CA",
        "issue_date": "2024-01-02",
        "expiry_date": "2030-01-02",
    }
)


def rate(count: int, run: Callable[[], None]) -> tuple[float, float]:
    """Operations per CPU-second (per core) and per wall-clock second."""
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall)


def show(label: str, ours: tuple[float, float], peer: tuple[float, float] | None = None) -> str:
    cells = [f"{label:30}", f"{ours[0]:8.0f} ({ours[1]:5.0f})"]
    if peer is not None:
        cells.append(f"{peer[0]:8.0f} ({peer[1]:5.0f})")
    return " ".join(cells)


def peer_issuer(pki: Path) -> Callable[[ec.EllipticCurvePublicKey], object]:
    from pymdoccbor.mdoc.issuer import MdocCborIssuer

    key = load_private_key(pki / DS_KEY)
    cose_key = {
        "KTY": "EC2",
        "CURVE": "P_256",
        "ALG": "ES256",
        "KID": b"ds",
        "D": key.private_numbers().private_value.to_bytes(32, "big"),
    }
    data = {
        NAMESPACE: {
            k: v.isoformat() if isinstance(v, dt.date) else v
            for k, v in PERSON.elements(dt.date.today()).items()
        }
    }
    chain = [(pki / "ds_cert.pem").read_bytes()]

    def issue(device: ec.EllipticCurvePublicKey) -> object:
        numbers = device.public_numbers()
        issuer = MdocCborIssuer(private_key=cose_key, alg="ES256")
        return issuer.new(
            data=data,
            doctype="org.iso.18013.5.1.mDL",
            validity={"issuance_date": "2024-01-01", "expiry_date": "2030-01-01"},
            devicekeyinfo={
                "KTY": "EC2",
                "CURVE": "P_256",
                "X": numbers.x.to_bytes(32, "big"),
                "Y": numbers.y.to_bytes(32, "big"),
            },
            x509_chain=chain,
        )

    return issue


def peer_verify(data: bytes, roots: list[x509.Certificate]) -> bool:
    from pymdoccbor.mdoc.verifier import MdocCbor

    mdoc = MdocCbor()
    try:
        mdoc.loads(data)
        return bool(mdoc.verify(trusted_root_certs=roots))
    except Exception:
        return False


def forgeries(wallet: Wallet, transcript: bytes, now: dt.datetime) -> dict[str, bytes]:
    """Responses each verifier should reject, with the attack each models."""

    def edit(change: Callable[[dict[str, Any]], None]) -> bytes:
        response = cbor2.loads(wallet.present(["age_over_21"], transcript, at=now))
        change(response["documents"][0])
        return cbor2.dumps(response)

    def items(doc: dict[str, Any]) -> list[Any]:
        return doc["issuerSigned"]["nameSpaces"][NAMESPACE]  # type: ignore[no-any-return]

    def altered(doc: dict[str, Any]) -> None:
        item = cbor2.loads(items(doc)[0].value)
        item["elementValue"] = False
        items(doc)[0] = cbor2.CBORTag(24, cbor2.dumps(item))

    def extra(doc: dict[str, Any]) -> None:
        item = {
            "digestID": 999,
            "random": secrets.token_bytes(32),
            "elementIdentifier": "age_over_65",
            "elementValue": True,
        }
        items(doc).append(cbor2.CBORTag(24, cbor2.dumps(item)))

    def unsigned_ns(doc: dict[str, Any]) -> None:
        item = {
            "digestID": 1,
            "random": secrets.token_bytes(32),
            "elementIdentifier": "x",
            "elementValue": True,
        }
        doc["issuerSigned"]["nameSpaces"]["org.example"] = [cbor2.CBORTag(24, cbor2.dumps(item))]

    return {
        "altered element value": edit(altered),
        "element outside the digests": edit(extra),
        "element in an unsigned namespace": edit(unsigned_ns),
        "doctype mismatch": edit(lambda d: d.update(docType="org.example.other")),
        "missing device signature": edit(lambda d: d["deviceSigned"].update(deviceAuth={})),
        "replay to another origin": wallet.present(
            ["age_over_21"], web_session_transcript("https://evil.example", "n"), at=now
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--peer-count", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("pymdoccbor").setLevel(logging.CRITICAL)
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp) / "ca"
        keys = make_state_pki("CA", pki)
        trust = TrustStore.from_certificates([("CA", keys.iaca_certificate_der)])
        roots = [x509.load_der_x509_certificate(keys.iaca_certificate_der)]
        registry = StatusRegistry(Path(tmp) / "reg.json")
        wallet = Wallet()
        devices = wallet.new_device_keys(args.count + 16)
        indices = registry.allocate("jane", len(devices))
        issued: list[bytes] = []
        issue_rate = rate(
            args.count,
            lambda: issued.extend(
                issue_batch(
                    keys, PERSON, devices[: args.count], indices[: args.count], URI, now=now
                )
            ),
        )
        issued += issue_batch(
            keys, PERSON, devices[args.count :], indices[args.count :], URI, now=now
        )
        wallet.add(issued)
        transcript = web_session_transcript("https://bar.example", "bench")
        responses = [wallet.present(["age_over_21"], transcript, at=now) for _ in range(args.count)]
        status = StatusLists.load([build_status_list(keys, URI, registry.bits())], trust, now)

        def verify_all(lists: StatusLists | None) -> Callable[[], None]:
            def run() -> None:
                for response in responses:
                    verify(response, transcript, trust, now, lists)

            return run

        verify_rate = rate(args.count, verify_all(None))
        verify_status_rate = rate(args.count, verify_all(status))

        peer_issue = peer_issuer(pki)
        peer_devices = devices[: args.peer_count]
        peer_issue_rate = rate(len(peer_devices), lambda: [peer_issue(d) for d in peer_devices])
        sample = responses[: args.peer_count]
        ok = [peer_verify(r, roots) for r in sample[:3]]
        peer_verify_rate = rate(len(sample), lambda: [peer_verify(r, roots) for r in sample])

        print(f"{'per CPU-second (per wall second)':30} {'lpx':>16} {'pymdoccbor':>16}")
        print(show("credentials issued/s", issue_rate, peer_issue_rate))
        print(
            show("presentations verified/s", verify_rate, peer_verify_rate)
            + f"   (peer accepted honest: {all(ok)}; checks less, see docstring)"
        )
        print(show("  ... with status list check", verify_status_rate))
        verdict = "PASS" if min(verify_rate[0], verify_status_rate[0]) >= 1000 else "FAIL"
        print(f"target >= 1,000 verifications/s per core: {verdict}")
        print("\nforged response                     lpx rejects   pymdoccbor rejects")
        for name, data in forgeries(wallet, transcript, now).items():
            try:
                verify(data, transcript, trust, now)
                ours = "no"
            except VerificationError as exc:
                ours = f"yes ({exc.check})"
            theirs = "yes" if not peer_verify(data, roots) else "NO"
            print(f"{name:35} {ours:22} {theirs}")


if __name__ == "__main__":
    main()
