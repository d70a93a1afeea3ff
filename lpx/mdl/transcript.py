"""SessionTranscript and the bytes the device authenticates, per ISO/IEC 18013-5 9.1.3.

For the online age check we use the OpenID4VP (1.0, Appendix B) Digital Credentials API
handover, the 18013-7 style web flow::

    SessionTranscript = [null, null, ["OpenID4VPDCAPIHandover",
                                      SHA-256(CBOR [origin, nonce, jwkThumbprint / null])]]

DeviceEngagement and EReaderKey are null because there is no proximity engagement; the
handover binds the website's origin (as the browser reports it, so a phishing site cannot
relay) and the verifier's fresh nonce. A signature made for one origin or nonce therefore
fails at any other. Proximity transcripts (e.g. ISO Annex D) are accepted as opaque bytes.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from lpx.mdl import cbor

TRANSCRIPT = "session_transcript"
DC_API_HANDOVER = "OpenID4VPDCAPIHandover"


def web_session_transcript(origin: str, nonce: str, jwk_thumbprint: bytes | None = None) -> bytes:
    """The encoded SessionTranscript for a web presentation to ``origin`` with ``nonce``."""
    info = hashlib.sha256(cbor.dumps([origin, nonce, jwk_thumbprint])).digest()
    return cbor.dumps([None, None, [DC_API_HANDOVER, info]])


def normalize(data: bytes) -> bytes:
    """Accept SessionTranscript or SessionTranscriptBytes (tag 24); return the former."""
    value = cbor.loads(data, TRANSCRIPT)
    if isinstance(value, list):
        raw = bytes(data)
    else:
        raw = cbor.as_tag24(value, TRANSCRIPT, "SessionTranscriptBytes")
        value = cbor.loads(raw, TRANSCRIPT)
    if len(cbor.as_list(value, TRANSCRIPT, "SessionTranscript")) != 3:
        cbor.fail(TRANSCRIPT, "SessionTranscript must have 3 elements")
    return raw


def device_authentication_bytes(transcript: bytes, doctype: str, device_namespaces: bytes) -> bytes:
    """``#6.24(bstr .cbor ["DeviceAuthentication", SessionTranscript, DocType, NSBytes])``.

    Spliced from the exact received bytes, never re-encoded, so signer and verifier agree.
    """
    inner = (
        cbor.array_head(4)
        + cbor.dumps("DeviceAuthentication")
        + transcript
        + cbor.dumps(doctype)
        + cbor.tag24_bytes(device_namespaces)
    )
    return cbor.tag24_bytes(inner)


def emac_key(
    private_key: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey, transcript: bytes
) -> bytes:
    """EMacKey: HKDF-SHA256(ECDH Z_AB, salt=SHA-256(SessionTranscriptBytes), "EMacKey")."""
    shared = private_key.exchange(ec.ECDH(), peer)
    salt = hashlib.sha256(cbor.tag24_bytes(transcript)).digest()
    return HKDF(hashes.SHA256(), 32, salt, b"EMacKey").derive(shared)
