"""Coverage-guided fuzzing (atheris/libFuzzer) of the mDL verifier's parse + verify entry point.

The property: for any bytes, ``lpx.mdl.verify`` returns a result or raises
``VerificationError`` with a named check; anything else (another exception type, or the
verifier's last-resort net firing, "unexpected structure ...") is a crash.

At start the harness makes a throwaway state PKI, a wallet and valid DeviceResponses (device
signature and device MAC, one and several elements), writes them as seeds into the corpus
directory, and verifies every input against the matching trust store, transcript, reader key
and status list, so mutations reach the deep checks and not only the CBOR decoder. Half of
the mutations are structure-aware (decode, replace or drop a node anywhere, including inside
tag-24 embedded CBOR, re-encode), half are libFuzzer's byte-level ones.

    .venv/bin/python fuzz/fuzz_mdl_verify.py -runs=200000 fuzz/corpus   # a long run
    .venv/bin/python fuzz/fuzz_mdl_verify.py -max_total_time=600 CORPUS_DIR

``LPX_FUZZ_CANARY=1`` makes every input that verifies count as a crash, so a test can show a
crash is actually reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import atheris
import cbor2

with atheris.instrument_imports(include=["lpx.mdl"]):
    from cryptography.hazmat.primitives.asymmetric import ec

    from lpx.mdl import (
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

STATUS_URI = "https://hub.lpx.example/v1/status-lists/CA"
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
TRANSCRIPT = web_session_transcript("https://bar.example", "fuzz")
READER = ec.generate_private_key(ec.SECP256R1())
CANARY = os.environ.get("LPX_FUZZ_CANARY") == "1"
DONORS: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64,
    1.5,
    b"",
    b"\0" * 32,
    "",
    "1.0",
    "SHA-256",
    dt.datetime(2000, 1, 1),  # naive: a tdate without a zone
    cbor2.CBORTag(18, [b"\xa1\x01\x26", {}, None, b"\0" * 64]),  # tagged COSE_Sign1
    cbor2.CBORTag(17, [b"\xa1\x01\x05", {}, None, b"\0" * 32]),  # tagged COSE_Mac0
]


def make_world(workdir: Path) -> tuple[TrustStore, StatusLists, list[bytes]]:
    """Trust store, status lists and valid seed responses, all from one fresh state PKI."""
    keys = make_state_pki("CA", workdir / "ca")
    trust = TrustStore.from_certificates([("CA", keys.iaca_certificate_der)])
    registry = StatusRegistry(workdir / "registry.json", size=1024)
    wallet = Wallet()
    person = Person.from_json(
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
    devices = wallet.new_device_keys(3)
    wallet.add(issue_batch(keys, person, devices, registry.allocate("h", 3), STATUS_URI, now=NOW))
    seeds = [
        wallet.present(["age_over_21"], TRANSCRIPT, at=NOW),
        wallet.present(["age_over_21"], TRANSCRIPT, at=NOW, reader_key=READER.public_key()),
        wallet.present(["age_over_18", "given_name", "birth_date"], TRANSCRIPT, at=NOW),
    ]
    status = StatusLists.load([build_status_list(keys, STATUS_URI, registry.bits())], trust, NOW)
    return trust, status, seeds


class Target:
    """The fuzz target: only ``VerificationError`` with a named check may escape."""

    def __init__(self, trust: TrustStore, status: StatusLists) -> None:
        self.trust, self.status = trust, status

    def verify(self, data: bytes) -> None:
        verify(data, TRANSCRIPT, self.trust, NOW, self.status, reader_key=READER)

    def __call__(self, data: bytes) -> None:
        try:
            self.verify(data)
        except VerificationError as exc:
            if exc.reason.startswith("unexpected structure"):
                raise AssertionError(f"verifier's last-resort net fired: {exc}") from exc
            return
        if CANARY:
            raise AssertionError("canary: an input verified")


def _children(node: Any) -> list[tuple[Any, Any]]:
    if isinstance(node, dict | cbor2.frozendict):
        return list(node.items())
    if isinstance(node, list | tuple):
        return list(enumerate(node))
    return []


def _positions(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path, descending into tag-24 embedded CBOR (marked ``"<24>"``)."""
    found = [path]
    for key, child in _children(node):
        found += _positions(child, (*path, key))
    if isinstance(node, cbor2.CBORTag) and node.tag == 24 and isinstance(node.value, bytes):
        with contextlib.suppress(Exception):
            found += _positions(cbor2.loads(node.value), (*path, "<24>"))
    return found


def _edit(node: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    head, rest = path[0], path[1:]
    if head == "<24>":
        inner = cbor2.loads(node.value)
        return cbor2.CBORTag(24, cbor2.dumps(_edit(inner, rest, value, delete) if rest else value))
    copy: Any = dict(node) if isinstance(node, dict | cbor2.frozendict) else list(node)
    if rest:
        copy[head] = _edit(copy[head], rest, value, delete)
    elif delete:
        del copy[head]
    else:
        copy[head] = value
    return copy


def mutate(data: bytes, max_size: int, seed: int) -> bytes:
    """Structure-aware CBOR mutation half of the time, libFuzzer's byte mutation otherwise."""
    rng = random.Random(seed)  # noqa: S311 - seeded by libFuzzer, not crypto
    if rng.random() < 0.5:
        return bytes(atheris.Mutate(data, max_size))
    try:
        tree = cbor2.loads(data)
        positions = [p for p in _positions(tree) if p]
        path = rng.choice(positions)
        donor = rng.choice([*DONORS, tree, cbor2.CBORTag(24, data[:64])])
        delete = rng.random() < 0.25
        return cbor2.dumps(_edit(tree, path, donor, delete))[:max_size]
    except Exception:  # undecodable or not a container: fall back to byte mutation
        return bytes(atheris.Mutate(data, max_size))


def main() -> None:
    corpus = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    with tempfile.TemporaryDirectory() as tmp:
        trust, status, seeds = make_world(Path(tmp))
        target = Target(trust, status)
        if corpus is None:
            corpus = str(Path(tmp) / "corpus")
            sys.argv.append(corpus)
        Path(corpus).mkdir(parents=True, exist_ok=True)
        for index, seed in enumerate(seeds):
            target.verify(seed)  # the seeds must be valid, or the fuzzer only scratches the surface
            (Path(corpus) / f"seed-{index}.cbor").write_bytes(seed)
        atheris.Setup(sys.argv, target, custom_mutator=mutate)
        atheris.Fuzz()


if __name__ == "__main__":
    main()
