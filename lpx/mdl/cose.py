"""The COSE (RFC 9052) that mdoc needs, as one thin adapter: ES256 COSE_Sign1 (attached or
detached payload, x5chain in the unprotected header), HMAC 256/256 COSE_Mac0 and EC2 P-256
COSE_Key. Every COSE operation in ``lpx.mdl`` goes through this module.

The primitives are ``cryptography``'s (OpenSSL): ECDSA P-256/SHA-256 and HMAC-SHA-256.
Neither maintained COSE library can carry them here (docs/mdl.md, "Why the COSE layer is
our own"): ``cwt`` 3.3.0 declares ``cbor2<6`` while the verifier needs cbor2 6's duplicate-key
rejection, and ``pycose`` 1.1.0 signs with pure-Python ``ecdsa`` (not constant time, about
230 verifications/s) and compares MAC tags with ``==``. ``tests/unit/mdl/test_mdl_cose.py``
checks this module against pycose in both directions.

Verification applies the header rules an attacker could otherwise bend: the algorithm must
be in the protected header and be the one expected for the key (no ``alg`` downgrade or
confusion), no label in both buckets, no ``crit`` we would silently ignore, the matching
COSE tag or none, and the signature is checked over the protected header's exact bytes.
Signatures are raw ``r || s`` (64 bytes) as COSE requires, not DER.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import cbor2
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
CRIT = 2
ES256 = -7
HMAC256 = 5
X5CHAIN = 33
SIGN1_TAG = 18
MAC0_TAG = 17
PROTECTED_ES256 = cbor.dumps({ALG: ES256})
PROTECTED_HMAC256 = cbor.dumps({ALG: HMAC256})
_PROTECTED = {ES256: PROTECTED_ES256, HMAC256: PROTECTED_HMAC256}
_ALG_NAMES = {ES256: "ES256", HMAC256: "HMAC 256/256"}
_ECDSA = ec.ECDSA(hashes.SHA256())


def sig_structure(protected: bytes, payload: bytes, context: str = "Signature1") -> bytes:
    """``Sig_structure`` / ``MAC_structure`` with empty external_aad (mdoc uses none)."""
    return cbor.dumps([context, protected, b"", payload])


def sign1(
    key: ec.EllipticCurvePrivateKey,
    payload: bytes,
    unprotected: dict[int, Any],
    *,
    detached: bool = False,
) -> list[Any]:
    """An untagged ES256 COSE_Sign1; ``detached`` leaves the payload out (nil), as mdoc
    device authentication does, while the signature still covers it."""
    r, s = decode_dss_signature(key.sign(sig_structure(PROTECTED_ES256, payload), _ECDSA))
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return [PROTECTED_ES256, unprotected, None if detached else payload, signature]


def verify_sign1(
    cose: object, key: ec.EllipticCurvePublicKey, check: str, detached_payload: bytes | None = None
) -> tuple[dict[Any, Any], bytes]:
    """Check an ES256 COSE_Sign1 (untagged or tag 18); return (unprotected header, payload)."""
    protected, unprotected, payload, signature = parts(cose, check, SIGN1_TAG)
    _check_headers(protected, unprotected, ES256, check)
    if not isinstance(key.curve, ec.SECP256R1):
        cbor.fail(check, "ES256 needs a P-256 key")
    payload = _payload(payload, detached_payload, check)
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


def mac0(key: bytes, detached_payload: bytes) -> list[Any]:
    """An untagged COSE_Mac0 (HMAC 256/256) with detached payload, as mdoc device MAC uses."""
    tag = hmac.new(
        key, sig_structure(PROTECTED_HMAC256, detached_payload, "MAC0"), hashlib.sha256
    ).digest()
    return [PROTECTED_HMAC256, {}, None, tag]


def verify_mac0(cose: object, key: bytes, detached_payload: bytes, check: str) -> None:
    """Check a detached HMAC 256/256 COSE_Mac0 (untagged or tag 17), in constant time."""
    protected, unprotected, payload, tag = parts(cose, check, MAC0_TAG)
    _check_headers(protected, unprotected, HMAC256, check)
    payload = _payload(payload, detached_payload, check)
    tag = cbor.as_bytes(tag, check, "MAC tag")
    expected = hmac.new(key, sig_structure(protected, payload, "MAC0"), hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        cbor.fail(check, "MAC does not verify")


def parts(
    cose: object, check: str, tag: int = SIGN1_TAG
) -> tuple[bytes, dict[Any, Any], object, object]:
    """Shape check shared by Sign1 and Mac0: [bstr protected, map, payload, bstr].

    RFC 9052 lets a context omit the tag (mdoc does); a tag, if present, must be the one for
    this structure, so a MAC can never be read as a signature or the other way round.
    """
    if isinstance(cose, cbor2.CBORTag):
        if cose.tag != tag:
            cbor.fail(check, f"COSE structure must be untagged or carry tag {tag}")
        cose = _thawed(cose.value)
    items = cbor.as_list(cose, check, "COSE structure")
    if len(items) != 4:
        cbor.fail(check, "COSE structure must have 4 elements")
    protected = cbor.as_bytes(items[0], check, "protected header")
    unprotected = cbor.as_map(items[1], check, "unprotected header")
    return protected, unprotected, items[2], items[3]


def _thawed(value: object) -> object:
    """cbor2 6 decodes a tag's content as tuples and frozendicts; read them as arrays and maps
    (depth is bounded by the decoder's ``MAX_DEPTH``)."""
    if isinstance(value, tuple):
        return [_thawed(item) for item in value]
    if isinstance(value, cbor2.frozendict):
        return {key: _thawed(item) for key, item in value.items()}
    return value


def _check_headers(protected: bytes, unprotected: dict[Any, Any], alg: int, check: str) -> None:
    """The algorithm is protected and the expected one; nothing critical goes unread."""
    if CRIT in unprotected or ALG in unprotected:
        cbor.fail(check, "alg and crit belong in the protected header only")
    if protected == _PROTECTED[alg]:  # fast path: the usual {1: alg} needs no parsing
        return
    if not protected:
        cbor.fail(check, f"algorithm must be {_ALG_NAMES[alg]} (protected header is empty)")
    header = cbor.as_map(cbor.loads(protected, check), check, "protected header")
    if header.get(ALG) != alg:
        cbor.fail(check, f"algorithm must be {_ALG_NAMES[alg]}")
    if CRIT in header:
        cbor.fail(check, "critical header parameters are not supported")
    if not header.keys().isdisjoint(unprotected):
        cbor.fail(check, "a header label is both protected and unprotected")


def _payload(attached: object, detached: bytes | None, check: str) -> bytes:
    """The payload to authenticate: the caller's own when it must be detached."""
    if detached is None:
        return cbor.as_bytes(attached, check, "payload")
    if attached is not None:
        cbor.fail(check, "payload must be detached")
    return detached


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
