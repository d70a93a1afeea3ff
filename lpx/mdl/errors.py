"""The one exception a verifier raises, so callers catch exactly one type."""

from __future__ import annotations


class VerificationError(Exception):
    """A presentation, trust list or status list failed a named check.

    ``check`` is a stable machine-readable name (``"mso_signature"``, ``"device_auth"``,
    ...) so relying parties can count failures without parsing prose; ``reason`` is for
    humans and never contains disclosed personal data.
    """

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason
