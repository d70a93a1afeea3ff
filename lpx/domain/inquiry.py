"""Search inquiries: one specific person, a permissible purpose, an attributed user.

The rules that make bulk search impossible live here, in the pure core, so every entry
point (API, CLI, console) gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from lpx.domain.errors import FieldError, ValidationFailed
from lpx.domain.records import Identity


class Purpose(StrEnum):
    """Permissible purposes, modelled on the licensing-agency uses of 18 U.S.C. 2721(b).

    Immigration enforcement is deliberately not a purpose: no value here admits it.
    """

    LICENSE_ISSUANCE = "license_issuance"
    LICENSE_RENEWAL = "license_renewal"
    LICENSE_REPLACEMENT = "license_replacement"
    ID_CARD_ISSUANCE = "id_card_issuance"
    CHANGE_OF_STATE_OF_RECORD = "change_of_state_of_record"
    DUPLICATE_INVESTIGATION = "duplicate_investigation"


MIN_NAME_LETTERS = 2


@dataclass(frozen=True, slots=True)
class SearchInquiry:
    identity: Identity
    purpose: Purpose

    def validate(self, today: date) -> None:
        """Raise ValidationFailed unless this names one real person; ``today`` bounds the DOB."""
        errors = self.identity.validate()
        for field_name in ("first_name", "last_name"):
            # Letters as typed: transliteration would spell an emoji out in words.
            letters = sum(ch.isalpha() for ch in getattr(self.identity, field_name))
            if letters < MIN_NAME_LETTERS:
                errors.append(
                    FieldError(field_name, f"needs at least {MIN_NAME_LETTERS} letters: "
                               "an inquiry must name one specific person")
                )  # fmt: skip
        if self.identity.dob > today:
            errors.append(FieldError("dob", "is in the future"))
        if self.identity.aka_names:
            errors.append(FieldError("aka_names", "is not accepted in an inquiry"))
        if errors:
            raise ValidationFailed(errors)
