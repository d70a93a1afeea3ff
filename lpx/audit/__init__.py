"""The tamper-evident audit log: RFC 9162 Merkle tree over canonical entries, signed heads.

``build_audit`` is the composition step the hub's bootstrap calls (until it does, the
audit routes build the service from the hub's settings and engine on first use).
"""

from __future__ import annotations

from sqlalchemy import Engine

from lpx.audit.service import AuditService
from lpx.audit.signing import FileKeyProvider, KeyProvider, TreeHeadSigner
from lpx.config import Settings

KEY_FILE = "audit-signing.key"


def build_audit(settings: Settings, engine: Engine,
                keys: KeyProvider | None = None) -> AuditService:  # fmt: skip
    provider = keys or FileKeyProvider(settings.data_dir / KEY_FILE)
    return AuditService(engine, TreeHeadSigner(provider))


__all__ = ["AuditService", "build_audit"]
