"""Network keys: shared by the participating states, never loaded by the hub.

``token_key`` turns SSN-5 values into tokens; ``decoy_key`` picks the decoy value for a person
without an SSN. They are separate so that the decoy derivation can be rotated or audited
without touching tokens, and so that a leak of one does not hand over the other.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

KEY_BYTES = 32
ENV_VAR = "LPX_NETWORK_KEYS"
_FIELDS = ("token_key", "decoy_key")


class KeyFileError(ValueError):
    """The key file is missing, malformed or holds keys of the wrong size."""


class InsecureKeyFileError(KeyFileError):
    """The key file can be read by users other than its owner; fix with ``chmod 600``."""


@dataclass(frozen=True, slots=True)
class NetworkKeys:
    """The two 32-byte network keys. ``repr`` never shows key bytes, so logs stay clean."""

    token_key: bytes = field(repr=False)
    decoy_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != KEY_BYTES:
                raise KeyFileError(f"{name} must be exactly {KEY_BYTES} bytes")
        if self.token_key == self.decoy_key:
            raise KeyFileError("token_key and decoy_key must differ")

    def __repr__(self) -> str:
        return "NetworkKeys(token_key=<redacted>, decoy_key=<redacted>)"

    __str__ = __repr__

    @classmethod
    def generate(cls) -> NetworkKeys:
        """Fresh random keys from the OS CSPRNG, for a new network or a test."""
        return cls(secrets.token_bytes(KEY_BYTES), secrets.token_bytes(KEY_BYTES))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the keys as JSON (hex) to a file only its owner can read.

        A new file is created with mode 0600; an existing one is chmod-ed before any key
        byte is written, so the keys are never readable by others, not even for a moment.
        """
        target = Path(path)
        payload = json.dumps(
            {"version": 1, **{name: getattr(self, name).hex() for name in _FIELDS}}
        )
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, payload.encode("ascii"))
        finally:
            os.close(fd)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> NetworkKeys:
        """Read a key file written by :meth:`save` (hex) or by hand (hex or base64).

        Refuses a file that group or others can read: a key readable by every local user
        is a key that has leaked.
        """
        source = Path(path)
        try:
            mode = source.stat().st_mode
        except OSError as exc:
            raise KeyFileError(f"cannot read network key file {source}: {exc.strerror}") from exc
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InsecureKeyFileError(
                f"network key file {source} is accessible to group or others "
                f"(mode {stat.S_IMODE(mode):04o}); run: chmod 600 {source}"
            )
        try:
            data = json.loads(source.read_text(encoding="ascii"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KeyFileError(f"network key file {source} is not valid JSON") from exc
        if not isinstance(data, dict):
            raise KeyFileError(f"network key file {source} must hold a JSON object")
        values = [_decode(name, data.get(name), source) for name in _FIELDS]
        return cls(*values)

    @classmethod
    def from_env(cls) -> NetworkKeys:
        """Load the key file named by ``LPX_NETWORK_KEYS``; the state side's only entry point."""
        path = os.environ.get(ENV_VAR, "").strip()
        if not path:
            raise KeyFileError(f"{ENV_VAR} is not set; point it at the network key file")
        return cls.load(path)


def _decode(name: str, value: object, source: Path) -> bytes:
    if not isinstance(value, str) or not value.strip():
        raise KeyFileError(f"network key file {source} lacks {name}")
    text = value.strip()
    raw: bytes | None = None
    if len(text) == 2 * KEY_BYTES:
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raw = None
    if raw is None:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) != KEY_BYTES:
        raise KeyFileError(f"{name} in {source} must be {KEY_BYTES} bytes as hex or base64")
    return raw


def generate() -> NetworkKeys:
    """Module-level shortcut for :meth:`NetworkKeys.generate`."""
    return NetworkKeys.generate()


def load(path: str | os.PathLike[str]) -> NetworkKeys:
    """Module-level shortcut for :meth:`NetworkKeys.load`."""
    return NetworkKeys.load(path)


def save(keys: NetworkKeys, path: str | os.PathLike[str]) -> None:
    """Module-level shortcut for :meth:`NetworkKeys.save`."""
    keys.save(path)


def from_env() -> NetworkKeys:
    """Module-level shortcut for :meth:`NetworkKeys.from_env`."""
    return NetworkKeys.from_env()
