"""Turn one row of a state's license file into the hub's PointerIn shape.

Parsing is strict about formats (dates, enums, SSN-5) and then hands the result to the domain's
:meth:`PointerRecord.validate`, the same rules the hub applies, so a row that passes here is not
rejected by the hub for a rule the state could have checked. SSN-5 digits are turned into keyed
tokens here and go no further: the returned dict holds tokens only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from lpx.client.files import SHAPE_KEY, Row
from lpx.client.ssn import ssn_tokens_for
from lpx.domain.errors import ValidationFailed
from lpx.domain.policy import UploadPolicy
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Sex, Status

if TYPE_CHECKING:
    from lpx.client.keys import NetworkKeys

PointerIn = dict[str, Any]
_E = TypeVar("_E", bound=StrEnum)

# The hub takes the jurisdiction from the API key; this stands in when the caller does not name
# one, only so the shared validator can run.
UNNAMED_JURISDICTION = "ZZ"

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SSN5_RE = re.compile(r"[0-9]{5}")
_TRUE = frozenset({"true", "1", "yes", "y"})
_FALSE = frozenset({"false", "0", "no", "n"})
_CARD_TYPES = {c.value.lower(): c for c in CardType}
_STATUSES = {s.value.lower(): s for s in Status}
_SEXES = {s.value.lower(): s for s in Sex}
# Placeholders let the domain validator run on the fields that did parse; its findings on a
# field that failed to parse are dropped, since the parse error already says what is wrong.
_PLACEHOLDER_DATE = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one field of one row cannot be loaded: what a clerk needs to fix the file."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field} {self.message}"


class InvalidRow(Exception):
    """A row failed parsing or validation; ``errors`` names every bad field at once."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))


class Withheld(Exception):
    """A valid row the state's upload policy keeps at home: it is not sent, and not an error."""

    def __init__(self, line: int, reasons: list[str]) -> None:
        self.line = line
        super().__init__(f"line {line}: withheld by the upload policy ({'; '.join(reasons)})")


class _Collector:
    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[RowError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(RowError(self.line, field, message))

    @property
    def fields(self) -> set[str]:
        return {e.field for e in self.errors}


def _date(raw: str, field: str, out: _Collector, *, required: bool) -> date | None:
    value = raw.strip()
    if not value:
        if required:
            out.add(field, "is required")
        return None
    if not _DATE_RE.fullmatch(value):
        out.add(field, f"must be a date written YYYY-MM-DD, not {value!r}")
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        out.add(field, f"is not a real date: {value!r}")
        return None


def _choice(raw: str, field: str, choices: dict[str, _E], out: _Collector) -> _E | None:
    value = raw.strip()
    if not value:
        out.add(field, "is required")
        return None
    found = choices.get(value.lower())
    if found is None:
        allowed = ", ".join(str(v) for v in choices.values())
        out.add(field, f"must be one of {allowed}, not {value!r}")
    return found


def _bool(raw: str, field: str, out: _Collector) -> bool | None:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    out.add(field, "must be true or false (also 1/0, yes/no, Y/N)")
    return None


def _ssn_last5(raw: str, out: _Collector) -> str | None:
    """The SSN-5 digits, or None for "no SSN" (empty or 99999, both made into a decoy)."""
    value = raw.strip()
    if not value or value == "99999":
        return None
    if not _SSN5_RE.fullmatch(value):
        # Never echo the value: it may be SSN digits.
        out.add("ssn_last5", "must be exactly 5 digits, or empty when there is no SSN")
        return None
    return value


def parse_row(
    line: int,
    row: Row,
    keys: NetworkKeys,
    jurisdiction: str = UNNAMED_JURISDICTION,
    policy: UploadPolicy | None = None,
) -> PointerIn:
    """Validate ``row`` (read from ``line``) and return it as a JSON-ready PointerIn.

    Raises :class:`InvalidRow` listing every bad field. The SSN is always sent as tokens:
    a real SSN-5 as its tokens, no SSN as a decoy indistinguishable from them.
    With a ``policy``, a card it keeps home raises :class:`Withheld` (before any token is
    made), and the optional fields it withholds are left out of the result.
    """
    out = _Collector(line)
    if SHAPE_KEY in row:
        raise InvalidRow([RowError(line, "row", row[SHAPE_KEY])])

    record_id = row.get("record_id", "").strip()
    if not record_id:
        out.add("record_id", "is required")
    first_name = row.get("first_name", "").strip()
    middle_name = row.get("middle_name", "").strip()
    last_name = row.get("last_name", "").strip()
    suffix = row.get("suffix", "").strip()
    aka_names = tuple(a.strip() for a in row.get("aka_names", "").split(";") if a.strip())
    card_type = _choice(row.get("card_type", ""), "card_type", _CARD_TYPES, out)
    status = _choice(row.get("status", ""), "status", _STATUSES, out)
    real_id = _bool(row.get("real_id", ""), "real_id", out)
    sex_raw = row.get("sex", "").strip()
    sex = _choice(sex_raw, "sex", _SEXES, out) if sex_raw else None
    dob = _date(row.get("dob", ""), "dob", out, required=True)
    issue_date = _date(row.get("issue_date", ""), "issue_date", out, required=False)
    expiry_date = _date(row.get("expiry_date", ""), "expiry_date", out, required=False)
    ssn5 = _ssn_last5(row.get("ssn_last5", ""), out)

    record = PointerRecord(
        jurisdiction=jurisdiction,
        record_id=record_id or "placeholder",
        identity=Identity(
            first_name=first_name,
            last_name=last_name,
            dob=dob or _PLACEHOLDER_DATE,
            middle_name=middle_name,
            suffix=suffix,
            sex=sex,
            aka_names=aka_names,
        ),
        card=Card(
            card_type=card_type or CardType.DL,
            real_id=bool(real_id),
            status=status or Status.ACTIVE,
            issue_date=issue_date,
            expiry_date=expiry_date,
        ),
    )
    failed = out.fields
    try:
        record.validate()
    except ValidationFailed as exc:
        for err in exc.errors:
            if err.field not in failed:
                out.add(err.field, err.message)
    if out.errors:
        raise InvalidRow(out.errors)

    if policy is not None and not policy.admits(record):
        raise Withheld(line, [f"{e.field} {e.message}" for e in policy.refusals(record)])
    # Parsing reported every None below as an error, so none is left here.
    assert dob is not None
    assert card_type is not None
    assert status is not None
    assert real_id is not None
    # The record's name lets a decoy (no SSN) mimic the rare stored-record digit slip.
    tokens = ssn_tokens_for(
        ssn5, first_name, last_name, dob, keys,
        aka_names=aka_names, record=f"{jurisdiction}/{record_id}",
    )  # fmt: skip
    pointer: PointerIn = {
        "record_id": record_id,
        "card_type": card_type.value,
        "real_id": real_id,
        "first_name": first_name,
        "middle_name": middle_name,
        "last_name": last_name,
        "suffix": suffix,
        "aka_names": list(aka_names),
        "dob": dob.isoformat(),
        "sex": sex.value if sex is not None else None,
        "ssn": {"full": tokens.full, "masked": list(tokens.masked)},
        "issue_date": issue_date.isoformat() if issue_date else None,
        "expiry_date": expiry_date.isoformat() if expiry_date else None,
        "status": status.value,
    }
    return _strip(pointer, policy) if policy is not None else pointer


def _strip(pointer: PointerIn, policy: UploadPolicy) -> PointerIn:
    """Drop the optional fields the policy withholds (the same rule as ``UploadPolicy.strip``)."""
    empty: dict[str, Any] = {"middle_name": "", "suffix": "", "sex": None, "aka_names": [],
                             "ssn": None}  # fmt: skip
    for name in empty.keys() - {f.value for f in policy.fields}:
        pointer[name] = empty[name]
    return pointer
