"""Console sign-ins, kept on the server: the browser's cookie holds only a random reference.

The signed cookie (Starlette's SessionMiddleware) carries the session id and the CSRF token.
The jurisdiction's API key is kept in the hub's database, shared by every worker process,
sealed (AES-256-GCM) under a key derived from the session id, and found by a hash of that
id: neither the database nor the cookie alone yields the key. It is presented to
``AccessService.authenticate`` on every request exactly as an API call presents it, so a
revoked key ends every console session at its next click. Sessions end on sign-out, after
``idle`` without a request, and after ``MAX_AGE`` in any case.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Engine

from lpx.storage.console_tables import ConsoleSessionRepository

MAX_AGE = 8 * 3600.0  # seconds: a working day, then sign in again
MAX_SESSIONS = 10_000  # a bound on the table; the oldest sign-ins go first
# A request writes ``last_seen`` only when the stored one is older than this: most clicks
# read the row without writing it, and a session may end idle up to this much early.
TOUCH_EVERY = 30.0


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    api_key: str
    user_id: str


def _hash(sid: str) -> bytes:
    return hashlib.sha256(b"lpx console session id|" + sid.encode()).digest()


def _aead(sid: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"lpx console session key").derive(sid.encode())  # fmt: skip
    return AESGCM(key)


class SessionStore:
    """Sign-ins in the database, keyed by (a hash of) a 256-bit random id."""

    def __init__(self, engine: Engine, idle_seconds: float,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self._engine = engine
        self._idle = idle_seconds
        self._clock = clock

    def open(self, api_key: str, user_id: str) -> str:
        now = self._clock()
        sid = secrets.token_urlsafe(32)
        nonce = os.urandom(12)
        sealed = nonce + _aead(sid).encrypt(nonce, api_key.encode(), user_id.encode())
        with self._engine.begin() as conn:
            repo = ConsoleSessionRepository(conn)
            repo.purge(now - self._idle, now - MAX_AGE)
            repo.add(_hash(sid), user_id, sealed, now)
            repo.keep_newest(MAX_SESSIONS)
        return sid

    def get(self, sid: str | None) -> ConsoleSession | None:
        """The live session for ``sid`` (touching it), or None if unknown or expired."""
        if not sid:
            return None
        now, key = self._clock(), _hash(sid)
        with self._engine.begin() as conn:
            repo = ConsoleSessionRepository(conn)
            found = repo.get(key)
            if found is None:
                return None
            if now - found.last_seen > self._idle or now - found.created > MAX_AGE:
                repo.remove(key)
                return None
            if now - found.last_seen > TOUCH_EVERY:
                repo.touch(key, now)
        nonce, sealed = found.sealed_key[:12], found.sealed_key[12:]
        try:
            api_key = _aead(sid).decrypt(nonce, sealed, found.user_id.encode()).decode()
        except InvalidTag:  # a row not sealed for this id: treat as no session
            return None
        return ConsoleSession(api_key, found.user_id)

    def close(self, sid: str | None) -> None:
        if sid:
            with self._engine.begin() as conn:
                ConsoleSessionRepository(conn).remove(_hash(sid))
