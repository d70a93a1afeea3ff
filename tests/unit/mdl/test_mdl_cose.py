"""The COSE adapter: tags, algorithm rules, keys, exact protected bytes, and agreement with
an independent implementation (pycose) in both directions.

Forged structures below are signed *correctly* over their odd headers, so each rejection is
the header rule's doing, not an accidental bad signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from pycose.algorithms import HMAC256, Es256
from pycose.headers import Algorithm, X5chain
from pycose.keys.ec2 import EC2Key
from pycose.keys.symmetric import SymmetricKey
from pycose.messages.mac0message import Mac0Message
from pycose.messages.sign1message import Sign1Message

from lpx.mdl import VerificationError, cose

KEY = ec.generate_private_key(ec.SECP256R1())
MAC_KEY = secrets.token_bytes(32)
PAYLOAD = b"\xd8\x18\x45hello"
CERT = b"\x30\x03\x02\x01\x01"  # any bytes: x5chain is opaque to COSE
VECTORS = Path(__file__).parent / "vectors"


def signed(
    protected: bytes,
    unprotected: dict[Any, Any],
    payload: bytes | None = PAYLOAD,
    *,
    key: ec.EllipticCurvePrivateKey = KEY,
) -> list[Any]:
    """A COSE_Sign1 with a valid ES256 signature over whatever ``protected`` bytes say."""
    der = key.sign(cose.sig_structure(protected, PAYLOAD), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = (key.curve.key_size + 7) // 8
    return [protected, unprotected, payload, r.to_bytes(size, "big") + s.to_bytes(size, "big")]


def maced(protected: bytes, unprotected: dict[Any, Any]) -> list[Any]:
    data = cose.sig_structure(protected, PAYLOAD, "MAC0")
    return [protected, unprotected, None, hmac.new(MAC_KEY, data, hashlib.sha256).digest()]


def reason_of(call: Callable[[], object]) -> str:
    with pytest.raises(VerificationError) as caught:
        call()
    assert caught.value.check == "t"
    return caught.value.reason


def test_sign1_round_trip_attached_and_detached() -> None:
    attached = cose.sign1(KEY, PAYLOAD, {cose.X5CHAIN: CERT})
    assert attached[2] == PAYLOAD
    header, payload = cose.verify_sign1(attached, KEY.public_key(), "t")
    assert (header, payload) == ({cose.X5CHAIN: CERT}, PAYLOAD)
    detached = cose.sign1(KEY, PAYLOAD, {}, detached=True)
    assert detached[2] is None
    assert len(detached[3]) == 64
    assert cose.verify_sign1(detached, KEY.public_key(), "t", PAYLOAD)[1] == PAYLOAD


def test_detached_and_attached_payloads_are_not_interchangeable() -> None:
    detached = cose.sign1(KEY, PAYLOAD, {}, detached=True)
    attached = cose.sign1(KEY, PAYLOAD, {})
    assert "payload" in reason_of(lambda: cose.verify_sign1(detached, KEY.public_key(), "t"))
    assert "detached" in reason_of(
        lambda: cose.verify_sign1(attached, KEY.public_key(), "t", PAYLOAD)
    )
    assert "does not verify" in reason_of(
        lambda: cose.verify_sign1(detached, KEY.public_key(), "t", PAYLOAD + b"x")
    )


def test_matching_tag_is_accepted_other_tags_are_not() -> None:
    sign1 = cose.sign1(KEY, PAYLOAD, {cose.X5CHAIN: [CERT, CERT]})
    mac0 = cose.mac0(MAC_KEY, PAYLOAD)
    # from the wire, cbor2 6 hands a tag's content over as tuples and frozendicts
    wire = cbor2.loads(cbor2.dumps(cbor2.CBORTag(18, sign1)))
    assert isinstance(wire.value, tuple)
    header, _ = cose.verify_sign1(wire, KEY.public_key(), "t")
    assert header == {cose.X5CHAIN: [CERT, CERT]}
    cose.verify_mac0(cbor2.loads(cbor2.dumps(cbor2.CBORTag(17, mac0))), MAC_KEY, PAYLOAD, "t")
    for wrong in (17, 98, 24):
        tagged = cbor2.CBORTag(wrong, sign1)
        with pytest.raises(VerificationError, match="tag 18"):
            cose.verify_sign1(tagged, KEY.public_key(), "t")
    assert "tag 17" in reason_of(
        lambda: cose.verify_mac0(cbor2.CBORTag(18, mac0), MAC_KEY, PAYLOAD, "t")
    )


ES384 = cbor2.dumps({1: -35})


@pytest.mark.parametrize(
    ("protected", "unprotected", "reason"),
    [
        (ES384, {}, "algorithm must be ES256"),
        (cbor2.dumps({1: cose.HMAC256}), {}, "algorithm must be ES256"),
        (cbor2.dumps({1: "ES256"}), {}, "algorithm must be ES256"),
        (cbor2.dumps({4: b"kid"}), {}, "algorithm must be ES256"),
        (b"", {1: cose.ES256}, "protected header only"),  # alg only unprotected
        (cose.PROTECTED_ES256, {1: -35}, "protected header only"),
        (cbor2.dumps({1: -7, 2: [-65537]}), {-65537: 1}, "critical"),
        (cbor2.dumps({1: -7, 4: b"a"}), {4: b"b"}, "both protected and unprotected"),
        (cbor2.dumps([1, -7]), {}, "protected header must be a map"),
        (b"\xa1\x01", {}, "malformed CBOR"),
    ],
)
def test_header_rules(protected: bytes, unprotected: dict[Any, Any], reason: str) -> None:
    forged = signed(protected, unprotected)
    assert reason in reason_of(lambda: cose.verify_sign1(forged, KEY.public_key(), "t"))


def test_alg_mismatch_between_header_and_key() -> None:
    """An honest ES384 signature by a P-384 key is still not ES256, and a P-384 key cannot
    verify as ES256 even when the header claims ES256."""
    p384 = ec.generate_private_key(ec.SECP384R1())
    genuine_es384 = signed(ES384, {}, key=p384)
    assert "ES256" in reason_of(lambda: cose.verify_sign1(genuine_es384, p384.public_key(), "t"))
    claims_es256 = signed(cose.PROTECTED_ES256, {}, key=p384)
    assert "P-256" in reason_of(lambda: cose.verify_sign1(claims_es256, p384.public_key(), "t"))
    mac_as_sign = maced(cose.PROTECTED_HMAC256, {})
    assert "ES256" in reason_of(lambda: cose.verify_sign1(mac_as_sign, KEY.public_key(), "t"))
    sign_as_mac = signed(cose.PROTECTED_ES256, {}, None)
    assert "HMAC" in reason_of(lambda: cose.verify_mac0(sign_as_mac, MAC_KEY, PAYLOAD, "t"))


def test_wrong_key_is_rejected() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    sign1 = cose.sign1(KEY, PAYLOAD, {})
    assert "does not verify" in reason_of(lambda: cose.verify_sign1(sign1, other, "t"))
    mac0 = cose.mac0(MAC_KEY, PAYLOAD)
    assert "MAC does not verify" in reason_of(
        lambda: cose.verify_mac0(mac0, secrets.token_bytes(32), PAYLOAD, "t")
    )


@pytest.mark.parametrize(
    ("sign_protected", "mac_protected"),
    [
        # still {1: alg} when decoded, but not the bytes that were signed
        (b"\xa1\x01\x38\x06", b"\xa1\x01\x18\x05"),
        (cbor2.dumps({1: -7, 4: b"added"}), cbor2.dumps({1: 5, 4: b"added"})),
        (cbor2.dumps({1: -7, 33: CERT}), cbor2.dumps({1: 5, 33: CERT})),
    ],
)
def test_tampered_protected_header_is_rejected(sign_protected: bytes, mac_protected: bytes) -> None:
    sign1 = cose.sign1(KEY, PAYLOAD, {})
    sign1[0] = sign_protected
    assert "does not verify" in reason_of(lambda: cose.verify_sign1(sign1, KEY.public_key(), "t"))
    mac0 = cose.mac0(MAC_KEY, PAYLOAD)
    mac0[0] = mac_protected
    assert "MAC does not verify" in reason_of(lambda: cose.verify_mac0(mac0, MAC_KEY, PAYLOAD, "t"))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:3],
        lambda s: [*s, b""],
        lambda s: {"a": s},
        lambda s: [cbor2.loads(s[0]), *s[1:]],  # protected as a map, not bstr
        lambda s: [s[0], [], *s[2:]],
        lambda s: [*s[:3], s[3][:63]],
        lambda s: [*s[:3], s[3] + b"\0"],
        lambda s: [*s[:3], int.from_bytes(s[3], "big")],
        lambda s: [*s[:2], "text", s[3]],
    ],
)
def test_malformed_sign1_is_a_named_failure(mangle: Callable[[list[Any]], object]) -> None:
    bad = mangle(cose.sign1(KEY, PAYLOAD, {}))
    reason = reason_of(lambda: cose.verify_sign1(bad, KEY.public_key(), "t"))
    assert "unexpected" not in reason


def test_cose_key_round_trip_and_rejections() -> None:
    public = KEY.public_key()
    assert cose.decode_key(cose.encode_key(public), "t") == public
    encoded = cose.encode_key(public)
    bad_keys: list[object] = [
        {**encoded, -1: 2},
        {**encoded, 1: 1},
        {**encoded, -2: encoded[-2][:31]},
        {**encoded, -3: bytes(32)},  # not on the curve
        [],
    ]
    for bad in bad_keys:
        with pytest.raises(VerificationError):
            cose.decode_key(bad, "t")


# Agreement with pycose 1.1.0, an independent COSE implementation, used here as an oracle only:
# its pure-Python ECDSA is too slow and not constant time for the product (see cose.py), and its
# CoseMessage.decode cannot read cbor2 6's tuples, so structures are handed over untagged.


def pycose_ec2(key: ec.EllipticCurvePrivateKey, *, private: bool) -> EC2Key:
    numbers = key.private_numbers()
    return EC2Key(
        crv="P_256",
        x=numbers.public_numbers.x.to_bytes(32, "big"),
        y=numbers.public_numbers.y.to_bytes(32, "big"),
        d=numbers.private_value.to_bytes(32, "big") if private else b"",
    )


def test_pycose_verifies_what_we_sign() -> None:
    ours = cose.sign1(KEY, PAYLOAD, {cose.X5CHAIN: CERT})
    message = Sign1Message.from_cose_obj(list(ours), allow_unknown_attributes=True)
    message.key = pycose_ec2(KEY, private=False)
    assert message.verify_signature()
    assert message.uhdr[X5chain] == CERT
    detached = cose.sign1(KEY, PAYLOAD, {}, detached=True)
    message = Sign1Message.from_cose_obj(list(detached), allow_unknown_attributes=True)
    message.key = pycose_ec2(KEY, private=False)
    assert message.verify_signature(detached_payload=PAYLOAD)
    mac = Mac0Message.from_cose_obj(cose.mac0(MAC_KEY, PAYLOAD), allow_unknown_attributes=True)
    mac.payload = PAYLOAD  # pycose MACs the message's own payload; ours is detached
    mac.key = SymmetricKey(k=MAC_KEY)
    assert mac.verify_tag()


def test_we_verify_what_pycose_signs() -> None:
    message = Sign1Message(phdr={Algorithm: Es256}, uhdr={X5chain: CERT}, payload=PAYLOAD)
    message.key = pycose_ec2(KEY, private=True)
    theirs = cbor2.loads(message.encode(tag=False))
    assert cose.verify_sign1(theirs, KEY.public_key(), "t") == ({33: CERT}, PAYLOAD)
    message = Sign1Message(phdr={Algorithm: Es256}, payload=None)
    message.key = pycose_ec2(KEY, private=True)
    theirs = cbor2.loads(message.encode(tag=False, detached_payload=PAYLOAD))
    cose.verify_sign1(theirs, KEY.public_key(), "t", PAYLOAD)
    mac = Mac0Message(phdr={Algorithm: HMAC256}, payload=PAYLOAD)
    mac.key = SymmetricKey(k=MAC_KEY)
    theirs = cbor2.loads(mac.encode(tag=False))
    theirs[2] = None  # detach, as mdoc sends it
    cose.verify_mac0(theirs, MAC_KEY, PAYLOAD, "t")


def test_pycose_reads_the_annex_d_issuer_signature_as_we_do() -> None:
    response = bytes.fromhex((VECTORS / "annex_d_device_response.hex").read_text().strip())
    auth = cbor2.loads(response)["documents"][0]["issuerSigned"]["issuerAuth"]
    key = x509.load_der_x509_certificate(auth[1][33]).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    _, payload = cose.verify_sign1(auth, key, "t")
    message = Sign1Message.from_cose_obj(list(auth), allow_unknown_attributes=True)
    numbers = key.public_numbers()
    message.key = EC2Key(
        crv="P_256", x=numbers.x.to_bytes(32, "big"), y=numbers.y.to_bytes(32, "big")
    )
    assert message.verify_signature()
    assert message.payload == payload
