"""The ISO/IEC 18013-5 Annex D example verifies, device MAC and all (see vectors/README.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import TrustStore, VerificationError, verify
from lpx.mdl.transcript import emac_key, normalize, web_session_transcript

VECTORS = Path(__file__).parent / "vectors"
RESPONSE = bytes.fromhex((VECTORS / "annex_d_device_response.hex").read_text().strip())
TRANSCRIPT = bytes.fromhex((VECTORS / "annex_d_session_transcript_bytes.hex").read_text().strip())
READER_D = 0xDE3B4B9E5F72DD9B58406AE3091434DA48A6F9FD010D88FCB0958E2CEBEC947C
DEVICE_D = 0x6ED542AD4783F0B18C833FADF2171273A35D969C581691EF704359CC7CF1E8C0
AT = dt.datetime(2020, 10, 1, 14, 0, tzinfo=dt.UTC)


def reader_key() -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(READER_D, ec.SECP256R1())


def ds_anchor() -> TrustStore:
    document = cbor2.loads(RESPONSE)["documents"][0]
    return TrustStore.from_certificates([("utopia", document["issuerSigned"]["issuerAuth"][1][33])])


def test_annex_d_response_verifies_with_device_mac() -> None:
    result = verify(RESPONSE, TRANSCRIPT, ds_anchor(), AT, reader_key=reader_key())
    assert result.device_auth == "mac"
    elements = result.elements["org.iso.18013.5.1"]
    assert elements["family_name"] == "Doe"
    assert elements["document_number"] == "123456789"
    assert elements["issue_date"] == dt.date(2019, 10, 20)
    assert set(elements) == {
        "family_name",
        "issue_date",
        "expiry_date",
        "document_number",
        "portrait",
        "driving_privileges",
    }


def test_annex_d_emac_key_matches_the_standard() -> None:
    device = ec.derive_private_key(DEVICE_D, ec.SECP256R1())
    key = emac_key(device, reader_key().public_key(), normalize(TRANSCRIPT))
    assert key.hex() == "dc2b9566fdaaae3c06baa40993cd0451aeba15e7677ef5305f6531f3533c35dd"


@pytest.mark.parametrize(
    ("when", "check"),
    [
        (dt.datetime(2021, 11, 1, tzinfo=dt.UTC), "issuer_chain"),  # DS certificate expired
        (dt.datetime(2020, 10, 1, 13, 0, tzinfo=dt.UTC), "validity"),  # before validFrom
    ],
)
def test_annex_d_outside_its_validity_is_rejected(when: dt.datetime, check: str) -> None:
    with pytest.raises(VerificationError) as caught:
        verify(RESPONSE, TRANSCRIPT, ds_anchor(), when, reader_key=reader_key())
    assert caught.value.check == check


def test_annex_d_needs_the_right_reader_key_and_transcript() -> None:
    with pytest.raises(VerificationError) as caught:
        verify(RESPONSE, TRANSCRIPT, ds_anchor(), AT)
    assert caught.value.check == "device_auth"
    with pytest.raises(VerificationError) as caught:
        verify(
            RESPONSE,
            TRANSCRIPT,
            ds_anchor(),
            AT,
            reader_key=ec.generate_private_key(ec.SECP256R1()),
        )
    assert caught.value.check == "device_auth"
    with pytest.raises(VerificationError) as caught:
        verify(
            RESPONSE,
            web_session_transcript("https://a.example", "n"),
            ds_anchor(),
            AT,
            reader_key=reader_key(),
        )
    assert caught.value.check == "device_auth"


def test_annex_d_untrusted_without_its_anchor() -> None:
    with pytest.raises(VerificationError) as caught:
        verify(RESPONSE, TRANSCRIPT, TrustStore([]), AT, reader_key=reader_key())
    assert caught.value.check == "issuer_chain"


def test_web_transcript_matches_the_openid4vp_dc_api_vector() -> None:
    """OpenID4VP 1.0 Appendix B DC API handover example (origin, nonce, JWK thumbprint)."""
    thumbprint = bytes.fromhex("4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047")
    transcript = web_session_transcript(
        "https://example.com", "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA", thumbprint
    )
    assert transcript.hex() == (
        "83f6f682764f70656e4944345650444341504948616e646f7665725820"
        "fbece366f4212f9762c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a"
    )
