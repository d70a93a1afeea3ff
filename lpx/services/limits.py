"""Rate limits per user and per jurisdiction, shared by every hub process.

Fixed-window counters: a key's count for the current window is incremented atomically and
compared with its limit. The counters live in the database by default (an upsert on
``rate_counters``, which SQLite and PostgreSQL both run atomically) or in Redis when
``LPX_REDIS_URL`` is set (INCR and EXPIRE in one MULTI). Either way several hub processes
count together, so running more processes does not multiply anyone's allowance.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from lpx.auth.policy import Actor
from lpx.services.errors import ServiceError
from lpx.storage.safeguard_repositories import RateCounterRepository

Clock = Callable[[], float]


class RateLimited(ServiceError):
    """Too many requests: the API answers 429 with ``Retry-After`` (whole seconds)."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` hits of ``key`` per window of ``window_s`` seconds."""

    key: str
    limit: int
    window_s: int
    what: str  # for the message: "you", "your state"


class RateLimiter(Protocol):
    """Counts a hit on every limit and raises RateLimited when any is over."""

    def hit(self, limits: Sequence[Limit], now: float) -> None: ...


def _window(limit: Limit, now: float) -> int:
    return int(now) // limit.window_s * limit.window_s


def windows(limits: Sequence[Limit], now: float) -> list[tuple[str, int]]:
    """The (key, window start) counters a hit at ``now`` adds one to."""
    return [(lim.key, _window(lim, now)) for lim in limits]


def _check(limits: Sequence[Limit], counts: Sequence[int], now: float) -> None:
    over = [(lim, _window(lim, now) + lim.window_s - now)
            for lim, n in zip(limits, counts, strict=True) if n > lim.limit]  # fmt: skip
    if over:
        lim, wait = max(over, key=lambda o: o[1])
        raise RateLimited(
            f"Too many inquiries: {lim.what} may make {lim.limit} every "
            f"{_span(lim.window_s)}. Try again in {math.ceil(wait)} seconds.",
            math.ceil(wait),
        )


def _span(seconds: int) -> str:
    return {60: "minute", 3600: "hour", 86400: "day"}.get(seconds, f"{seconds} seconds")


class DatabaseRateLimiter:
    """Counters in ``rate_counters``; each hit commits on its own, so a refused or failed
    inquiry still counts, and old windows are purged now and then."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._hits = 0

    def hit(self, limits: Sequence[Limit], now: float) -> None:
        with self._engine.begin() as conn:
            counts = RateCounterRepository(conn).increment(windows(limits, now))
            self.counted(conn, limits, now)
        _check(limits, counts, now)

    def counted(self, conn: Connection, limits: Sequence[Limit], now: float) -> None:
        """After a hit was counted: purge windows long past, once every 1000 hits."""
        self._hits += 1
        if self._hits % 1000 == 1:
            longest = max((lim.window_s for lim in limits), default=0)
            RateCounterRepository(conn).purge_before(int(now) - 2 * longest)


class RedisRateLimiter:
    """Counters in Redis: one pipeline of INCR + EXPIRE per limit, run as MULTI/EXEC."""

    def __init__(self, client: Any, prefix: str = "lpx:rate:") -> None:
        self._redis = client
        self._prefix = prefix

    def hit(self, limits: Sequence[Limit], now: float) -> None:
        pipe = self._redis.pipeline(transaction=True)
        for lim in limits:
            key = f"{self._prefix}{lim.key}:{_window(lim, now)}"
            pipe.incr(key)
            pipe.expire(key, lim.window_s * 2)
        replies = pipe.execute()
        _check(limits, [int(n) for n in replies[::2]], now)


def build_limiter(redis_url: str | None, engine: Engine, prefix: str = "lpx:rate:") -> RateLimiter:
    """Redis when configured, else the database both ways shared across processes."""
    if redis_url:
        import redis

        return RedisRateLimiter(redis.Redis.from_url(redis_url), prefix)
    return DatabaseRateLimiter(engine)


@dataclass(frozen=True, slots=True)
class RatePolicy:
    per_user_minute: int = 60
    per_user_hour: int = 600
    per_jurisdiction_hour: int = 20000
    # A day's ceiling for the whole state: user ids are only what the state's system asserts,
    # so a harvester who switches ids to stay under the per-user volume rule (enumeration.py)
    # still meets this one.
    per_jurisdiction_day: int = 100000

    def limits(self, actor: Actor) -> list[Limit]:
        user = f"u:{actor.jurisdiction}:{actor.user_id}"
        state = f"all of {actor.jurisdiction}'s users together"
        return [
            Limit(f"{user}:m", self.per_user_minute, 60, "one user"),
            Limit(f"{user}:h", self.per_user_hour, 3600, "one user"),
            Limit(f"j:{actor.jurisdiction}:h", self.per_jurisdiction_hour, 3600, state),
            Limit(f"j:{actor.jurisdiction}:d", self.per_jurisdiction_day, 86400, state),
        ]


@dataclass(frozen=True, slots=True)
class Hit:
    """One inquiry's hit on each of its actor's limits, at ``now``."""

    limits: list[Limit]
    now: float

    @property
    def windows(self) -> list[tuple[str, int]]:
        return windows(self.limits, self.now)


class RateGuard:
    """What the search service calls first: count the actor's inquiry against every limit."""

    def __init__(self, limiter: RateLimiter, policy: RatePolicy,
                 clock: Clock = time.time) -> None:  # fmt: skip
        self.limiter = limiter
        self.policy = policy
        self._clock = clock

    def hit_for(self, actor: Actor) -> Hit:
        return Hit(self.policy.limits(actor), self._clock())

    @property
    def counts_in_database(self) -> bool:
        """Whether a caller may count hits in its own statements (see settle)."""
        return isinstance(self.limiter, DatabaseRateLimiter)

    def settle(self, hit: Hit, conn: Connection, counts: Sequence[int] | None = None) -> None:
        """Raise RateLimited if ``hit`` is over a limit. ``counts`` are the counters after
        the caller added this hit in its own statement (``counts_in_database`` only);
        without them the hit is counted here."""
        if counts is None:
            self.limiter.hit(hit.limits, hit.now)
            return
        assert isinstance(self.limiter, DatabaseRateLimiter)
        self.limiter.counted(conn, hit.limits, hit.now)
        _check(hit.limits, counts, hit.now)
