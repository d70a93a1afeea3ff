"""Who a relying party trusts: the hub's signed list of state IACA roots, and chain checks.

The trust list plays the part of AAMVA's VICAL: CBOR ``{version, issued, entries: [{state,
iaca}]}`` signed as COSE_Sign1 by the hub's trust-list key. A relying party fetches it now and
then; verifying a presentation never touches the network. Chain results are cached per
document-signer certificate (only the validity window is re-checked per call), because a
state signs thousands of MSOs with one DS certificate and the chain is the costly part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import cbor, cose
from lpx.mdl.errors import VerificationError
from lpx.mdl.pki import MDL_DS_EKU

CHAIN = "issuer_chain"
TRUST_LIST = "trust_list"


@dataclass(frozen=True)
class Anchor:
    """A trusted IACA root (or, for test vectors, a pinned DS certificate)."""

    state: str
    der: bytes
    cert: x509.Certificate


@dataclass(frozen=True)
class Signer:
    """A DS key that chained to ``anchor``; valid only inside [not_before, not_after]."""

    key: ec.EllipticCurvePublicKey
    anchor: Anchor
    not_before: dt.datetime
    not_after: dt.datetime


@dataclass
class TrustStore:
    """Trust anchors, with chain results cached per DS certificate."""

    anchors: list[Anchor]
    issued: dt.datetime | None = None
    _cache: dict[bytes, Signer] = field(default_factory=dict, repr=False)

    @classmethod
    def from_certificates(cls, certs: Iterable[tuple[str, bytes]]) -> TrustStore:
        """Anchors from (state, DER) pairs; a bad certificate is a ``trust_list`` failure."""
        anchors = []
        for state, der in certs:
            try:  # touch the lazily parsed fields now, so later use cannot raise
                cert = x509.load_der_x509_certificate(der)
                _ = (
                    cert.subject,
                    list(cert.extensions),
                    cert.not_valid_after_utc,
                    cert.not_valid_before_utc,
                    cert.public_key(),
                )
                anchors.append(Anchor(state, der, cert))
            except Exception:
                raise VerificationError(TRUST_LIST, f"bad certificate for {state!r}") from None
        return cls(anchors)

    @classmethod
    def from_signed(cls, data: bytes, hub_public_key: ec.EllipticCurvePublicKey) -> TrustStore:
        """Parse a signed trust list; a bad signature or shape raises ``VerificationError``."""
        _, payload = cose.verify_sign1(cbor.loads(data, TRUST_LIST), hub_public_key, TRUST_LIST)
        body = cbor.as_map(cbor.loads(payload, TRUST_LIST), TRUST_LIST, "trust list")
        if body.get("version") != 1:
            cbor.fail(TRUST_LIST, "unsupported version")
        issued = cbor.as_tdate(body.get("issued"), TRUST_LIST, "issued")
        pairs = []
        for entry in cbor.as_list(body.get("entries"), TRUST_LIST, "entries"):
            entry = cbor.as_map(entry, TRUST_LIST, "entry")
            pairs.append(
                (
                    cbor.as_str(entry.get("state"), TRUST_LIST, "state"),
                    cbor.as_bytes(entry.get("iaca"), TRUST_LIST, "iaca"),
                )
            )
        store = cls.from_certificates(pairs)
        store.issued = issued
        return store

    def signer(self, x5chain: object, at: dt.datetime) -> Signer:
        """The DS key from an x5chain header, if it chains to an anchor and is valid at ``at``."""
        if isinstance(x5chain, list) and x5chain:
            x5chain = x5chain[0]  # leaf first; anchors issue the DS directly
        der = cbor.as_bytes(x5chain, CHAIN, "x5chain")
        signer = self._cache.get(der)
        if signer is None:
            signer = self._chain(der)
            self._cache[der] = signer
        if not signer.not_before <= at <= signer.not_after:
            cbor.fail(CHAIN, "certificate chain not valid at verification time")
        return signer

    def _chain(self, der: bytes) -> Signer:
        try:  # cryptography parses lazily and raises many types; touch every field here
            ds = x509.load_der_x509_certificate(der)
            key = ds.public_key()
            issuer, extensions = ds.issuer, list(ds.extensions)
            window = (ds.not_valid_before_utc, ds.not_valid_after_utc)
        except Exception:
            cbor.fail(CHAIN, "document signer certificate does not parse")
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            cbor.fail(CHAIN, "document signer key must be P-256")
        _check_ds_profile(extensions)
        for anchor in self.anchors:
            if anchor.der == der:  # a pinned DS certificate (e.g. the ISO Annex D vector)
                return Signer(key, anchor, *window)
        for anchor in self.anchors:
            if anchor.cert.subject != issuer or not _is_ca(anchor.cert):
                continue
            try:
                ds.verify_directly_issued_by(anchor.cert)
            except Exception:  # noqa: S112 - wrong key type, bad signature: try the next anchor
                continue
            return Signer(
                key,
                anchor,
                max(window[0], anchor.cert.not_valid_before_utc),
                min(window[1], anchor.cert.not_valid_after_utc),
            )
        cbor.fail(CHAIN, "document signer does not chain to a trusted IACA")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            return False
    except x509.ExtensionNotFound:
        return False
    try:
        return cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    except x509.ExtensionNotFound:
        return True


def _check_ds_profile(extensions: list[x509.Extension[x509.ExtensionType]]) -> None:
    """The DS must not be a CA and, where it says, is for signing mDL MSOs."""
    for ext in extensions:
        value: Any = ext.value
        if isinstance(value, x509.BasicConstraints) and value.ca:
            cbor.fail(CHAIN, "document signer must not be a CA")
        if isinstance(value, x509.KeyUsage) and not value.digital_signature:
            cbor.fail(CHAIN, "document signer lacks digitalSignature key usage")
        if isinstance(value, x509.ExtendedKeyUsage) and MDL_DS_EKU not in value:
            cbor.fail(CHAIN, "document signer lacks the mdlDS extended key usage")


def build_trust_list(
    entries: Iterable[tuple[str, bytes]],
    hub_key: ec.EllipticCurvePrivateKey,
    *,
    issued: dt.datetime | None = None,
) -> bytes:
    """The signed trust list the hub serves at ``GET /v1/trust-list``."""
    issued = (issued or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    body = {
        "version": 1,
        "issued": issued,
        "entries": [{"state": state, "iaca": der} for state, der in entries],
    }
    return cbor.dumps(cose.sign1(hub_key, cbor.dumps(body), {}))
