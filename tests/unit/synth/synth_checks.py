"""Shared check for synthetic rows: what every consumer of the files relies on.

Imported by the synth tests (pytest puts this directory on sys.path).
"""

from __future__ import annotations

import re
from datetime import date

from lpx.domain.records import RECORD_ID_RE
from lpx.synth import COLUMNS

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATUSES = {"active", "expired", "cancelled", "surrendered", "suspended", "revoked"}


def _plus_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return date(d.year + years, 3, 1)


def check_row(row: dict[str, str]) -> None:
    assert tuple(row) == COLUMNS
    assert RECORD_ID_RE.match(row["record_id"]), row
    assert row["card_type"] in {"DL", "ID", "CDL", "permit"}
    assert row["real_id"] in {"true", "false"}
    for name in ("first_name", "last_name"):
        assert row[name].strip(), row
    for name in ("first_name", "middle_name", "last_name", "suffix"):
        assert len(row[name]) <= 64
        assert not any(c in row[name] for c in "*%?_,;\n"), row
    assert row["suffix"] in {"", "Jr", "Sr", "II", "III"}
    for aka in filter(None, row["aka_names"].split(";")):
        assert aka.strip()
        assert len(aka) <= 128
    assert row["sex"] in {"F", "M", "X"}
    ssn = row["ssn_last5"]
    assert ssn == "" or re.fullmatch(r"\d{5}", ssn), row
    for name in ("dob", "issue_date", "expiry_date"):
        assert DATE_RE.match(row[name]), row
    dob = date.fromisoformat(row["dob"])
    issue = date.fromisoformat(row["issue_date"])
    expiry = date.fromisoformat(row["expiry_date"])
    assert dob.year >= 1900
    assert issue > _plus_years(dob, 15), row
    assert expiry > issue, row
    assert row["status"] in STATUSES
