"""Row parsing: the same rules as the hub, every bad field named, SSN digits never sent."""

from __future__ import annotations

import json
from datetime import date

import pytest

from lpx.client.files import COLUMNS, SHAPE_KEY
from lpx.client.keys import NetworkKeys
from lpx.client.rows import UNNAMED_JURISDICTION, InvalidRow, RowError, parse_row
from lpx.client.ssn import ssn_tokens_for
from lpx.domain.records import MASKED_TOKEN_COUNT

KEYS = NetworkKeys.generate()
ROW = {
    "record_id": "CA-0001",
    "card_type": "DL",
    "real_id": "true",
    "first_name": "Ana",
    "middle_name": "Maria",
    "last_name": "Díaz",
    "suffix": "",
    "aka_names": "Ann; Anita ;",
    "dob": "1990-02-03",
    "sex": "F",
    "ssn_last5": "01234",
    "issue_date": "2020-01-01",
    "expiry_date": "2028-01-01",
    "status": "active",
}


def errors_of(row: dict[str, str], line: int = 7) -> list[tuple[str, str]]:
    with pytest.raises(InvalidRow) as caught:
        parse_row(line, row, KEYS, "CA")
    assert all(e.line == line for e in caught.value.errors)
    return [(e.field, e.message) for e in caught.value.errors]


def test_good_row_becomes_pointer_in() -> None:
    tokens = ssn_tokens_for("01234", "Ana", "Díaz", date(1990, 2, 3), KEYS)
    assert parse_row(2, ROW, KEYS, "CA") == {
        "record_id": "CA-0001",
        "card_type": "DL",
        "real_id": True,
        "first_name": "Ana",
        "middle_name": "Maria",
        "last_name": "Díaz",
        "suffix": "",
        "aka_names": ["Ann", "Anita"],
        "dob": "1990-02-03",
        "sex": "F",
        "ssn": {"full": tokens.full, "masked": list(tokens.masked)},
        "issue_date": "2020-01-01",
        "expiry_date": "2028-01-01",
        "status": "active",
    }


def test_pointer_is_json_and_holds_no_ssn_digits() -> None:
    pointer = parse_row(2, ROW | {"ssn_last5": "98765"}, KEYS)
    text = json.dumps(pointer)
    assert "98765" not in text
    assert "ssn_last5" not in pointer


@pytest.mark.parametrize("no_ssn", ["", "  ", "99999"])
def test_no_ssn_sends_the_decoy_like_any_token_set(no_ssn: str) -> None:
    pointer = parse_row(2, ROW | {"ssn_last5": no_ssn}, KEYS)
    # The stored record's decoy, named as parse_row names it: its keyed digit-slip draw
    # (ssn.TYPO_RATE) belongs to the record, so the keys of a run cannot make this differ.
    decoy = ssn_tokens_for(None, "Ana", "Díaz", date(1990, 2, 3), KEYS,
                           record=f"{UNNAMED_JURISDICTION}/{ROW['record_id']}")  # fmt: skip
    assert pointer["ssn"] == {"full": decoy.full, "masked": list(decoy.masked)}
    real = parse_row(2, ROW, KEYS)["ssn"]
    assert pointer["ssn"] != real
    assert len(pointer["ssn"]["masked"]) == len(real["masked"]) == MASKED_TOKEN_COUNT


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("real_id", "Y", True),
        ("real_id", "no", False),
        ("real_id", "0", False),
        ("real_id", "TRUE", True),
        ("card_type", "PERMIT", "permit"),
        ("card_type", "cdl", "CDL"),
        ("status", "Suspended", "suspended"),
        ("sex", "x", "X"),
        ("sex", "", None),
        ("issue_date", "", None),
        ("aka_names", "", []),
    ],
)
def test_lenient_spellings_are_normalized(field: str, raw: str, expected: object) -> None:
    assert parse_row(2, ROW | {field: raw}, KEYS)[field] == expected


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("dob", "03/02/1990", "must be a date written YYYY-MM-DD"),
        ("dob", "1990-02-30", "is not a real date"),
        ("dob", "", "is required"),
        ("dob", "1899-12-31", "must be on or after 1900-01-01"),
        ("issue_date", "2020-13-01", "is not a real date"),
        ("card_type", "boat", "must be one of DL, ID, CDL, permit"),
        ("status", "lost", "must be one of active"),
        ("sex", "Q", "must be one of F, M, X"),
        ("real_id", "maybe", "must be true or false"),
        ("real_id", "", "must be true or false"),
        ("record_id", "", "is required"),
        ("record_id", "has space", "must be 1-32 letters, digits or hyphens"),
        ("first_name", " ", "is required"),
        ("last_name", "", "is required"),
        ("last_name", "Sm*th", "must not contain wildcard characters"),
        ("ssn_last5", "1234", "must be exactly 5 digits"),
        ("ssn_last5", "12a45", "must be exactly 5 digits"),
        ("ssn_last5", "١٢٣٤٥", "must be exactly 5 digits"),  # Arabic-Indic digits
        ("expiry_date", "2019-12-31", "is before issue_date"),
    ],
)
def test_bad_field_is_named(field: str, raw: str, message: str) -> None:
    found = errors_of(ROW | {field: raw})
    assert len(found) == 1, found
    assert found[0][0] == field
    assert message in found[0][1]


def test_dob_after_issue_date_comes_from_the_domain_rule() -> None:
    assert errors_of(ROW | {"dob": "2021-01-01"}) == [("dob", "is after the card's issue date")]


def test_all_bad_fields_reported_at_once_without_echoing_ssn() -> None:
    row = ROW | {"dob": "bad", "status": "", "first_name": "", "ssn_last5": "12-45"}
    found = errors_of(row)
    assert {f for f, _ in found} == {"dob", "status", "first_name", "ssn_last5"}
    assert all("12-45" not in m for _, m in found)


def test_a_failed_parse_is_not_reported_twice() -> None:
    # An unparsable dob must not also trip the domain's dob rules via the placeholder.
    found = errors_of(ROW | {"dob": "x", "issue_date": "1950-01-01", "expiry_date": "1960-01-01"})
    assert found == [("dob", "must be a date written YYYY-MM-DD, not 'x'")]


def test_shape_problem_from_the_reader_is_a_row_error() -> None:
    row = dict.fromkeys(COLUMNS, "") | {SHAPE_KEY: "has 3 fields, the header has 14"}
    assert errors_of(row, line=9) == [("row", "has 3 fields, the header has 14")]


def test_row_error_reads_like_a_sentence() -> None:
    assert str(RowError(12, "dob", "is required")) == "line 12: dob is required"
    with pytest.raises(InvalidRow, match="line 3: record_id is required"):
        parse_row(3, ROW | {"record_id": ""}, KEYS)
