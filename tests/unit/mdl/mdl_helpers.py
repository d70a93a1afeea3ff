"""Shared test data for the mDL tests (a uniquely named module, imported by the tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import (
    FileIssuerKeys,
    Person,
    StatusLists,
    StatusRegistry,
    TrustStore,
    Wallet,
    build_status_list,
    issue_batch,
)

ORIGIN = "https://bar.example"
NONCE = "n-0S6_WzA2Mj"
STATUS_URI = "https://hub.lpx.example/v1/status-lists/CA"
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


@dataclass
class World:
    ca: FileIssuerKeys
    ny: FileIssuerKeys
    ca_dir: Path
    hub_key: ec.EllipticCurvePrivateKey
    now: dt.datetime

    def trust(self) -> TrustStore:
        return TrustStore.from_certificates(
            [("CA", self.ca.iaca_certificate_der), ("NY", self.ny.iaca_certificate_der)]
        )

    def wallet(
        self,
        count: int = 3,
        *,
        now: dt.datetime | None = None,
        registry: StatusRegistry | None = None,
        holder: str = "h1",
    ) -> Wallet:
        wallet = Wallet()
        registry = registry or StatusRegistry(Path("/nonexistent/reg.json"), size=4096)
        issued = issue_batch(
            self.ca,
            PERSON,
            wallet.new_device_keys(count),
            registry.allocate(holder, count),
            STATUS_URI,
            now=now or self.now,
        )
        wallet.add(issued)
        return wallet

    def status(
        self,
        registry: StatusRegistry,
        keys: FileIssuerKeys | None = None,
        *,
        trust: TrustStore | None = None,
    ) -> StatusLists:
        signed = build_status_list(keys or self.ca, STATUS_URI, registry.bits(), issued=self.now)
        return StatusLists.load([signed], trust or self.trust(), self.now)


Tamper = Callable[[bytes, Callable[[dict[str, Any]], None]], bytes]


def tamper(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """Decode a response, let the test edit its first document in place, re-encode."""
    response = cbor2.loads(data)
    change(response["documents"][0])
    return cbor2.dumps(response)


def items_of(document: dict[str, Any]) -> list[cbor2.CBORTag]:
    items: list[cbor2.CBORTag] = document["issuerSigned"]["nameSpaces"]["org.iso.18013.5.1"]
    return items
