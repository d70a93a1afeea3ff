"""Verify a DeviceResponse offline: a pure function of bytes, trust anchors, time and lists.

Checks, in order (each failure names its ``check``): CBOR structure (``cbor``), the document
signer chain (``issuer_chain``), the MSO signature (``mso_signature``) and shape (``mso``),
doctype (``doctype``), validity window (``validity``), every disclosed element's salted digest
(``digest``), device authentication over *this* verifier's SessionTranscript
(``device_auth``: ECDSA signature, or HMAC with a key agreed with the reader's ephemeral key)
and revocation (``status``). Only a response that passes all of them yields its elements.
Nothing here touches the network, the clock or global state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import cbor, cose
from lpx.mdl.errors import VerificationError
from lpx.mdl.status import StatusLists
from lpx.mdl.transcript import device_authentication_bytes, emac_key, normalize
from lpx.mdl.trust import TrustStore

STRUCT, MSO, DIGEST, DEVICE = "cbor", "mso", "digest", "device_auth"
MIN_SALT = 16


@dataclass(frozen=True)
class VerifiedDocument:
    """What a verified presentation proves: issuer-signed elements and who vouched for them."""

    doctype: str
    issuer_state: str
    elements: dict[str, dict[str, Any]]
    valid_from: dt.datetime
    valid_until: dt.datetime
    device_auth: str  # "signature" or "mac"

    def age_over(self, years: int, namespace: str = "org.iso.18013.5.1") -> bool | None:
        """The disclosed ``age_over_NN`` (None if not disclosed: ask again, never assume)."""
        value = self.elements.get(namespace, {}).get(f"age_over_{years:02d}")
        return value if isinstance(value, bool) else None


def verify(
    device_response: bytes,
    session_transcript: bytes,
    trust: TrustStore,
    at: dt.datetime,
    status: StatusLists | None = None,
    reader_key: ec.EllipticCurvePrivateKey | None = None,
) -> VerifiedDocument:
    """Verify one-document ``device_response`` for ``session_transcript`` at time ``at``.

    ``session_transcript`` is the verifier's own (SessionTranscript or its tag-24 bytes),
    never one taken from the response. ``status`` of None skips revocation on purpose;
    ``reader_key`` is the reader's ephemeral private key, needed only for device MAC.
    Raises :class:`VerificationError` and nothing else.
    """
    if at.tzinfo is None:
        raise VerificationError("usage", "verification time must carry a time zone")
    try:
        return _verify(device_response, session_transcript, trust, at, status, reader_key)
    except VerificationError:
        raise
    except Exception as exc:  # a defect, but never let a malformed input escape as a crash
        raise VerificationError(STRUCT, f"unexpected structure ({type(exc).__name__})") from None


def _verify(
    data: bytes,
    transcript_in: bytes,
    trust: TrustStore,
    at: dt.datetime,
    status: StatusLists | None,
    reader_key: ec.EllipticCurvePrivateKey | None,
) -> VerifiedDocument:
    transcript = normalize(transcript_in)
    response = cbor.as_map(cbor.loads(data, STRUCT), STRUCT, "DeviceResponse")
    version = cbor.as_str(cbor.get(response, "version", STRUCT, "version"), STRUCT, "version")
    if not version.startswith("1."):
        cbor.fail(STRUCT, f"unsupported DeviceResponse version {version[:16]!r}")
    if response.get("status") != 0:
        cbor.fail(STRUCT, "DeviceResponse status is not OK (0)")
    documents = cbor.as_list(response.get("documents"), STRUCT, "documents")
    if len(documents) != 1:
        cbor.fail(STRUCT, "expected exactly one document")
    document = cbor.as_map(documents[0], STRUCT, "document")
    doctype = cbor.as_str(cbor.get(document, "docType", STRUCT, "docType"), STRUCT, "docType")
    issuer_signed = cbor.as_map(document.get("issuerSigned"), STRUCT, "issuerSigned")
    if not set(issuer_signed) <= {"nameSpaces", "issuerAuth"}:
        cbor.fail(STRUCT, "unknown field in issuerSigned")
    device_signed = cbor.as_map(document.get("deviceSigned"), STRUCT, "deviceSigned")

    # Issuer: chain, then MSO signature.
    issuer_auth = issuer_signed.get("issuerAuth")
    protected, unprotected, _, _ = cose.parts(issuer_auth, STRUCT)
    x5chain = unprotected.get(cose.X5CHAIN)
    if x5chain is None:
        header = cbor.as_map(cbor.loads(protected, STRUCT), STRUCT, "protected header")
        x5chain = header.get(cose.X5CHAIN)
    signer = trust.signer(x5chain, at)
    _, payload = cose.verify_sign1(issuer_auth, signer.key, "mso_signature")
    mso = cbor.as_map(
        cbor.loads(cbor.as_tag24(cbor.loads(payload, MSO), MSO, "MobileSecurityObjectBytes"), MSO),
        MSO,
        "MobileSecurityObject",
    )
    if mso.get("version") != "1.0" or mso.get("digestAlgorithm") != "SHA-256":
        cbor.fail(MSO, "unsupported MSO version or digest algorithm")
    if mso.get("docType") != doctype:
        cbor.fail("doctype", "document docType differs from the MSO's")
    validity = cbor.as_map(mso.get("validityInfo"), MSO, "validityInfo")
    valid_from = cbor.as_tdate(validity.get("validFrom"), MSO, "validFrom")
    valid_until = cbor.as_tdate(validity.get("validUntil"), MSO, "validUntil")
    signed = cbor.as_tdate(validity.get("signed"), MSO, "signed")
    if not valid_from <= at <= valid_until:
        cbor.fail("validity", "MSO is expired or not yet valid")
    if not signer.not_before <= signed <= signer.not_after:
        cbor.fail("validity", "MSO signed outside the document signer's validity")
    device_info = cbor.as_map(mso.get("deviceKeyInfo"), MSO, "deviceKeyInfo")
    device_key = cose.decode_key(device_info.get("deviceKey"), MSO)

    elements = _disclosed(
        issuer_signed.get("nameSpaces", {}),
        cbor.as_map(mso.get("valueDigests"), MSO, "valueDigests"),
    )

    # Device: authenticates this verifier's transcript with the key the issuer signed.
    device_namespaces = cbor.as_tag24(
        device_signed.get("nameSpaces"), STRUCT, "DeviceNameSpacesBytes"
    )
    if device_namespaces != b"\xa0":  # the usual empty map needs no parsing
        cbor.as_map(cbor.loads(device_namespaces, STRUCT), STRUCT, "DeviceNameSpaces")
    device_auth = cbor.as_map(device_signed.get("deviceAuth"), DEVICE, "deviceAuth")
    payload = device_authentication_bytes(transcript, doctype, device_namespaces)
    if "deviceSignature" in device_auth:
        cose.verify_sign1(device_auth["deviceSignature"], device_key, DEVICE, payload)
        method = "signature"
    elif "deviceMac" in device_auth:
        if reader_key is None:
            cbor.fail(DEVICE, "device MAC needs the reader's ephemeral key")
        key = emac_key(reader_key, device_key, transcript)
        cose.verify_mac0(device_auth["deviceMac"], key, payload, DEVICE)
        method = "mac"
    else:
        cbor.fail(DEVICE, "missing device signature or MAC")

    if status is not None:
        reference = mso.get("status")
        if not isinstance(reference, dict) or not isinstance(reference.get("status_list"), dict):
            cbor.fail("status", "credential carries no status reference")
        entry = reference["status_list"]
        status.check(
            cbor.as_str(entry.get("uri"), "status", "uri"),
            cbor.as_int(entry.get("idx"), "status", "idx"),
            signer.anchor,
            at,
        )
    return VerifiedDocument(doctype, signer.anchor.state, elements, valid_from, valid_until, method)


def _disclosed(namespaces: object, value_digests: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    """Elements whose salted digest the MSO lists under the same namespace and digestID."""
    out: dict[str, dict[str, Any]] = {}
    for namespace, items in cbor.as_map(namespaces, STRUCT, "nameSpaces").items():
        namespace = cbor.as_str(namespace, STRUCT, "namespace")
        signed = value_digests.get(namespace)
        if not isinstance(signed, dict):
            cbor.fail(DIGEST, f"namespace {namespace[:64]!r} is not in the MSO")
        found: dict[str, Any] = {}
        for item_tag in cbor.as_list(items, STRUCT, "IssuerSignedItems"):
            raw = cbor.as_tag24(item_tag, STRUCT, "IssuerSignedItemBytes")
            item = cbor.as_map(cbor.loads(raw, STRUCT), STRUCT, "IssuerSignedItem")
            digest_id = cbor.as_int(item.get("digestID"), STRUCT, "digestID")
            salt = cbor.as_bytes(item.get("random"), STRUCT, "random")
            name = cbor.as_str(item.get("elementIdentifier"), STRUCT, "elementIdentifier")
            if "elementValue" not in item or len(item) != 4:
                cbor.fail(STRUCT, "IssuerSignedItem must have exactly its four fields")
            if len(salt) < MIN_SALT:
                cbor.fail(DIGEST, "salt too short to hide the value")
            expected = signed.get(digest_id)
            actual = hashlib.sha256(cbor.tag24_bytes(raw)).digest()
            if not isinstance(expected, bytes) or not hmac.compare_digest(expected, actual):
                cbor.fail(DIGEST, f"element {name[:64]!r} does not match its MSO digest")
            if name in found:
                cbor.fail(STRUCT, f"element {name[:64]!r} disclosed twice")
            found[name] = item["elementValue"]
        out[namespace] = found
    return out
