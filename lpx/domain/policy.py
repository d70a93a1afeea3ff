"""A state's upload policy: which of its cards reach the hub, and which optional fields.

A state may send only some cards (REAL ID cards only, as a California bill proposes; some
card types; some statuses) and withhold optional fields (middle name, suffix, sex, AKA
names, SSN-5 tokens). The state's loader applies the policy before anything leaves the
state (``admits`` then ``strip``); the hub refuses what falls outside it (``violations``), so
a misconfigured loader cannot leak what the state declared it keeps.

The default policy admits every card and every field, which is what the hub did before
policies existed. Nothing here can say *why* a card was issued or why a person has no SSN:
the pointer schema has no such field, and the hub's API refuses unknown fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lpx.domain.errors import FieldError
from lpx.domain.records import CardType, PointerRecord, Status


class OptionalField(StrEnum):
    """Identity fields a state may withhold; first and last name and birth date are required."""

    MIDDLE_NAME = "middle_name"
    SUFFIX = "suffix"
    SEX = "sex"
    AKA_NAMES = "aka_names"
    SSN = "ssn"


ALL_CARD_TYPES = frozenset(CardType)
ALL_STATUSES = frozenset(Status)
ALL_FIELDS = frozenset(OptionalField)


@dataclass(frozen=True, slots=True)
class UploadPolicy:
    card_types: frozenset[CardType] = ALL_CARD_TYPES
    real_id_only: bool = False
    statuses: frozenset[Status] = ALL_STATUSES
    fields: frozenset[OptionalField] = ALL_FIELDS  # optional fields the state sends

    def refusals(self, record: PointerRecord) -> list[FieldError]:
        """Why the card itself stays with the state (empty: the card may be sent)."""
        card = record.card
        errors = []
        if card.card_type not in self.card_types:
            errors.append(
                FieldError(
                    "card_type",
                    f"is {card.card_type.value}; your upload "
                    f"policy admits only {_names(self.card_types)}",
                )
            )
        if self.real_id_only and not card.real_id:
            errors.append(
                FieldError("real_id", "is false; your upload policy admits only REAL ID cards")
            )
        if card.status not in self.statuses:
            errors.append(
                FieldError(
                    "status",
                    f"is {card.status.value}; your upload policy "
                    f"admits only {_names(self.statuses)}",
                )
            )
        return errors  # fmt: skip

    def admits(self, record: PointerRecord) -> bool:
        return not self.refusals(record)

    def strip(self, record: PointerRecord) -> PointerRecord:
        """The record without the optional fields this policy withholds."""
        i = record.identity
        withheld = ALL_FIELDS - self.fields
        identity = dataclasses.replace(
            i,
            middle_name="" if OptionalField.MIDDLE_NAME in withheld else i.middle_name,
            suffix="" if OptionalField.SUFFIX in withheld else i.suffix,
            sex=None if OptionalField.SEX in withheld else i.sex,
            aka_names=() if OptionalField.AKA_NAMES in withheld else i.aka_names,
            ssn=None if OptionalField.SSN in withheld else i.ssn,
        )
        return dataclasses.replace(record, identity=identity)

    def violations(self, record: PointerRecord) -> list[FieldError]:
        """What the hub refuses: a card the policy keeps home, or a field it withholds."""
        errors = self.refusals(record)
        i = record.identity
        present = {
            OptionalField.MIDDLE_NAME: bool(i.middle_name),
            OptionalField.SUFFIX: bool(i.suffix),
            OptionalField.SEX: i.sex is not None,
            OptionalField.AKA_NAMES: bool(i.aka_names),
            OptionalField.SSN: i.ssn is not None,
        }
        for name in sorted(ALL_FIELDS - self.fields):
            if present[name]:
                errors.append(FieldError(name.value, "is withheld by your upload policy; "
                                         "send the record without it"))  # fmt: skip
        return errors

    def to_dict(self) -> dict[str, Any]:
        return {
            "card_types": sorted(c.value for c in self.card_types),
            "real_id_only": self.real_id_only,
            "statuses": sorted(s.value for s in self.statuses),
            "fields": sorted(f.value for f in self.fields),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> UploadPolicy:
        """Read the JSON form; a missing key keeps the default (send everything)."""
        return cls(
            card_types=frozenset(CardType(v) for v in data.get("card_types", ALL_CARD_TYPES)),
            real_id_only=bool(data.get("real_id_only", False)),
            statuses=frozenset(Status(v) for v in data.get("statuses", ALL_STATUSES)),
            fields=frozenset(OptionalField(v) for v in data.get("fields", ALL_FIELDS)),
        )


def _names(values: frozenset[Any]) -> str:
    return ", ".join(sorted(v.value for v in values)) or "nothing"
