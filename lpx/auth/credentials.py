"""API keys for jurisdiction systems: random, shown once, stored only as a SHA-256 hash.

Keys carry 256 bits of entropy, so a fast hash is enough (no password stretching needed).
"""

from __future__ import annotations

import hashlib
import secrets

PREFIX = "lpx_"


def new_api_key(jurisdiction: str) -> str:
    return f"{PREFIX}{jurisdiction.lower()}_{secrets.token_urlsafe(32)}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
