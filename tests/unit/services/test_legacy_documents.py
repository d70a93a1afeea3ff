"""Identity documents stored before the last-digit mask was dropped still open, as four masks.

Such a document holds a fifth masked token (the last digit's), which would let consecutive
SSNs (twins) agree where decoys cannot (docs/privacy.md, "Why no mask on the last digit"):
the hub must ignore it on read, in the identity and in the match profile alike, so neither
comparison nor a rebuilt index ever uses it.
"""

from __future__ import annotations

import json
from datetime import date

from lpx.domain.blocking import pointer_keys
from lpx.domain.profile import MatchProfile
from lpx.domain.records import MASKED_TOKEN_COUNT, Identity, SsnTokens
from lpx.services.codec import identity_document, parse_identity

TOKENS = SsnTokens("f" * 32, tuple(str(i) * 32 for i in range(MASKED_TOKEN_COUNT)))
LAST_DIGIT_MASK = "e" * 32


def _legacy_document() -> str:
    identity = Identity(first_name="Ana", last_name="Lee", dob=date(1990, 2, 3), ssn=TOKENS)
    doc = json.loads(identity_document(identity, MatchProfile.of(identity)))
    doc["ssn"].append(LAST_DIGIT_MASK)
    doc["profile"]["s"].append(LAST_DIGIT_MASK)
    return json.dumps(doc)


def test_a_legacy_document_opens_with_four_masked_tokens() -> None:
    identity, profile = parse_identity(_legacy_document())
    assert identity.ssn == TOKENS
    assert identity.ssn.validate() == []
    assert profile.ssn_masked == TOKENS.masked


def test_no_block_key_is_made_from_the_last_digit_mask() -> None:
    _, profile = parse_identity(_legacy_document())
    assert not any(LAST_DIGIT_MASK in key for key in pointer_keys(profile))
    assert {key.split("|", 1)[0] for key in pointer_keys(profile) if key.startswith("Q")} == {
        f"Q{i}" for i in range(MASKED_TOKEN_COUNT)
    }
