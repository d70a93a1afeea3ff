"""Small builders shared by tests."""

from __future__ import annotations

from typing import Any

from lpx.domain.records import MASKED_TOKEN_COUNT


def auth(key: str, user: str = "clerk-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "X-LPX-User": user}


def pointer(record_id: str = "D1000001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "record_id": record_id, "card_type": "DL", "real_id": True,
        "first_name": "William", "middle_name": "James", "last_name": "Garcia Lopez",
        "suffix": "", "aka_names": [], "dob": "1980-03-05", "sex": "M", "ssn": None,
        "issue_date": "2020-01-02", "expiry_date": "2028-01-02", "status": "active",
    }  # fmt: skip
    body.update(overrides)
    return body


def tokens(seed: str) -> dict[str, Any]:
    """Well-formed SSN token shapes for API tests (real tokenizing lives in lpx.client)."""
    import hashlib

    def tok(s: str) -> str:
        return hashlib.sha256(s.encode()).hexdigest()[:32]

    return {"full": tok(seed), "masked": [tok(f"{seed}/{i}") for i in range(MASKED_TOKEN_COUNT)]}
