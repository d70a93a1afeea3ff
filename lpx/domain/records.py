"""Pointer records: the hub's minimal, typed view of one card held by one person.

Pure data and validation only; storage and transport live elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from lpx.domain.errors import FieldError, ValidationFailed


class CardType(StrEnum):
    DL = "DL"
    ID = "ID"
    CDL = "CDL"
    PERMIT = "permit"


class Status(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SURRENDERED = "surrendered"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


# \Z, not $: "$" also matches before a trailing newline, which let "D1\n" pass as a record id.
JURISDICTION_RE = re.compile(r"^[A-Z]{2}\Z")
RECORD_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}\Z")
# A token is 16 bytes of keyed hash, written as 32 lowercase hex digits.
TOKEN_RE = re.compile(r"^[0-9a-f]{32}\Z")
# One masked token per digit of the first four. The last digit gets none: consecutive SSNs
# (twins and siblings enumerated together) differ there, so a last-digit mask would make real
# holders' families agree where decoys cannot (docs/privacy.md, "Why no mask on the last digit").
MASKED_TOKEN_COUNT = 4
MAX_NAME_LENGTH = 64
MAX_SUFFIX_LENGTH = 16
MAX_AKA_NAMES = 8
CONTROL_MESSAGE = "must not contain control characters (line breaks, tabs, NUL)"


def _has_control(value: str) -> bool:
    """Control characters and lone surrogates are never part of a name; NUL also cannot be
    stored in PostgreSQL text and a lone surrogate cannot be encoded at all."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value)


@dataclass(frozen=True, slots=True)
class SsnTokens:
    """Keyed tokens of an SSN-5 (or of a decoy): the only form in which the hub sees the field.

    ``full`` is the token of all five digits; ``masked`` holds the tokens of the variants
    with one of the first four digits masked, in mask-position order, so that a single
    mistyped digit there still leaves one agreeing masked token.
    """

    full: str
    masked: tuple[str, ...]

    def validate(self, prefix: str = "ssn") -> list[FieldError]:
        errors = []
        if not TOKEN_RE.match(self.full):
            errors.append(FieldError(f"{prefix}.full", "must be 32 lowercase hex digits"))
        if len(self.masked) != MASKED_TOKEN_COUNT:
            errors.append(
                FieldError(f"{prefix}.masked", f"must hold exactly {MASKED_TOKEN_COUNT} tokens")
            )
        elif not all(TOKEN_RE.match(t) for t in self.masked):
            errors.append(FieldError(f"{prefix}.masked", "each must be 32 lowercase hex digits"))
        return errors


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a pointer (or an inquiry) is about, as the state spelled it."""

    first_name: str
    last_name: str
    dob: date
    middle_name: str = ""
    suffix: str = ""
    sex: Sex | None = None
    aka_names: tuple[str, ...] = ()
    ssn: SsnTokens | None = None

    def validate(self) -> list[FieldError]:
        errors: list[FieldError] = []
        for name in ("first_name", "last_name"):
            value = getattr(self, name)
            if not value.strip():
                errors.append(FieldError(name, "is required"))
        for name in ("first_name", "middle_name", "last_name", "suffix"):
            value = getattr(self, name)
            limit = MAX_SUFFIX_LENGTH if name == "suffix" else MAX_NAME_LENGTH
            if len(value) > limit:
                errors.append(FieldError(name, f"is longer than {limit} characters"))
            if any(ch in value for ch in "*%?_"):
                errors.append(FieldError(name, "must not contain wildcard characters"))
            if _has_control(value):
                errors.append(FieldError(name, CONTROL_MESSAGE))
        if len(self.aka_names) > MAX_AKA_NAMES:
            errors.append(FieldError("aka_names", f"holds more than {MAX_AKA_NAMES} names"))
        for aka in self.aka_names:
            if len(aka) > 2 * MAX_NAME_LENGTH or not aka.strip():
                errors.append(FieldError("aka_names", "each name must be non-empty and short"))
                break
        if any(_has_control(aka) for aka in self.aka_names):
            errors.append(FieldError("aka_names", CONTROL_MESSAGE))
        if self.dob.year < 1900:
            errors.append(FieldError("dob", "must be on or after 1900-01-01"))
        if self.ssn is not None:
            errors.extend(self.ssn.validate())
        return errors


@dataclass(frozen=True, slots=True)
class Card:
    """Which card the pointer stands for and its state."""

    card_type: CardType
    real_id: bool
    status: Status
    issue_date: date | None = None
    expiry_date: date | None = None

    def validate(self) -> list[FieldError]:
        if self.issue_date and self.expiry_date and self.expiry_date < self.issue_date:
            return [FieldError("expiry_date", "is before issue_date")]
        return []


@dataclass(frozen=True, slots=True)
class PointerRecord:
    """A pointer as its state of record (SOR) submits it."""

    jurisdiction: str
    record_id: str
    identity: Identity
    card: Card

    def validate(self) -> None:
        errors: list[FieldError] = []
        if not JURISDICTION_RE.match(self.jurisdiction):
            errors.append(FieldError("jurisdiction", "must be a two-letter code"))
        if not RECORD_ID_RE.match(self.record_id):
            errors.append(FieldError("record_id", "must be 1-32 letters, digits or hyphens"))
        errors.extend(self.identity.validate())
        errors.extend(self.card.validate())
        if self.identity.dob > (self.card.issue_date or self.identity.dob):
            errors.append(FieldError("dob", "is after the card's issue date"))
        if errors:
            raise ValidationFailed(errors)


@dataclass(frozen=True, slots=True)
class StoredPointer:
    """A pointer as the hub holds it: the record plus the hub's public id and history stamps."""

    pointer_id: str
    record: PointerRecord
    version: int = 1
    created_at: str = ""
    updated_at: str = ""
