"""The default KEK provider: one 32-byte key file per state under ``DATA_DIR/kek/``.

Good for a single-host hub and for tests. A KEK file on the same disk as the database is
only as safe as that disk's access control, and deleting a file does not reliably erase it
from a journaling file system or an SSD; production hubs should use a KMS or HSM provider.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lpx.keys.provider import KeyDestroyed, KeyUnavailable

_CODE = re.compile(r"[A-Z]{2}\Z")
_NONCE = 12


class FileKeyProvider:
    """KEKs as files (hex, mode 0600); loading refuses a file that group or others can read."""

    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, jurisdiction: str) -> Path:
        if not _CODE.match(jurisdiction):
            raise ValueError("jurisdiction must be a two-letter code")
        return self.directory / f"{jurisdiction}.kek"

    def _load(self, jurisdiction: str, *, create: bool) -> AESGCM:
        path = self._path(jurisdiction)
        if not path.exists():
            if not create:
                raise KeyDestroyed(jurisdiction)
            self._publish(path)
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyUnavailable(f"{path} is readable by group or others; chmod 600 it")
        try:
            return AESGCM(bytes.fromhex(path.read_text().strip()))
        except ValueError as exc:
            raise KeyUnavailable(f"{path} does not hold a 32-byte hex key") from exc

    def _publish(self, path: Path) -> None:
        """Create the key file whole or not at all.

        The key is written and flushed under a private name, then hard-linked to its own:
        the link fails if another thread or process got there first, and a reader never
        sees a file that is still being written (an O_EXCL file is visible empty).
        """
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another got there first: use theirs
                os.link(draft, path)
        finally:
            draft.unlink()

    def wrap(self, jurisdiction: str, key: bytes, context: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + self._load(jurisdiction, create=True).encrypt(nonce, key, context)

    def unwrap(self, jurisdiction: str, wrapped: bytes, context: bytes) -> bytes:
        kek = self._load(jurisdiction, create=False)
        try:
            return kek.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], context)
        except InvalidTag:
            # Wrapped under an earlier, destroyed KEK (or moved from another row).
            raise KeyDestroyed(jurisdiction) from None

    def destroy(self, jurisdiction: str) -> None:
        """Overwrite, flush and delete the KEK file (best effort against the disk's copies)."""
        path = self._path(jurisdiction)
        if not path.exists():
            return
        size = path.stat().st_size
        with path.open("r+b") as fh:
            fh.write(b"\0" * size)
            fh.flush()
            os.fsync(fh.fileno())
        path.unlink()
