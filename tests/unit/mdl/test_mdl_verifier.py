"""The verifier accepts an honest age check and rejects each way of cheating, by check name."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from mdl_helpers import NONCE, ORIGIN, PERSON, STATUS_URI, World, items_of, tamper

from lpx.mdl import (
    StatusRegistry,
    TrustStore,
    VerificationError,
    build_trust_list,
    cose,
    issue_batch,
    make_state_pki,
    verify,
    web_session_transcript,
)
from lpx.mdl.issuer import NAMESPACE


def check_of(world: World, data: bytes, transcript: bytes, **kwargs: Any) -> str:
    with pytest.raises(VerificationError) as caught:
        verify(
            data,
            transcript,
            kwargs.pop("trust", None) or world.trust(),
            kwargs.pop("at", world.now),
            **kwargs,
        )
    return caught.value.check


def resign_mso(world: World, document: dict[str, Any], change: Any) -> None:
    """Edit the MSO and sign it again with the real DS key (an insider-grade forgery)."""
    auth = document["issuerSigned"]["issuerAuth"]
    mso = cbor2.loads(cbor2.loads(auth[2]).value)
    change(mso)
    payload = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(mso)))
    document["issuerSigned"]["issuerAuth"] = world.ca.sign1(payload)


def test_round_trip_discloses_age_over_21_only(
    world: World, response: bytes, transcript: bytes
) -> None:
    result = verify(response, transcript, world.trust(), world.now)
    assert result.elements == {NAMESPACE: {"age_over_21": True}}
    assert result.age_over(21) is True
    assert result.age_over(65) is None  # not disclosed, so unknown
    assert result.issuer_state == "CA"
    assert result.device_auth == "signature"
    document = cbor2.loads(response)["documents"][0]
    assert len(items_of(document)) == 1  # the other elements never left the wallet
    assert b"Doe" not in response
    assert b"1990" not in response


def test_element_outside_the_signed_digests_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    forged = cbor2.dumps(
        {
            "digestID": 999,
            "random": secrets.token_bytes(32),
            "elementIdentifier": "age_over_65",
            "elementValue": True,
        }
    )
    data = tamper(response, lambda d: items_of(d).append(cbor2.CBORTag(24, forged)))
    assert check_of(world, data, transcript) == "digest"


def test_element_in_an_unsigned_namespace_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    item = cbor2.dumps(
        {
            "digestID": 0,
            "random": secrets.token_bytes(32),
            "elementIdentifier": "age_over_21",
            "elementValue": True,
        }
    )

    def add(document: dict[str, Any]) -> None:
        document["issuerSigned"]["nameSpaces"]["org.example.extra"] = [cbor2.CBORTag(24, item)]

    assert check_of(world, tamper(response, add), transcript) == "digest"


def _edit_item(document: dict[str, Any], **changes: Any) -> None:
    items = items_of(document)
    item = cbor2.loads(items[0].value)
    item.update(changes)
    items[0] = cbor2.CBORTag(24, cbor2.dumps(item))


def test_altered_element_value_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    data = tamper(response, lambda d: _edit_item(d, elementValue=False))
    assert check_of(world, data, transcript) == "digest"


def test_item_pointing_at_another_elements_digest_is_rejected(
    world: World, transcript: bytes
) -> None:
    wallet = world.wallet(1)
    data = wallet.present(["age_over_21", "age_over_65"], transcript, at=world.now)

    def swap(document: dict[str, Any]) -> None:
        items = items_of(document)
        other = cbor2.loads(items[1].value)["digestID"]
        _edit_item(document, digestID=other)

    assert check_of(world, tamper(data, swap), transcript) == "digest"


@pytest.mark.parametrize("issued_offset", [dt.timedelta(days=-30), dt.timedelta(days=2)])
def test_expired_or_not_yet_valid_mso_is_rejected(
    world: World, transcript: bytes, issued_offset: dt.timedelta
) -> None:
    """Issued a month ago (expired) or dated the day after tomorrow (not yet valid)."""
    issued_at = world.now + issued_offset
    data = world.wallet(1, now=issued_at).present(["age_over_21"], transcript, at=issued_at)
    assert check_of(world, data, transcript) == "validity"


def test_doctype_mismatch_is_rejected(world: World, response: bytes, transcript: bytes) -> None:
    def relabel(document: dict[str, Any]) -> None:
        document["docType"] = "org.iso.23220.photoid.1"

    assert check_of(world, tamper(response, relabel), transcript) == "doctype"

    def resign(document: dict[str, Any]) -> None:
        resign_mso(world, document, lambda mso: mso.update(docType="org.example.other"))

    assert check_of(world, tamper(response, resign), transcript) == "doctype"


def test_missing_device_signature_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    data = tamper(response, lambda d: d["deviceSigned"].update(deviceAuth={}))
    assert check_of(world, data, transcript) == "device_auth"


@pytest.mark.parametrize(
    ("origin", "nonce"), [("https://evil.example", NONCE), (ORIGIN, "another-nonce")]
)
def test_replay_to_another_origin_or_nonce_is_rejected(
    world: World, response: bytes, origin: str, nonce: str
) -> None:
    assert check_of(world, response, web_session_transcript(origin, nonce)) == "device_auth"


def test_device_key_not_in_the_mso_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    from lpx.mdl.transcript import device_authentication_bytes
    from lpx.mdl.wallet import EMPTY_DEVICE_NAMESPACES

    stranger = ec.generate_private_key(ec.SECP256R1())
    payload = device_authentication_bytes(
        transcript, "org.iso.18013.5.1.mDL", EMPTY_DEVICE_NAMESPACES
    )
    signature = cose.sign1(stranger, payload, {}, detached=True)
    data = tamper(
        response, lambda d: d["deviceSigned"]["deviceAuth"].update(deviceSignature=signature)
    )
    assert check_of(world, data, transcript) == "device_auth"


def test_document_signer_not_chained_to_a_trusted_iaca_is_rejected(
    world: World, transcript: bytes, tmp_path: Path
) -> None:
    rogue = make_state_pki("CA", tmp_path / "rogue")  # same names, different keys
    wallet = world.wallet(0)
    issued = issue_batch(rogue, PERSON, wallet.new_device_keys(1), [7], STATUS_URI, now=world.now)
    wallet.add(issued)
    data = wallet.present(["age_over_21"], transcript, at=world.now)
    assert check_of(world, data, transcript) == "issuer_chain"


def test_iaca_not_on_the_trust_list_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    signed = build_trust_list([("NY", world.ny.iaca_certificate_der)], world.hub_key)
    trust = TrustStore.from_signed(signed, world.hub_key.public_key())
    assert [a.state for a in trust.anchors] == ["NY"]
    assert check_of(world, response, transcript, trust=trust) == "issuer_chain"


def test_signed_trust_list_round_trips(world: World, response: bytes, transcript: bytes) -> None:
    signed = build_trust_list([("CA", world.ca.iaca_certificate_der)], world.hub_key)
    trust = TrustStore.from_signed(signed, world.hub_key.public_key())
    assert verify(response, transcript, trust, world.now).issuer_state == "CA"


def test_trust_list_with_a_bad_signature_is_rejected(world: World) -> None:
    signed = build_trust_list([("CA", world.ca.iaca_certificate_der)], world.hub_key)
    other_hub = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(VerificationError) as caught:
        TrustStore.from_signed(signed, other_hub)
    assert caught.value.check == "trust_list"
    sign1 = cbor2.loads(signed)
    rogue = make_state_pki  # an attacker appends their own IACA to the payload
    body = cbor2.loads(sign1[2])
    body["entries"].append({"state": "ZZ", "iaca": world.ny.iaca_certificate_der})
    sign1[2] = cbor2.dumps(body)
    with pytest.raises(VerificationError) as caught:
        TrustStore.from_signed(cbor2.dumps(sign1), world.hub_key.public_key())
    assert caught.value.check == "trust_list"
    assert rogue is make_state_pki


def test_revoked_credential_is_rejected(world: World, transcript: bytes, tmp_path: Path) -> None:
    registry = StatusRegistry(tmp_path / "reg.json", size=4096)
    wallet = world.wallet(2, registry=registry, holder="jane")
    first = wallet.present(["age_over_21"], transcript, at=world.now)
    assert verify(first, transcript, world.trust(), world.now, world.status(registry))
    assert registry.revoke_holder("jane") == 2
    second = wallet.present(["age_over_21"], transcript, at=world.now)
    assert check_of(world, second, transcript, status=world.status(registry)) == "status"


def test_status_list_from_another_state_or_stale_is_rejected(
    world: World, response: bytes, transcript: bytes
) -> None:
    registry = StatusRegistry(Path("/nonexistent"), size=4096)
    foreign = world.status(registry, world.ny)  # NY signs a list claiming CA's URI
    assert check_of(world, response, transcript, status=foreign) == "status"
    fresh = world.status(registry)
    stale_at = world.now + dt.timedelta(days=3)
    with pytest.raises(VerificationError) as caught:
        fresh.check(STATUS_URI, 1, world.trust().anchors[0], stale_at)
    assert caught.value.check == "status"


def test_status_list_with_a_bad_signature_is_rejected(world: World) -> None:
    from lpx.mdl import StatusList, build_status_list

    signed = cbor2.loads(build_status_list(world.ca, STATUS_URI, bytes(16)))
    body = cbor2.loads(signed[2])
    body["lst"] = __import__("zlib").compress(b"\x00" * 15 + b"\x01")
    signed[2] = cbor2.dumps(body)
    with pytest.raises(VerificationError) as caught:
        StatusList.from_signed(cbor2.dumps(signed), world.trust(), world.now)
    assert caught.value.check == "status"


def test_unlinkable_presentations_from_one_batch(world: World, transcript: bytes) -> None:
    wallet = world.wallet(2)
    a, b = (
        cbor2.loads(wallet.present(["age_over_21"], transcript, at=world.now)) for _ in range(2)
    )

    def parts(response: dict[str, Any]) -> dict[str, bytes]:
        document = response["documents"][0]
        auth = document["issuerSigned"]["issuerAuth"]
        mso = cbor2.loads(cbor2.loads(auth[2]).value)
        item = cbor2.loads(items_of(document)[0].value)
        key = mso["deviceKeyInfo"]["deviceKey"]
        return {
            "salt": item["random"],
            "issuer_signature": auth[3],
            "mso": auth[2],
            "device_key": key[-2] + key[-3],
            "device_signature": document["deviceSigned"]["deviceAuth"]["deviceSignature"][3],
            "item": items_of(document)[0].value,
            "status_index": str(mso["status"]["status_list"]["idx"]).encode(),
            "digests": b"".join(mso["valueDigests"][NAMESPACE].values()),
        }

    first, second = parts(a), parts(b)
    for name in first:
        assert first[name] != second[name], name
    # What may repeat is what everyone issued that day by that state shares.
    mso_a, mso_b = (
        cbor2.loads(cbor2.loads(r["documents"][0]["issuerSigned"]["issuerAuth"][2]).value)
        for r in (a, b)
    )
    assert mso_a["validityInfo"] == mso_b["validityInfo"]
    assert mso_a["validityInfo"]["signed"].hour == 0
    assert len(mso_a["valueDigests"][NAMESPACE]) == len(mso_b["valueDigests"][NAMESPACE]) == 16


def test_digest_is_over_the_tag24_wrapped_item(world: World, response: bytes) -> None:
    document = cbor2.loads(response)["documents"][0]
    raw = items_of(document)[0].value
    mso = cbor2.loads(cbor2.loads(document["issuerSigned"]["issuerAuth"][2]).value)
    digest_id = cbor2.loads(raw)["digestID"]
    assert (
        mso["valueDigests"][NAMESPACE][digest_id]
        == hashlib.sha256(cbor2.dumps(cbor2.CBORTag(24, raw))).digest()
    )


def test_document_signer_issued_by_a_non_ca_anchor_is_rejected(
    world: World, transcript: bytes, tmp_path: Path
) -> None:
    """A trusted *leaf* (here another DS) must not be able to mint document signers."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    from lpx.mdl.pki import MDL_DS_EKU, FileIssuerKeys, load_private_key

    leaf_keys = make_state_pki("TX", tmp_path / "tx")
    leaf = x509.load_der_x509_certificate(leaf_keys.ds_certificate_der)
    leaf_key = load_private_key(tmp_path / "tx" / "ds_key.pem")
    minted_key = ec.generate_private_key(ec.SECP256R1())
    minted = (
        x509.CertificateBuilder()
        .subject_name(leaf.subject)
        .issuer_name(leaf.subject)
        .public_key(minted_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(world.now - dt.timedelta(days=1))
        .not_valid_after(world.now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
        .sign(leaf_key, hashes.SHA256())
    )
    forger = FileIssuerKeys(
        "TX",
        minted.public_bytes(serialization.Encoding.DER),
        leaf_keys.ds_certificate_der,
        minted_key,
    )
    wallet = world.wallet(0)
    wallet.add(
        issue_batch(forger, PERSON, wallet.new_device_keys(1), [3], STATUS_URI, now=world.now)
    )
    data = wallet.present(["age_over_21"], transcript, at=world.now)
    trust = TrustStore.from_certificates([("TX", leaf_keys.ds_certificate_der)])
    assert check_of(world, data, transcript, trust=trust) == "issuer_chain"
