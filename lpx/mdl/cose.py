"""The small slice of COSE (RFC 9052) that mdoc needs: ES256 COSE_Sign1, HMAC-256 COSE_Mac0
and EC2 P-256 COSE_Key, written over ``cryptography`` so the hot path stays in OpenSSL.

Signatures are raw ``r || s`` (64 bytes) as COSE requires, not DER.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from lpx.mdl import cbor
from lpx.mdl.errors import VerificationError

ALG = 1
ES256 = -7
HMAC256 = 5
X5CHAIN = 33
PROTECTED_ES256 = cbor.dumps({ALG: ES256})
PROTECTED_HMAC256 = cbor.dumps({ALG: HMAC256})
_ECDSA = ec.ECDSA(hashes.SHA256())


def sig_structure(protected: bytes, payload: bytes, context: str = "Signature1") -> bytes:
    """``Sig_structure`` / ``MAC_structure`` with empty external_aad."""
    return cbor.dumps([context, protected, b"", payload])


def sign1(
    key: ec.EllipticCurvePrivateKey,
    payload: bytes,
    unprotected: dict[int, Any],
    *,
    detached: bool = False,
) -> list[Any]:
    """A COSE_Sign1 array; ``detached`` leaves the payload out (nil) as device auth does."""
    signature = raw_signature(key.sign(sig_structure(PROTECTED_ES256, payload), _ECDSA))
    return [PROTECTED_ES256, unprotected, None if detached else payload, signature]


def raw_signature(der: bytes) -> bytes:
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def verify_sign1(
    cose: object, key: ec.EllipticCurvePublicKey, check: str, detached_payload: bytes | None = None
) -> tuple[dict[Any, Any], bytes]:
    """Check an ES256 COSE_Sign1; return (unprotected header, payload)."""
    protected, unprotected, payload, signature = parts(cose, check)
    if protected != PROTECTED_ES256:  # fast path: the usual {1: -7} needs no parsing
        header = cbor.as_map(cbor.loads(protected, check), check, "protected header")
        if header.get(ALG) != ES256:
            cbor.fail(check, "algorithm must be ES256")
    if detached_payload is not None:
        if payload is not None:
            cbor.fail(check, "payload must be detached")
        payload = detached_payload
    payload = cbor.as_bytes(payload, check, "payload")
    signature = cbor.as_bytes(signature, check, "signature")
    if len(signature) != 64:
        cbor.fail(check, "ES256 signature must be 64 bytes")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        key.verify(der, sig_structure(protected, payload), _ECDSA)
    except InvalidSignature:
        raise VerificationError(check, "signature does not verify") from None
    return unprotected, payload


def parts(cose: object, check: str) -> tuple[bytes, dict[Any, Any], object, object]:
    """Shape check shared by Sign1 and Mac0: [bstr protected, map, payload, bstr]."""
    items = cbor.as_list(cose, check, "COSE structure")
    if len(items) != 4:
        cbor.fail(check, "COSE structure must have 4 elements")
    protected = cbor.as_bytes(items[0], check, "protected header")
    unprotected = cbor.as_map(items[1], check, "unprotected header")
    return protected, unprotected, items[2], items[3]


def mac0(key: bytes, detached_payload: bytes) -> list[Any]:
    """COSE_Mac0 (HMAC 256/256) with detached payload, as mdoc device MAC uses."""
    tag = hmac.new(
        key, sig_structure(PROTECTED_HMAC256, detached_payload, "MAC0"), hashlib.sha256
    ).digest()
    return [PROTECTED_HMAC256, {}, None, tag]


def verify_mac0(cose: object, key: bytes, detached_payload: bytes, check: str) -> None:
    protected, _, payload, tag = parts(cose, check)
    header = cbor.as_map(cbor.loads(protected, check), check, "protected header")
    if header.get(ALG) != HMAC256:
        cbor.fail(check, "algorithm must be HMAC 256/256")
    if payload is not None:
        cbor.fail(check, "payload must be detached")
    tag = cbor.as_bytes(tag, check, "MAC tag")
    expected = hmac.new(
        key, sig_structure(protected, detached_payload, "MAC0"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(tag, expected):
        cbor.fail(check, "MAC does not verify")


def encode_key(key: ec.EllipticCurvePublicKey) -> dict[int, Any]:
    """EC2 P-256 COSE_Key (kty 2, crv 1)."""
    numbers = key.public_numbers()
    return {1: 2, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}


def decode_key(value: object, check: str) -> ec.EllipticCurvePublicKey:
    """Parse an EC2 P-256 COSE_Key; the point is validated on the curve by OpenSSL."""
    key = cbor.as_map(value, check, "COSE_Key")
    if key.get(1) != 2 or key.get(-1) != 1:
        cbor.fail(check, "device key must be EC2 P-256")
    x = cbor.as_bytes(key.get(-2), check, "key x")
    y = cbor.as_bytes(key.get(-3), check, "key y")
    if len(x) != 32 or len(y) != 32:
        cbor.fail(check, "key coordinates must be 32 bytes")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError:
        raise VerificationError(check, "key is not a point on P-256") from None
