"""``lpx mdl``: issue -> present -> verify from files, exit codes, and the Annex D vector."""

from __future__ import annotations

import json
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from lpx.cli.mdl import mdl_app

runner = CliRunner()
VECTORS = Path(__file__).parent / "vectors"
PERSON = {
    "family_name": "Roe",
    "given_name": "Rick",
    "birth_date": "2001-02-03",
    "document_number": "NY778899",
    "issuing_jurisdiction": "US-NY",
    "issue_date": "2024-02-02",
    "expiry_date": "2032-02-02",
}


def run(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(mdl_app, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    assert run("pki", "NY", root / "ny")[0] == 0
    (root / "person.json").write_text(json.dumps(PERSON))
    code, output = run(
        "issue",
        root / "person.json",
        "--pki",
        root / "ny",
        "--wallet",
        root / "wallet.json",
        "--count",
        "3",
        "--holder",
        "rick",
    )
    assert code == 0, output
    hub = ec.generate_private_key(ec.SECP256R1())
    (root / "hub.pem").write_bytes(
        hub.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (root / "hub.pub").write_bytes(
        hub.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    assert (
        run("trust-list", "--hub-key", root / "hub.pem", "--out", root / "trust.cbor", root / "ny")[
            0
        ]
        == 0
    )
    return root


def present(root: Path, name: str, origin: str = "https://bar.example") -> tuple[Path, Path]:
    response, transcript = root / f"{name}.cbor", root / f"{name}.transcript.cbor"
    code, output = run(
        "present",
        root / "wallet.json",
        "--origin",
        origin,
        "--nonce",
        name,
        "--element",
        "age_over_21",
        "--out",
        response,
        "--transcript",
        transcript,
    )
    assert code == 0, output
    return response, transcript


def test_issue_present_verify_with_a_signed_trust_list(setup: Path) -> None:
    response, transcript = present(setup, "a")
    code, output = run(
        "verify",
        response,
        "--transcript",
        transcript,
        "--trust",
        setup / "trust.cbor",
        "--hub-key",
        setup / "hub.pub",
        "--json",
    )
    assert code == 0, output
    result = json.loads(output)
    assert result == {
        "valid": True,
        "doctype": "org.iso.18013.5.1.mDL",
        "issuer": "NY",
        "elements": {"org.iso.18013.5.1": {"age_over_21": True}},
    }


def test_verify_with_iaca_pem_and_revocation(setup: Path) -> None:
    response, transcript = present(setup, "b")
    iaca = setup / "ny" / "iaca_cert.pem"
    assert run("verify", response, "--transcript", transcript, "--trust", iaca)[0] == 0
    assert (
        run(
            "status-list", "--pki", setup / "ny", "--out", setup / "status.cbor", "--revoke", "rick"
        )[0]
        == 0
    )
    code, output = run(
        "verify",
        response,
        "--transcript",
        transcript,
        "--trust",
        iaca,
        "--status",
        setup / "status.cbor",
    )
    assert code == 1
    assert "status" in output
    assert "revoked" in output


def test_verify_reports_the_failed_check(setup: Path) -> None:
    response, _ = present(setup, "c")
    other = setup / "other.transcript.cbor"
    other.write_bytes(cbor2.dumps([None, None, ["OpenID4VPDCAPIHandover", b"\x00" * 32]]))
    code, output = run(
        "verify",
        response,
        "--transcript",
        other,
        "--trust",
        setup / "ny" / "iaca_cert.pem",
        "--json",
    )
    assert code == 1
    assert json.loads(output)["check"] == "device_auth"
    code, output = run("verify", response, "--transcript", other, "--trust", setup / "trust.cbor")
    assert code == 2
    assert "--hub-key" in output


def test_verify_the_annex_d_vector(tmp_path: Path) -> None:
    response = bytes.fromhex((VECTORS / "annex_d_device_response.hex").read_text().strip())
    (tmp_path / "r.cbor").write_bytes(response)
    (tmp_path / "t.cbor").write_bytes(
        bytes.fromhex((VECTORS / "annex_d_session_transcript_bytes.hex").read_text().strip())
    )
    (tmp_path / "ds.der").write_bytes(
        cbor2.loads(response)["documents"][0]["issuerSigned"]["issuerAuth"][1][33]
    )
    reader = ec.derive_private_key(
        0xDE3B4B9E5F72DD9B58406AE3091434DA48A6F9FD010D88FCB0958E2CEBEC947C, ec.SECP256R1()
    )
    (tmp_path / "reader.pem").write_bytes(
        reader.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    code, output = run(
        "verify",
        tmp_path / "r.cbor",
        "--transcript",
        tmp_path / "t.cbor",
        "--trust",
        tmp_path / "ds.der",
        "--reader-key",
        tmp_path / "reader.pem",
        "--at",
        "2020-10-01T14:00:00Z",
    )
    assert code == 0, output
    assert "family_name" in output
    assert "VALID" in output
