"""Serialization of a pointer's identity document, its encryption at rest, and its fingerprint.

The identity document (names, birth date, sex, AKA names, SSN tokens and the match profile)
is JSON; :class:`IdentityCodec` seals it under the state of record's data key
(``lpx.keys``) with the row's jurisdiction and pointer id as associated data, and opens it
again only for the rows a request needs: the candidates of one search, or a state's own
pointers. Matching never needs a table scan of identities: blocking keys are indexed as
keyed hashes outside the document.

The column stays text (``lpx1:<version>:<base64>``), not bytes: the bulk COPY writer and
every repository keep working unchanged, at the cost of a third more bytes per row.
Documents written before encryption (plain JSON) are still read, and sealed when the row is
next written or by ``lpx keyadmin reencrypt``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic_core import from_json

from lpx.domain.profile import MatchProfile, ProfileData
from lpx.domain.records import MASKED_TOKEN_COUNT, Identity, PointerRecord, Sex, SsnTokens
from lpx.keys.envelope import DataKey, is_sealed, key_version, open_sealed, seal
from lpx.keys.ring import DataKeyRing


class SealedDocument(Exception):
    """A sealed document reached code that has no key ring to open it."""


def identity_document(identity: Identity, profile: MatchProfile) -> str:
    """The plaintext JSON document; :meth:`IdentityCodec.seal` encrypts it for storage.

    The profile's SSN tokens and birth date repeat the identity's, so the profile leaves
    them out when they are the same (readers take them from the identity): they were a
    third of the document, and every lookup fetches and opens each candidate's document."""
    ssn = [identity.ssn.full, *identity.ssn.masked] if identity.ssn else None
    shared = profile.to_dict()
    if shared["s"] == _profile_tokens(ssn):
        del shared["s"]
    if shared["d"] == identity.dob.isoformat():
        del shared["d"]
    doc: dict[str, Any] = {
        "first_name": identity.first_name,
        "middle_name": identity.middle_name,
        "last_name": identity.last_name,
        "suffix": identity.suffix,
        "aka_names": list(identity.aka_names),
        "dob": identity.dob.isoformat(),
        "sex": identity.sex.value if identity.sex else None,
        "ssn": ssn,
        "profile": shared,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def _profile_tokens(ssn: list[str] | None) -> list[str]:
    """A profile's SSN tokens for the identity's: one empty token when it has none."""
    return ssn or [""]


def _profile_data(doc: dict[str, Any]) -> ProfileData:
    """The document's match profile data, with what it shares with the identity filled back
    in (documents written before the profile left them out hold them twice)."""
    data: ProfileData = doc["profile"]
    if "s" not in data:
        data["s"] = _profile_tokens(doc["ssn"])
    if "d" not in data:
        data["d"] = doc["dob"]
    return data


def _plain(document: str) -> str:
    if is_sealed(document):
        raise SealedDocument("this identity document is encrypted; open it with IdentityCodec")
    return document


def parse_identity(document: str) -> tuple[Identity, MatchProfile]:
    """Parse a plaintext document (as :meth:`IdentityCodec.open` or the services return)."""
    doc = from_json(_plain(document))
    ssn = doc["ssn"]
    identity = Identity(
        first_name=doc["first_name"],
        middle_name=doc["middle_name"],
        last_name=doc["last_name"],
        suffix=doc["suffix"],
        aka_names=tuple(doc["aka_names"]),
        dob=date.fromisoformat(doc["dob"]),
        sex=Sex(doc["sex"]) if doc["sex"] else None,
        ssn=SsnTokens(ssn[0], tuple(ssn[1 : 1 + MASKED_TOKEN_COUNT])) if ssn else None,
    )
    return identity, MatchProfile.from_dict(_profile_data(doc))


def profile_data(document: str) -> ProfileData:
    return _profile_data(from_json(_plain(document)))


def profile_of(document: str) -> MatchProfile:
    return MatchProfile.from_dict(profile_data(document))


class IdentityCodec:
    """Seals and opens stored identity documents; ``ring=None`` stores plaintext.

    Plaintext mode exists for the benchmark's peer and for reading legacy rows; the hub
    (``lpx.bootstrap``) always builds the codec with a key ring.
    """

    def __init__(self, ring: DataKeyRing | None) -> None:
        self.ring = ring

    @property
    def encrypts(self) -> bool:
        return self.ring is not None

    def current_key(self, jurisdiction: str) -> DataKey | None:
        """The key to seal new rows with; ask before opening a unit of work (see ring)."""
        return self.ring.current(jurisdiction) if self.ring else None

    def seal(self, identity: Identity, profile: MatchProfile, jurisdiction: str,
             pointer_id: str, key: DataKey | None) -> str:  # fmt: skip
        document = identity_document(identity, profile)
        if key is None:
            return document
        if key.jurisdiction != jurisdiction:
            raise ValueError("a row is sealed under its own state's key only")
        return seal(key, pointer_id, document)

    def fingerprint_key(self, jurisdiction: str) -> bytes | None:
        """The key that fingerprints of the state's identities are made with (a duplicate
        case's ``identity_fp``), derived from its oldest live data-key version: rotation
        leaves it unchanged, so a remembered pair stays remembered, and destroying the
        state's keys (withdrawal, ``lpx keyadmin destroy``) destroys it, so a backup cannot
        confirm a guessed identity. None when the state has no live data key (plaintext mode,
        never keyed, or shredded): then the only identities of it a case can still pair are
        plaintext legacy rows, which a fingerprint cannot reveal more of than they do."""
        if self.ring is None:
            return None
        live = [r.version for r in self.ring.versions(jurisdiction) if r.wrapped_key is not None]
        if not live:
            return None
        secret = self.ring.get(jurisdiction, min(live)).secret
        return hmac.new(secret, b"lpx:fingerprint-key:v1", hashlib.sha256).digest()

    def stale(self, stored: str, key: DataKey | None) -> bool:
        """Whether a stored document is not under ``key`` (legacy plaintext or an old version)."""
        return key is not None and key_version(stored) != key.version

    def open(self, stored: str, jurisdiction: str, pointer_id: str) -> str:
        """The plaintext document; raises KeyDestroyed or TamperedCiphertext."""
        version = key_version(stored)
        if version is None:
            return stored
        if self.ring is None:
            raise SealedDocument("this hub has no key ring to open encrypted identities")
        return open_sealed(self.ring.get(jurisdiction, version), pointer_id, stored)

    def identity(self, stored: str, jurisdiction: str,
                 pointer_id: str) -> tuple[Identity, MatchProfile]:  # fmt: skip
        return parse_identity(self.open(stored, jurisdiction, pointer_id))

    def profile(self, stored: str, jurisdiction: str, pointer_id: str) -> MatchProfile:
        return profile_of(self.open(stored, jurisdiction, pointer_id))

    def profile_data(self, stored: str, jurisdiction: str, pointer_id: str) -> ProfileData:
        return profile_data(self.open(stored, jurisdiction, pointer_id))


def content_hash(record: PointerRecord, key: DataKey | None = None) -> str:
    """Fingerprint of what the state sent, so an identical resubmission changes nothing.

    With a data key it is an HMAC under that key: a plain hash of name and birth date would
    let anyone holding a backup confirm a guessed identity after the key was destroyed.
    """
    i, c = record.identity, record.card
    parts = [
        record.record_id, c.card_type.value, str(c.real_id), c.status.value,
        str(c.issue_date), str(c.expiry_date), i.first_name, i.middle_name, i.last_name,
        i.suffix, ";".join(i.aka_names), i.dob.isoformat(), i.sex.value if i.sex else "",
        i.ssn.full if i.ssn else "", ",".join(i.ssn.masked) if i.ssn else "",
    ]  # fmt: skip
    data = "\x1f".join(parts).encode()
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key.secret, b"lpx:content:v1|" + data, hashlib.sha256).hexdigest()


KEYED_FINGERPRINT = "k1:"  # the stored form's prefix; unprefixed values are the legacy form


def keyed_pair_fingerprint(plain: str, keys: Mapping[str, bytes], states: tuple[str, str]) -> str:
    """A case's stored identity fingerprint: ``plain`` (an unkeyed hash of both match
    profiles) under an HMAC with each involved state's fingerprint key in turn, so it can be
    recomputed from a guessed identity only while both states' keys exist."""
    out = plain
    for state in sorted(set(states)):
        out = hmac.new(keys[state], f"lpx:case-fp:v1|{state}|{out}".encode(),
                       hashlib.sha256).hexdigest()  # fmt: skip
    return KEYED_FINGERPRINT + out
