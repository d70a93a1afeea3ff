"""Identity documents: what a new one holds, and the older forms the hub still opens.

A new document names the SSN tokens and the birth date once, in the identity; the match
profile leaves them out when they are the same, and readers fill them back in. Documents
written before hold them twice, and those written before the last-digit mask was dropped
hold a fifth masked token (the last digit's), which would let consecutive SSNs (twins) agree
where decoys cannot (docs/privacy.md, "Why no mask on the last digit"): the hub must ignore
it on read, in the identity and in the match profile alike, so neither comparison nor a
rebuilt index ever uses it.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from lpx.domain.blocking import pointer_keys
from lpx.domain.profile import MatchProfile
from lpx.domain.records import MASKED_TOKEN_COUNT, Identity, Sex, SsnTokens
from lpx.domain.vectorized import ProfileArrays
from lpx.services.codec import identity_document, parse_identity, profile_data, profile_of

TOKENS = SsnTokens("f" * 32, tuple(str(i) * 32 for i in range(MASKED_TOKEN_COUNT)))
LAST_DIGIT_MASK = "e" * 32
WITH_SSN = Identity(first_name="Ana", last_name="Lee", dob=date(1990, 2, 3), ssn=TOKENS,
                    aka_names=("Ana Park",), sex=Sex.FEMALE)  # fmt: skip
WITHOUT_SSN = Identity(first_name="José", middle_name="Luis", last_name="García Márquez",
                       dob=date(1961, 12, 30))  # fmt: skip


def _written_twice(identity: Identity) -> dict[str, object]:
    """The form stored before the profile left out what the identity holds."""
    doc = json.loads(identity_document(identity, MatchProfile.of(identity)))
    doc["profile"] = MatchProfile.of(identity).to_dict()
    return doc


@pytest.mark.parametrize("identity", [WITH_SSN, WITHOUT_SSN], ids=["ssn", "no-ssn"])
def test_the_profile_names_the_ssn_tokens_and_birth_date_only_in_the_identity(
    identity: Identity,
) -> None:
    document = identity_document(identity, MatchProfile.of(identity))
    assert set(json.loads(document)["profile"]) == {"n", "x", "a"}
    assert len(document) < len(json.dumps(_written_twice(identity), separators=(",", ":")))
    assert parse_identity(document) == (identity, MatchProfile.of(identity))
    assert profile_of(document) == MatchProfile.of(identity)


@pytest.mark.parametrize("identity", [WITH_SSN, WITHOUT_SSN], ids=["ssn", "no-ssn"])
def test_a_document_holding_them_twice_opens_the_same(identity: Identity) -> None:
    document = json.dumps(_written_twice(identity))
    assert parse_identity(document) == (identity, MatchProfile.of(identity))
    assert profile_of(document) == MatchProfile.of(identity)


def test_a_profile_that_differs_from_the_identity_keeps_its_own() -> None:
    unknown_dob = MatchProfile.of(WITH_SSN, dob_known=False)  # as offline files profile it
    no_tokens = MatchProfile.of(WITHOUT_SSN)
    for identity, profile in ((WITH_SSN, unknown_dob), (WITH_SSN, no_tokens)):
        document = identity_document(identity, profile)
        assert parse_identity(document) == (identity, profile)
        assert profile_of(document) == profile


def _legacy_document() -> str:
    doc = _written_twice(WITH_SSN)
    doc["ssn"].append(LAST_DIGIT_MASK)  # type: ignore[attr-defined]
    doc["profile"]["s"].append(LAST_DIGIT_MASK)  # type: ignore[index]
    return json.dumps(doc)


def test_a_legacy_document_opens_with_four_masked_tokens() -> None:
    identity, profile = parse_identity(_legacy_document())
    assert identity.ssn == TOKENS
    assert identity.ssn.validate() == []
    assert profile.ssn_masked == TOKENS.masked


def test_a_legacy_documents_candidate_columns_hold_four_masked_tokens() -> None:
    """Case opening puts candidates into columns from their data, not their profile."""
    columns = ProfileArrays.of_candidate_data([profile_data(_legacy_document())])
    assert columns.masked.tolist() == [list(TOKENS.masked)]
    assert columns.ssn.tolist() == [TOKENS.full]


def test_no_block_key_is_made_from_the_last_digit_mask() -> None:
    _, profile = parse_identity(_legacy_document())
    assert not any(LAST_DIGIT_MASK in key for key in pointer_keys(profile))
    assert {key.split("|", 1)[0] for key in pointer_keys(profile) if key.startswith("Q")} == {
        f"Q{i}" for i in range(MASKED_TOKEN_COUNT)
    }
