"""Serialization of a pointer's identity document and its content fingerprint."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, PointerRecord, Sex, SsnTokens


def identity_document(identity: Identity, profile: MatchProfile) -> str:
    doc: dict[str, Any] = {
        "first_name": identity.first_name,
        "middle_name": identity.middle_name,
        "last_name": identity.last_name,
        "suffix": identity.suffix,
        "aka_names": list(identity.aka_names),
        "dob": identity.dob.isoformat(),
        "sex": identity.sex.value if identity.sex else None,
        "ssn": [identity.ssn.full, *identity.ssn.masked] if identity.ssn else None,
        "profile": profile.to_dict(),
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def parse_identity(document: str) -> tuple[Identity, MatchProfile]:
    doc = json.loads(document)
    ssn = doc["ssn"]
    identity = Identity(
        first_name=doc["first_name"],
        middle_name=doc["middle_name"],
        last_name=doc["last_name"],
        suffix=doc["suffix"],
        aka_names=tuple(doc["aka_names"]),
        dob=date.fromisoformat(doc["dob"]),
        sex=Sex(doc["sex"]) if doc["sex"] else None,
        ssn=SsnTokens(ssn[0], tuple(ssn[1:])) if ssn else None,
    )
    return identity, MatchProfile.from_dict(doc["profile"])


def profile_of(document: str) -> MatchProfile:
    return MatchProfile.from_dict(json.loads(document)["profile"])


def content_hash(record: PointerRecord) -> str:
    """Fingerprint of what the state sent, so an identical resubmission changes nothing."""
    i, c = record.identity, record.card
    parts = [
        record.record_id, c.card_type.value, str(c.real_id), c.status.value,
        str(c.issue_date), str(c.expiry_date), i.first_name, i.middle_name, i.last_name,
        i.suffix, ";".join(i.aka_names), i.dob.isoformat(), i.sex.value if i.sex else "",
        i.ssn.full if i.ssn else "", ",".join(i.ssn.masked) if i.ssn else "",
    ]  # fmt: skip
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
