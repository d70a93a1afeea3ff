"""A state's issuing PKI: the IACA root and the document signer (DS) that signs MSOs.

Keys are pluggable through :class:`IssuerKeys` so a state can keep the DS key in an HSM;
:class:`FileIssuerKeys` is the PEM-in-a-directory default that :func:`make_state_pki` writes.
The IACA private key is written too (for tests and demos) but only the DS key is loaded
for issuing: a real state keeps the IACA key offline.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from lpx.mdl import cose

MDL_DS_EKU = x509.ObjectIdentifier("1.0.18013.5.1.2")
IACA_CERT, IACA_KEY, DS_CERT, DS_KEY = "iaca_cert.pem", "iaca_key.pem", "ds_cert.pem", "ds_key.pem"


class IssuerKeys(Protocol):
    """What issuing needs: the DS certificate to embed and a way to sign with its key."""

    @property
    def state(self) -> str: ...

    @property
    def ds_certificate_der(self) -> bytes: ...

    @property
    def iaca_certificate_der(self) -> bytes: ...

    def sign1(self, payload: bytes) -> list[object]:
        """An ES256 COSE_Sign1 over ``payload`` with the DS cert in x5chain."""
        ...


@dataclass(frozen=True)
class FileIssuerKeys:
    """DS key and certificates read from the PEM files in a state's PKI directory."""

    state: str
    ds_certificate_der: bytes
    iaca_certificate_der: bytes
    _ds_key: ec.EllipticCurvePrivateKey

    @classmethod
    def load(cls, directory: Path) -> FileIssuerKeys:
        ds_cert = x509.load_pem_x509_certificate((directory / DS_CERT).read_bytes())
        iaca_cert = x509.load_pem_x509_certificate((directory / IACA_CERT).read_bytes())
        key = serialization.load_pem_private_key((directory / DS_KEY).read_bytes(), None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError("document signer key must be an EC P-256 key")
        state = ds_cert.subject.get_attributes_for_oid(NameOID.STATE_OR_PROVINCE_NAME)
        return cls(
            state=str(state[0].value) if state else "",
            ds_certificate_der=ds_cert.public_bytes(serialization.Encoding.DER),
            iaca_certificate_der=iaca_cert.public_bytes(serialization.Encoding.DER),
            _ds_key=key,
        )

    def sign1(self, payload: bytes) -> list[object]:
        return cose.sign1(self._ds_key, payload, {cose.X5CHAIN: self.ds_certificate_der})


def _name(state: str, role: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
            x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, state),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{state} mDL {role}"),
        ]
    )


def make_state_pki(
    state: str,
    directory: Path,
    *,
    now: dt.datetime | None = None,
    iaca_days: int = 3650,
    ds_days: int = 365,
) -> FileIssuerKeys:
    """Create an IACA root and a DS certificate for ``state`` as PEM files in ``directory``."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    directory.mkdir(parents=True, exist_ok=True)
    iaca_key = ec.generate_private_key(ec.SECP256R1())
    ds_key = ec.generate_private_key(ec.SECP256R1())
    iaca_name = _name(state, "IACA")
    iaca_ski = x509.SubjectKeyIdentifier.from_public_key(iaca_key.public_key())
    iaca = (
        x509.CertificateBuilder()
        .subject_name(iaca_name)
        .issuer_name(iaca_name)
        .public_key(iaca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=iaca_days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(iaca_ski, critical=False)
        .sign(iaca_key, hashes.SHA256())
    )
    ds = (
        x509.CertificateBuilder()
        .subject_name(_name(state, "DS"))
        .issuer_name(iaca_name)
        .public_key(ds_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=ds_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([MDL_DS_EKU]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(iaca_ski),
            critical=False,
        )
        .sign(iaca_key, hashes.SHA256())
    )
    _write(directory / IACA_KEY, _pem_key(iaca_key))
    _write(directory / DS_KEY, _pem_key(ds_key))
    _write(directory / IACA_CERT, iaca.public_bytes(serialization.Encoding.PEM))
    _write(directory / DS_CERT, ds.public_bytes(serialization.Encoding.PEM))
    return FileIssuerKeys.load(directory)


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes) -> None:
    """Write owner-only: these files include private keys."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def load_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{path} is not an EC private key")
    return key
