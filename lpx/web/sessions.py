"""Console sign-ins, kept on the server: the browser's cookie holds only a random reference.

The signed cookie (Starlette's SessionMiddleware) carries the session id and the CSRF token;
the jurisdiction's API key stays here, in this process's memory, and is presented to
``AccessService.authenticate`` on every request exactly as an API call presents it, so a
revoked key ends every console session at its next click. Sessions end on sign-out, after
``idle`` without a request, and after ``MAX_AGE`` in any case. The store is per process:
a hub run with several worker processes needs sticky sessions (or signs users in again).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_AGE = 8 * 3600.0  # seconds: a working day, then sign in again
MAX_SESSIONS = 10_000  # a bound on memory; the oldest sign-ins go first


@dataclass
class ConsoleSession:
    api_key: str
    user_id: str
    created: float
    last_seen: float


class SessionStore:
    """Thread-safe in-memory sessions keyed by a 256-bit random id."""

    def __init__(self, idle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle = idle_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, ConsoleSession] = {}

    def open(self, api_key: str, user_id: str) -> str:
        now = self._clock()
        sid = secrets.token_urlsafe(32)
        with self._lock:
            self._purge(now)
            if len(self._sessions) >= MAX_SESSIONS:
                oldest = min(self._sessions, key=lambda k: self._sessions[k].created)
                del self._sessions[oldest]
            self._sessions[sid] = ConsoleSession(api_key, user_id, now, now)
        return sid

    def get(self, sid: str | None) -> ConsoleSession | None:
        """The live session for ``sid`` (touching it), or None if unknown or expired."""
        if not sid:
            return None
        now = self._clock()
        with self._lock:
            found = self._sessions.get(sid)
            if found is None:
                return None
            if self._expired(found, now):
                del self._sessions[sid]
                return None
            found.last_seen = now
            return found

    def close(self, sid: str | None) -> None:
        with self._lock:
            self._sessions.pop(sid or "", None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expired(self, s: ConsoleSession, now: float) -> bool:
        return now - s.last_seen > self._idle or now - s.created > MAX_AGE

    def _purge(self, now: float) -> None:
        for sid in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[sid]
