"""The holder's wallet: device keys, single-use credentials, selective disclosure.

A presentation discloses only the requested IssuerSignedItems (for an age check,
``age_over_21`` alone), signs the verifier's SessionTranscript with the credential's device
key, and spends the credential: its device key is wiped so it can never sign again, and
the next presentation uses a different MSO, salts and key.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cbor2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import cbor, cose
from lpx.mdl.issuer import DOCTYPE, NAMESPACE
from lpx.mdl.transcript import device_authentication_bytes, emac_key

EMPTY_DEVICE_NAMESPACES = cbor.dumps({})


class WalletError(Exception):
    """The wallet cannot answer: nothing valid left, or the element is not held."""


@dataclass
class StoredCredential:
    issuer_signed: bytes
    device_key: ec.EllipticCurvePrivateKey | None  # None once spent
    valid_from: dt.datetime
    valid_until: dt.datetime

    @property
    def spent(self) -> bool:
        return self.device_key is None


def _public_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


class Wallet:
    """Credentials and device keys; persisted as an owner-only JSON file."""

    def __init__(self) -> None:
        self.credentials: list[StoredCredential] = []
        self.pending: dict[bytes, ec.EllipticCurvePrivateKey] = {}

    def new_device_keys(self, count: int) -> list[ec.EllipticCurvePublicKey]:
        """Fresh P-256 device keys for a batch; only the public halves go to the issuer."""
        keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(count)]
        for key in keys:
            self.pending[_public_bytes(key.public_key())] = key
        return [key.public_key() for key in keys]

    def add(self, issued: Sequence[bytes]) -> None:
        """Store issued credentials, pairing each with the device key its MSO names."""
        for data in issued:
            mso = _mso(data)
            device_key = cose.decode_key(mso["deviceKeyInfo"]["deviceKey"], "wallet")
            private = self.pending.pop(_public_bytes(device_key), None)
            if private is None:
                raise WalletError("credential names a device key this wallet did not make")
            validity = mso["validityInfo"]
            self.credentials.append(
                StoredCredential(data, private, validity["validFrom"], validity["validUntil"])
            )

    def unspent(self, at: dt.datetime) -> list[StoredCredential]:
        return [c for c in self.credentials if not c.spent and c.valid_from <= at <= c.valid_until]

    def present(
        self,
        elements: Sequence[str],
        transcript: bytes,
        *,
        at: dt.datetime | None = None,
        reader_key: ec.EllipticCurvePublicKey | None = None,
    ) -> bytes:
        """A DeviceResponse disclosing ``elements`` only, bound to ``transcript``.

        With ``reader_key`` (the reader's ephemeral key) the device authenticates with a MAC,
        as proximity readers expect; otherwise with an ECDSA signature.
        """
        at = at or dt.datetime.now(dt.UTC)
        elements = list(dict.fromkeys(elements))  # a repeated ask discloses once
        usable = self.unspent(at)
        if not usable:
            raise WalletError("no unspent valid credential left; ask the state for a new batch")
        credential = usable[0]
        device_key = credential.device_key
        assert device_key is not None
        credential.device_key = None  # single use, whatever happens next
        issuer_signed = cbor2.loads(credential.issuer_signed)
        items = {
            cbor2.loads(item.value)["elementIdentifier"]: item
            for item in issuer_signed["nameSpaces"][NAMESPACE]
        }
        missing = [name for name in elements if name not in items]
        if missing:
            raise WalletError(f"credential does not hold {', '.join(missing)}")
        payload = device_authentication_bytes(transcript, DOCTYPE, EMPTY_DEVICE_NAMESPACES)
        device_auth: dict[str, Any]
        if reader_key is None:
            device_auth = {"deviceSignature": cose.sign1(device_key, payload, {}, detached=True)}
        else:
            device_auth = {
                "deviceMac": cose.mac0(emac_key(device_key, reader_key, transcript), payload)
            }
        document = {
            "docType": DOCTYPE,
            "issuerSigned": {
                "nameSpaces": {NAMESPACE: [items[name] for name in elements]},
                "issuerAuth": issuer_signed["issuerAuth"],
            },
            "deviceSigned": {
                "nameSpaces": cbor.tag24(EMPTY_DEVICE_NAMESPACES),
                "deviceAuth": device_auth,
            },
        }
        return cbor.dumps({"version": "1.0", "documents": [document], "status": 0})

    def save(self, path: Path) -> None:
        """Write owner-only: the file holds device private keys."""
        data = {
            "version": 1,
            "credentials": [
                {
                    "issuer_signed": base64.b64encode(c.issuer_signed).decode(),
                    "device_key": None
                    if c.device_key is None
                    else c.device_key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode(),
                }
                for c in self.credentials
            ],
        }
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)

    @classmethod
    def load(cls, path: Path) -> Wallet:
        wallet = cls()
        for entry in json.loads(path.read_text())["credentials"]:
            data = base64.b64decode(entry["issuer_signed"])
            key = None
            if entry["device_key"] is not None:
                loaded = serialization.load_pem_private_key(entry["device_key"].encode(), None)
                if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                    raise WalletError("device key must be EC P-256")
                key = loaded
            validity = _mso(data)["validityInfo"]
            wallet.credentials.append(
                StoredCredential(data, key, validity["validFrom"], validity["validUntil"])
            )
        return wallet


def _mso(issuer_signed: bytes) -> dict[str, Any]:
    """The MSO inside our own stored IssuerSigned (trusted input, parsed plainly)."""
    payload = cbor2.loads(issuer_signed)["issuerAuth"][2]
    mso: dict[str, Any] = cbor2.loads(cbor2.loads(payload).value)
    return mso
