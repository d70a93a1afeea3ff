"""The guard every search passes first: throttles, rate limits, then enumeration detection.

Detection keeps a per-user record of recent inquiry *features* (keyed hashes, no names or
dates; see lpx/domain/enumeration.py) for ``window`` and purges it after. When a pattern
trips, the user is refused for a cool-down, an alert is stored for the states whose records
the user's recent inquiries touched (read from the audit log), each of them gets it in its
notification feed, and the audit log records it as ``enumeration.alert``.
Several flagged users under one credential throttle the whole credential, since the user
id is only what the state's system asserts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.enumeration import (
    Features,
    Pattern,
    Thresholds,
    detect,
    dob_hash,
    features_of,
    sequential_run,
)
from lpx.domain.inquiry import SearchInquiry
from lpx.domain.profile import MatchProfile
from lpx.services.limits import RateGuard, RateLimited
from lpx.storage.safeguard_repositories import (
    AlertRow,
    EnumerationRepository,
    Screen,
    Screening,
)
from lpx.storage.workflow_repositories import NotificationRepository

Now = Callable[[], datetime]
ALERT_NOTIFICATION = "enumeration_alert"  # the kind in the states' notification feeds
PURGE_EVERY = timedelta(minutes=1)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class DetectionPolicy:
    window: timedelta = timedelta(hours=24)
    cooldown: timedelta = timedelta(hours=4)
    off_hours_utc: tuple[int, int] = (7, 12)
    thresholds: Thresholds = field(default_factory=Thresholds)


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


class InquiryGuard:
    """Called by SearchService before it answers (one call per inquiry)."""

    def __init__(self, index_key: bytes, rates: RateGuard, audit: AuditLog,
                 policy: DetectionPolicy | None = None, now: Now = utcnow) -> None:  # fmt: skip
        self._key = index_key
        self.rates = rates
        self._audit = audit
        self.policy = policy or DetectionPolicy()
        self._now = now
        self._purged: datetime | None = None

    def before_status(self, conn: Connection, actor: Actor) -> RateLimited | None:
        return self._screen(conn, actor, None)

    def before_search(self, conn: Connection, actor: Actor, inquiry: SearchInquiry,
                      probe: MatchProfile) -> RateLimited | None:  # fmt: skip
        """``probe`` is the inquiry's match profile, which the search has built already."""
        return self._screen(conn, actor, inquiry, probe.name.last_phonetic)

    def _screen(self, conn: Connection, actor: Actor, inquiry: SearchInquiry | None,
                surname: str = "") -> RateLimited | None:  # fmt: skip
        """Throttle check, rate limits and (for a search) detection, in the inquiry's own
        transaction on ``conn``: one round trip on PostgreSQL, and no commit of its own.

        A throttled user is refused by raising: the caller rolls back, so nothing of the
        inquiry is kept. Any other refusal is returned, for the caller to commit (so a hit
        over a rate limit still counts and an alert is kept) and only then raise, without
        answering.
        """
        now = self._now()
        p = self.policy
        hit = self.rates.hit_for(actor)
        in_db = self.rates.counts_in_database
        current = None
        if inquiry is not None:
            current = features_of(self._key, inquiry.identity.dob, surname, now, p.off_hours_utc)
        # Reads never look past the window; expired features go once a minute (by index).
        purge = current is not None and (self._purged is None
                                         or now - self._purged >= PURGE_EVERY)  # fmt: skip
        repo = EnumerationRepository(conn)
        screen = repo.screen(Screening(
            actor.jurisdiction, actor.user_id, actor.credential_id, now, now - p.window,
            hit.windows if in_db else [],
            None if current is None else (current.dob_hash, current.surname_hash,
                                          current.off_hours),
            purge))  # fmt: skip
        if purge:
            self._purged = now
        latest = max((_aware(d) for d in screen.throttled_until if d is not None), default=None)
        if latest is not None:
            raise self._refusal(latest, now)
        try:
            self.rates.settle(hit, conn, screen.counts if in_db else None)
        except RateLimited as exc:
            if current is not None:  # refused unanswered: not part of the user's pattern
                repo.take_back_feature(actor.jurisdiction, actor.user_id, now)
            return exc
        if inquiry is None or current is None:
            return None
        patterns = self._detect(inquiry, current, screen)
        if not patterns:
            return None
        self._flag(repo, conn, actor, patterns, now)
        return self._refusal(now + p.cooldown, now)

    def _detect(self, inquiry: SearchInquiry, current: Features, screen: Screen) -> list[Pattern]:
        """The patterns this inquiry trips, given the user's recent ones."""
        p = self.policy
        recent = [Features(r.dob_hash, r.surname_hash, r.off_hours) for r in screen.features]
        run = sequential_run(
            inquiry.identity.dob,
            {f.dob_hash for f in recent},
            lambda d: dob_hash(self._key, d),
            p.thresholds.sequential_step,
            p.thresholds.sequential_run,
        )
        inquiries, misses = screen.outcomes
        return detect(current, recent, run, inquiries, misses, p.thresholds)

    def _flag(self, repo: EnumerationRepository, conn: Connection, actor: Actor,
              patterns: list[Pattern], now: datetime) -> None:  # fmt: skip
        since_us = int((now - self.policy.window).timestamp() * 1_000_000)
        touched = repo.touched_states(actor.jurisdiction, actor.user_id, since_us)
        touched.add(actor.jurisdiction)
        self._alert(repo, conn, actor, actor.user_id, [p.value for p in patterns], now, touched)
        flagged = repo.flagged_users(actor.credential_id, now - self.policy.window)
        if flagged >= self.policy.thresholds.flagged_users:
            self._alert(repo, conn, actor, f"credential:{actor.credential_id}",
                        [Pattern.MANY_USERS_FLAGGED.value], now, touched)  # fmt: skip

    def _alert(self, repo: EnumerationRepository, conn: Connection, actor: Actor, user: str,
               patterns: list[str], now: datetime, touched: set[str]) -> None:  # fmt: skip
        """Store the alert, tell every touched state in its notification feed, and audit it
        as its own action (ids and pattern names only: no name, date or hash)."""
        alert_id = str(uuid.uuid4())
        repo.add_alert(alert_id, actor.jurisdiction, user, actor.credential_id, patterns,
                       now, now + self.policy.cooldown, touched)  # fmt: skip
        detail = {"flagged_jurisdiction": actor.jurisdiction, "patterns": patterns,
                  "throttled_until": (now + self.policy.cooldown).isoformat()}  # fmt: skip
        body = json.dumps(detail, sort_keys=True, separators=(",", ":"))
        notices = NotificationRepository(conn)
        for state in sorted(touched):
            notices.add_many(state, [(ALERT_NOTIFICATION, alert_id, body)])
        refs = (f"enumeration-alert:{alert_id}", *(f"pattern:{p}" for p in patterns))
        self._audit.append(conn, AuditEvent.by(actor, Action.ENUMERATION_ALERT,
                                               jurisdictions=frozenset(touched),
                                               refs=refs))  # fmt: skip

    @staticmethod
    def _refusal(until: datetime, now: datetime) -> RateLimited:
        wait = int((until - now).total_seconds()) + 1
        return RateLimited(
            "Searches by this user are paused: recent inquiries look like a search through "
            "many people (harvesting) rather than applicants at a counter. The states whose "
            "records were touched have been alerted; ask your state administrator. "
            f"Searching resumes in {wait // 60 + 1} minutes.",
            wait,
        )


class AlertService:
    """Enumeration alerts, as the states whose records were touched see them."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def alerts(self, actor: Actor) -> list[AlertRow]:
        authorize(actor, Permission.ALERT_READ_OWN, actor.jurisdiction)
        with self._engine.connect() as conn:
            return EnumerationRepository(conn).alerts_for(actor.jurisdiction)
