"""The privacy safeguards the hub composes around its services (docs/privacy.md): the rate
and enumeration guard on every inquiry, alerts, outside requests and the transparency report,
plus the job that sends held notices the day a gag order ends."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from sqlalchemy import Engine

from lpx.audit.service import AuditLog
from lpx.config import Settings
from lpx.domain.enumeration import Thresholds
from lpx.services.enumeration import AlertService, DetectionPolicy, InquiryGuard
from lpx.services.limits import RateGuard, RatePolicy, build_limiter
from lpx.services.outside import OutsideService
from lpx.services.search import SearchService
from lpx.services.transparency import TransparencyService
from lpx.storage.uow import UnitOfWork

log = logging.getLogger("lpx.safeguards")


@dataclass
class Safeguards:
    guard: InquiryGuard
    alerts: AlertService
    outside: OutsideService
    transparency: TransparencyService


def build_safeguards(settings: Settings, engine: Engine, search: SearchService,
                     audit: AuditLog, index_key: bytes) -> Safeguards:  # fmt: skip
    """Build the safeguards and put the guard in front of ``search``, so every caller of the
    search service (API, CLI, jobs) passes the same rate and enumeration checks."""
    s = settings
    rates = RateGuard(build_limiter(s.redis_url, engine),
                      RatePolicy(s.rate_user_per_minute, s.rate_user_per_hour,
                                 s.rate_jurisdiction_per_hour,
                                 s.rate_jurisdiction_per_day))  # fmt: skip
    policy = DetectionPolicy(timedelta(hours=s.enumeration_window_hours),
                             timedelta(hours=s.enumeration_cooldown_hours),
                             s.off_hours_utc,
                             Thresholds(daily_inquiries=s.enumeration_max_user_inquiries,
                                        daily_people=s.enumeration_max_user_people))  # fmt: skip
    guard = InquiryGuard(index_key, rates, audit, policy)
    search.guard = guard
    outside = OutsideService(engine, partial(UnitOfWork, engine), search, index_key, audit,
                             timedelta(days=s.outside_objection_days),
                             s.outside_max_individuals)  # fmt: skip
    return Safeguards(guard, AlertService(engine), outside, TransparencyService(engine))


class SafeguardJob:
    """Sends held notices the day their gag order ends (a daemon thread of the app)."""

    def __init__(self, safeguards: Safeguards, every_s: float = 60.0) -> None:
        self._s = safeguards
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lpx-safeguards", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._s.outside.release_due_notices()
            except Exception as exc:  # keep running; the next round retries the same rows
                log.error("safeguard job failed: %s", type(exc).__name__)
