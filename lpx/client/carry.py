"""The state's side of the carry protocol: one SSN-5 decoy per person across states.

At issuance the clerk's tool searches the hub anyway. The clerk judges every candidate
(photo, documents); for the first one confirmed as the applicant the tool asks the hub for
that pointer's SSN tokens (``POST /v1/inquiries/carry``, naming the search's inquiry id and
the pointer; the hub does not rerun the search), and ``issuance_tokens`` then
adopts them for an applicant without an SSN, or derives a decoy set apart from the
namesakes the clerk rejected. The exchange is the same for every applicant, with or without
an SSN, so the hub cannot tell which one it served (docs/privacy.md, "Carrying the decoy").
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lpx.client.hub import Candidate, HubClient
from lpx.client.keys import NetworkKeys
from lpx.client.ssn import IssuanceOutcome, ssn_tokens_for
from lpx.domain.records import SsnTokens

# The clerk's judgement of one candidate: True when it is the applicant.
Judge = Callable[[Candidate], bool]


def resolve_issuance(
    client: HubClient,
    keys: NetworkKeys,
    judge: Judge,
    *,
    ssn_last5: str | None,
    first_name: str,
    last_name: str,
    dob: date,
    purpose: str = "license_issuance",
    middle_name: str = "",
    suffix: str = "",
    sex: str | None = None,
) -> IssuanceOutcome:
    """Search, let the clerk judge the candidates, carry the confirmed pointer's tokens.

    The inquiry sends the applicant's plain tokens (real SSN-5, or the counter-0 decoy), like
    any inquiry. ``namesakes`` counts ``match`` candidates the clerk set apart: a namesake
    without an SSN has the same plain decoy, and the counter moves this applicant off it.
    Pass the outcome to :func:`lpx.client.ssn.issuance_tokens` for the record to load.
    """
    plain = ssn_tokens_for(ssn_last5, first_name, last_name, dob, keys)
    found = client.inquire(first_name=first_name, last_name=last_name, dob=dob,
                           purpose=purpose, middle_name=middle_name, suffix=suffix, sex=sex,
                           ssn=plain)  # fmt: skip
    confirmed: Candidate | None = None
    namesakes = 0
    for candidate in found.candidates:
        if judge(candidate):
            confirmed = confirmed or candidate
        elif candidate.match_class == "match":
            namesakes += 1
    if confirmed is None:
        return IssuanceOutcome(None, namesakes)
    tokens = client.carry(inquiry_id=found.inquiry_id, pointer_id=confirmed.pointer_id)
    return IssuanceOutcome(tokens, namesakes)


# --- the state's carry book: what each issuance decided, so reloads keep it -----------------
#
# ``lpx load`` derives tokens from the state's file; a carried value is not in the file, so
# the state keeps each record's issuance outcome in a JSON-lines book beside it (one line per
# record, with or without an SSN, the last line for a record wins) and the loader applies it.
# The book holds tokens that the network keys can turn back into SSN-5 values: it is as
# sensitive as the state's own SSN column, so it is written with mode 0600.


def record_outcome(book: Path, record_id: str, outcome: IssuanceOutcome) -> None:
    """Append the issuance outcome of ``record_id`` to the state's carry book."""
    confirmed = outcome.confirmed
    line = {"record_id": record_id, "namesakes": outcome.namesakes,
            "confirmed": [confirmed.full, *confirmed.masked] if confirmed else None}  # fmt: skip
    fd = os.open(book, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, separators=(",", ":")) + "\n")


def read_carry_book(book: Path) -> dict[str, IssuanceOutcome]:
    """Every record's latest issuance outcome; ValueError names a malformed line."""
    out: dict[str, IssuanceOutcome] = {}
    with book.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                entry = json.loads(text)
                tokens = entry["confirmed"]
                confirmed = SsnTokens(str(tokens[0]), tuple(str(t) for t in tokens[1:6])) \
                    if tokens else None  # fmt: skip
                out[str(entry["record_id"])] = IssuanceOutcome(confirmed, int(entry["namesakes"]))
            except (ValueError, KeyError, IndexError, TypeError) as exc:
                raise ValueError(f"{book}: line {number} is not a carry-book entry") from exc
    return out
