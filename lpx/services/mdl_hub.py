"""The hub's part in mobile licences: publish trust, keep status lists, vouch for issuance.

The hub never holds a state's issuer keys and never sees a presentation. It

* registers each state's IACA root and serves the signed trust list (like AAMVA's VICAL);
* confirms, when a state's issuer asks, that a pointer is that state's own and active, and
  records the batch's status indices against the pointer (it learns how many credentials a
  state issued for a pointer, nothing else);
* serves each state's status list, signed with the same trust-list key, with the bits of
  every pointer that stopped backing a valid card set (see ``credentials_status``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.exc import IntegrityError

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.records import Status
from lpx.mdl.status import DEFAULT_SIZE, build_hub_status_list
from lpx.mdl.trust import build_trust_list
from lpx.services.errors import Conflict, InvalidRequest, NotFound
from lpx.storage.mdl_tables import MdlRepository
from lpx.storage.uow import UnitOfWork

STATUS_LIST_SIZE = DEFAULT_SIZE  # bits per state; indices are uniformly random within it
MAX_BATCH = 1000
KEY_FILE = "trust_list_key.pem"


@dataclass(frozen=True, slots=True)
class IacaInfo:
    state: str
    subject: str
    not_after: dt.datetime
    sha256: str


@dataclass(frozen=True, slots=True)
class Registration:
    pointer_id: str
    state: str
    registered: int
    list_size: int


def trust_list_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The hub's trust-list signing key (P-256 PEM), created mode 0600 on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise RuntimeError(f"{path} is not an EC private key")
    return key


class MdlHubService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], key_path: Path,
                 audit: AuditLog) -> None:  # fmt: skip
        self._uow = uow_factory
        self._key_path = key_path
        self._audit = audit

    def _key(self) -> ec.EllipticCurvePrivateKey:
        return trust_list_key(self._key_path)

    def public_key_pem(self) -> bytes:
        """What relying parties pin (out of band) to check the trust list and status lists."""
        return (
            self._key()
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def trust_list(self) -> bytes:
        """The signed list of registered IACA roots (public: certificates are not secret)."""
        with self._uow() as uow:
            entries = MdlRepository(uow.conn).iaca_all()
        return build_trust_list(entries, self._key())

    def status_list(self, state: str, uri: str) -> bytes:
        """``state``'s signed status list; every index is live unless a pointer change
        revoked it. Public and whole, so fetching it says nothing about one credential."""
        with self._uow() as uow:
            if not uow.jurisdictions.exists(state):
                raise NotFound(f"{state} is not a participating jurisdiction.")
            revoked = MdlRepository(uow.conn).revoked(state)
        bits = bytearray(STATUS_LIST_SIZE // 8)
        for index in revoked:
            bits[index // 8] |= 1 << (index % 8)
        return build_hub_status_list(self._key(), state, uri, bytes(bits))

    def register_iaca(self, actor: Actor, certificate_pem: str) -> IacaInfo:
        """Put the actor's state's IACA root on the trust list (replacing any earlier one)."""
        authorize(actor, Permission.MDL_IACA_WRITE, actor.jurisdiction)
        cert = _check_iaca(certificate_pem, actor.jurisdiction)
        der = cert.public_bytes(serialization.Encoding.DER)
        with self._uow() as uow:
            MdlRepository(uow.conn).put_iaca(actor.jurisdiction, der)
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.KEY_EVENT, refs=("mdl-iaca",), result_count=1))  # fmt: skip
            uow.commit()
        return IacaInfo(actor.jurisdiction, cert.subject.rfc4514_string(),
                        cert.not_valid_after_utc, hashlib.sha256(der).hexdigest())  # fmt: skip

    def register_credentials(self, actor: Actor, record_id: str,
                             indices: Sequence[int]) -> Registration:  # fmt: skip
        """Vouch that ``record_id`` is the actor's own active pointer and record the batch's
        status indices against it, so a later pointer change revokes them. The issuer then
        signs locally with its own keys; the hub sees no credential and no device key."""
        authorize(actor, Permission.MDL_ISSUE, actor.jurisdiction)
        _check_indices(indices)
        state = actor.jurisdiction
        with self._uow() as uow:
            row = uow.pointers.by_records(state, [record_id]).get(record_id)
            if row is None:
                raise NotFound(f"{state} has no pointer with record id {record_id}.")
            if row.status != Status.ACTIVE.value:
                raise Conflict(f"The pointer's card is {row.status}; credentials are issued "
                               "only for an active card.")  # fmt: skip
            if row.expiry_date is not None and row.expiry_date < dt.datetime.now(dt.UTC).date():
                raise Conflict("The pointer's card has expired; renew it before issuing.")
            repo = MdlRepository(uow.conn)
            if not repo.iaca_exists(state):
                raise Conflict(f"Register {state}'s IACA certificate (PUT /v1/mdl/iaca) first: "
                               "relying parties could not verify these credentials.")  # fmt: skip
            if taken := repo.taken(state, indices):
                raise Conflict(f"{len(taken)} of the status indices are already in use; "
                               "draw fresh random ones.")  # fmt: skip
            try:
                repo.register(state, row.pointer_id, indices)
            except IntegrityError:  # a concurrent batch drew the same index
                raise Conflict("A status index was taken meanwhile; draw fresh random ones.") \
                    from None  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.INQUIRY_STATUS, pointer_ids=(row.pointer_id,),
                refs=("mdl-issue",), result_count=len(indices)))  # fmt: skip
            uow.commit()
        return Registration(row.pointer_id, state, len(indices), STATUS_LIST_SIZE)


def _check_indices(indices: Sequence[int]) -> None:
    if not 1 <= len(indices) <= MAX_BATCH:
        raise InvalidRequest(f"Send 1 to {MAX_BATCH} status indices.")
    if len(set(indices)) != len(indices):
        raise InvalidRequest("Each credential needs its own status index; some repeat.")
    if any(not 0 <= i < STATUS_LIST_SIZE for i in indices):
        raise InvalidRequest(f"Status indices run from 0 to {STATUS_LIST_SIZE - 1}.")


def _check_iaca(pem: str, state: str) -> x509.Certificate:
    """An IACA root for ``state``: self-signed P-256 CA that names the state, in date."""
    try:
        cert = x509.load_pem_x509_certificate(pem.encode())
        key = cert.public_key()
        names = cert.subject.get_attributes_for_oid(NameOID.STATE_OR_PROVINCE_NAME)
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        window = (cert.not_valid_before_utc, cert.not_valid_after_utc)
    except Exception:  # cryptography raises many types for malformed input
        raise InvalidRequest("The certificate is not a PEM X.509 IACA certificate.") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise InvalidRequest("The IACA key must be an EC P-256 key.")
    if not constraints.ca:
        raise InvalidRequest("The certificate is not a CA (basicConstraints cA is false).")
    named = [str(n.value) for n in names]
    if named != [state]:
        raise InvalidRequest(f"The certificate's stateOrProvinceName must be {state}.")
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:
        raise InvalidRequest("The IACA certificate must be self-signed (a root).") from None
    now = dt.datetime.now(dt.UTC)
    if not window[0] <= now <= window[1]:
        raise InvalidRequest("The IACA certificate is not valid now.")
    return cert
