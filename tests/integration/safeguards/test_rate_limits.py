"""Rate limits hold across hub processes: two engines (two "processes") share one counter,
in the database (SQLite, PostgreSQL) and in Redis; exceeding answers 429 with Retry-After."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import redis
from fastapi.testclient import TestClient
from helpers import auth
from sqlalchemy import Engine, func, select

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Identity
from lpx.services.limits import (
    DatabaseRateLimiter,
    Limit,
    RateGuard,
    RateLimited,
    RatePolicy,
    RedisRateLimiter,
)
from lpx.storage.db import make_engine
from lpx.storage.safeguard_tables import enumeration_features, rate_counters

ACTOR = Actor("CA", "clerk-1", frozenset(), 1)


def _limits(n: int) -> list[Limit]:
    return [Limit(f"t:{uuid.uuid4().hex}", n, 60, "one user")]


def test_two_engines_share_the_database_counter(clean_engine: Engine) -> None:
    other = make_engine(clean_engine.url.render_as_string(hide_password=False))
    try:
        a, b = DatabaseRateLimiter(clean_engine), DatabaseRateLimiter(other)
        limits = _limits(5)
        for i in range(5):
            (a if i % 2 else b).hit(limits, 1000.0)
        with pytest.raises(RateLimited) as exc:
            a.hit(limits, 1010.0)
        assert exc.value.retry_after == 10  # the window [960, 1020) ends in 10 s
        b.hit(limits, 1020.0 + 60)  # the next window starts afresh
    finally:
        other.dispose()


@pytest.fixture
def redis_client() -> redis.Redis:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    return client


def test_two_redis_limiters_share_the_counter(redis_client: redis.Redis) -> None:
    prefix = f"lpx:test:{uuid.uuid4().hex}:"
    try:
        a = RedisRateLimiter(redis.Redis.from_url("redis://127.0.0.1:6379/0"), prefix)
        b = RedisRateLimiter(redis_client, prefix)
        limits = _limits(3)
        a.hit(limits, 100.0)
        b.hit(limits, 101.0)
        a.hit(limits, 102.0)
        with pytest.raises(RateLimited) as exc:
            b.hit(limits, 103.0)
        assert exc.value.retry_after == 17
        assert 0 < redis_client.ttl(f"{prefix}{limits[0].key}:60") <= 120
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)


def test_the_api_answers_429_with_retry_after_across_two_apps(
    hub: Hub, credentials: dict[str, str]
) -> None:
    """Two app instances (as two hub processes) over one database share the per-user limit."""
    t = [5000.0]
    with TestClient(create_app(hub)) as one, TestClient(create_app(hub)) as two:
        guard = RateGuard(DatabaseRateLimiter(hub.engine), RatePolicy(per_user_minute=4),
                          clock=lambda: t[0])  # fmt: skip
        assert hub.search.guard is not None
        hub.search.guard.rates = guard
        body = {"first_name": "Ann", "last_name": "Lee", "dob": "1990-01-02",
                "purpose": "license_issuance"}  # fmt: skip
        codes = []
        for i in range(5):
            body["dob"] = f"19{60 + i * 7}-0{1 + i}-1{i}"
            client = one if i % 2 else two
            codes.append(client.post("/v1/inquiries/search", json=body,
                                     headers=auth(credentials["CA"])))  # fmt: skip
        assert [r.status_code for r in codes] == [200, 200, 200, 200, 429]
        last = codes[-1]
        assert last.headers["content-type"] == "application/problem+json"
        assert last.headers["retry-after"] == "40"
        assert "4 every minute" in last.json()["detail"]


def test_a_states_daily_ceiling_holds_across_its_users_until_the_utc_day_ends(
    hub: Hub,
) -> None:
    """New user ids each stay under every per-user limit; the state's day still ends them."""
    day_start = 86400.0 * 20600  # a UTC midnight
    t = [day_start + 3600 * 15]
    limiter, policy = DatabaseRateLimiter(hub.engine), RatePolicy(per_jurisdiction_day=3)

    def admit(state: str, user: str) -> None:
        limiter.hit(policy.limits(Actor(state, user, frozenset(), 1)), t[0])

    for i in range(3):
        admit("CA", f"clerk-{i}")
        t[0] += 3600  # a new hour: the hourly limits start over
    with pytest.raises(RateLimited) as refused:
        admit("CA", "clerk-9")
    assert "all of CA's users together may make 3 every day" in str(refused.value)
    assert refused.value.retry_after == int(day_start + 86400 - t[0])
    admit("NY", "clerk-0")  # another state has its own day
    t[0] = day_start + 86400
    admit("CA", "clerk-9")


def test_a_refused_search_still_counts(hub: Hub) -> None:
    """The guard counts, detects and refuses in the inquiry's transaction; a refusal over a
    limit still commits the hit, so retrying while refused keeps the window full, but its
    detection feature is taken back: an unanswered inquiry is not part of a pattern."""
    t = [7000.0]
    assert hub.search.guard is not None
    limiter = DatabaseRateLimiter(hub.engine)
    hub.search.guard.rates = RateGuard(limiter, RatePolicy(per_user_minute=2), lambda: t[0])
    clerk = Actor("CA", f"clerk-{uuid.uuid4().hex[:8]}", frozenset({Role.CLERK}), 1)
    inquiry = SearchInquiry(Identity(first_name="Ann", last_name="Lee", dob=date(1990, 1, 2)),
                            Purpose.LICENSE_ISSUANCE)  # fmt: skip
    hub.search.search(clerk, inquiry)
    hub.search.search(clerk, inquiry)
    for _ in range(2):
        with pytest.raises(RateLimited):
            hub.search.search(clerk, inquiry)
    c, f = rate_counters.c, enumeration_features.c
    with hub.engine.connect() as conn:
        count = conn.execute(select(c.count).where(
            c.key == f"u:CA:{clerk.user_id}:m")).scalar_one()  # fmt: skip
        features = conn.execute(select(func.count()).where(
            f.user_id == clerk.user_id)).scalar_one()  # fmt: skip
    assert (count, features) == (4, 2)
