"""Seal the audit tree in batches, every N entries or T seconds, off the request path."""

from __future__ import annotations

import logging
import threading

from lpx.audit.service import AuditService

log = logging.getLogger("lpx.audit")


class BackgroundSealer:
    """A daemon thread that checks every ``poll`` seconds whether a batch is due, and seals.

    The app starts it in its lifespan; the tree-head route also seals on demand, so a state
    never waits for the timer.
    """

    def __init__(self, service: AuditService, every_entries: int = 1000,
                 every_seconds: float = 10.0, poll: float = 1.0) -> None:  # fmt: skip
        self._service = service
        self._every_entries = every_entries
        self._every_us = int(every_seconds * 1_000_000)
        self._poll = poll
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> bool:
        """Seal if due; return whether it sealed. Errors are logged, never raised."""
        try:
            if self._service.sealing_due(self._every_entries, self._every_us):
                self._service.seal()
                return True
        except Exception as exc:  # keep sealing later; the next tree-head request retries too
            log.error("audit sealing failed: %s", type(exc).__name__)
        return False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="lpx-audit-sealer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._poll):
            self.run_once()
