"""An attacker with valid clerk credentials of another state (Texas) tries to harvest
California's records, one strategy at a time, and is stopped after a handful of records.

The attacker knows what a well-informed outsider knows about California: how common each
first name and surname is and the range of birth dates (taken here from the loaded file
itself, the best such knowledge can be), and for two strategies a leaked list of real
residents (a voter roll) to confirm, at night or at a counter's pace in business hours.
Each run counts the distinct California
pointers the attacker saw before the hub refused it as harvesting; the same probes sent with
the guard switched off, for one user-hour at the default rate limit (600 inquiries), show
what the attack would have yielded without detection. The rate limit alone is not treated
as a stop: the attacker waits out each 429 and goes on. The clock is injected, so hours
pass in milliseconds. ``pytest -s`` prints the figures (docs/privacy.md quotes them).
"""

from __future__ import annotations

import base64
import json
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.client.keys import NetworkKeys
from lpx.client.rows import parse_row
from lpx.domain.enumeration import Thresholds
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Identity
from lpx.services.enumeration import DetectionPolicy, InquiryGuard
from lpx.services.limits import DatabaseRateLimiter, RateGuard, RatePolicy
from lpx.synth import generate

SEARCH = "/v1/inquiries/search"
N_RECORDS = 3000
BUDGET = 600  # one user-hour at the default per-user rate limit
MAX_PROBES = 2000  # an attacker never stopped within this many fails the test
T = Thresholds()
DAY_START = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)  # 8 am in California
NIGHT_START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)  # 1 am in California
BUSINESS_DAY = timedelta(hours=9)  # 8 am to 5 pm in California
COUNTER_PACE = timedelta(minutes=2)  # one applicant every 2 minutes: a fast clerk, no breaks
CLERK_DAYS = (70, 80, 85, 90)  # applicants served in a day by the busiest counters
Probe = dict[str, str]


@lru_cache(maxsize=1)
def _california() -> tuple[tuple[Probe, ...], tuple[dict[str, Any], ...]]:
    """The synthetic California file (rows as the state holds them) and its pointers as
    the loader sends them; built once per test process."""
    keys = NetworkKeys.generate()
    records = [r.row for r in generate(N_RECORDS, states=("CA",), seed=7)]
    pointers = [parse_row(i + 2, r, keys, "CA") for i, r in enumerate(records)]
    return tuple(records), tuple(dict(p) for p in pointers)


@dataclass(frozen=True)
class Knowledge:
    """Name frequencies and the birth-date range of the target population, plus a leaked
    roll of real residents for the confirmation strategy."""

    firsts: tuple[str, ...]
    first_weights: tuple[int, ...]
    lasts: tuple[str, ...]
    last_weights: tuple[int, ...]
    oldest: date
    youngest: date
    residents: tuple[Probe, ...]

    @classmethod
    def of(cls, rows: tuple[Probe, ...]) -> Knowledge:
        firsts = Counter(r["first_name"] for r in rows)
        lasts = Counter(r["last_name"] for r in rows)
        dobs = sorted(date.fromisoformat(r["dob"]) for r in rows)
        residents = tuple({"first_name": r["first_name"], "last_name": r["last_name"],
                           "dob": r["dob"]} for r in rows)  # fmt: skip
        return cls(tuple(firsts), tuple(firsts.values()), tuple(lasts), tuple(lasts.values()),
                   dobs[0], dobs[-1], residents)  # fmt: skip

    def first(self, rng: random.Random) -> str:
        return rng.choices(self.firsts, self.first_weights)[0]

    def last(self, rng: random.Random) -> str:
        return rng.choices(self.lasts, self.last_weights)[0]

    def dob(self, rng: random.Random) -> date:
        return self.oldest + timedelta(days=rng.randrange((self.youngest - self.oldest).days))

    def common_last(self) -> str:
        return self.lasts[self.last_weights.index(max(self.last_weights))]


def _probe(first: str, last: str, dob: date) -> Probe:
    return {"first_name": first, "last_name": last, "dob": dob.isoformat()}


def sequential_dobs(k: Knowledge, rng: random.Random) -> Iterator[Probe]:
    """Consecutive birth dates from the middle of the range, three likely names each."""
    start = k.oldest + (k.youngest - k.oldest) / 2
    for day in count():
        for _ in range(3):
            yield _probe(k.first(rng), k.last(rng), start + timedelta(days=day))


def shared_surname(k: Knowledge, rng: random.Random) -> Iterator[Probe]:
    """The most common surname with likely first names and birth dates."""
    while True:
        yield _probe(k.first(rng), k.common_last(), k.dob(rng))


def shared_dob(k: Knowledge, rng: random.Random) -> Iterator[Probe]:
    """One birth date with likely names."""
    dob = k.dob(rng)
    while True:
        yield _probe(k.first(rng), k.last(rng), dob)


def scattered_guesses(k: Knowledge, rng: random.Random) -> Iterator[Probe]:
    """Likely names and birth dates, nothing shared: almost every guess misses."""
    while True:
        yield _probe(k.first(rng), k.last(rng), k.dob(rng))


def leaked_roll(k: Knowledge, rng: random.Random) -> Iterator[Probe]:
    """A list of real people, half of them California residents, confirmed one by one."""
    while True:
        if rng.random() < 0.5:
            yield rng.choice(k.residents)
        else:
            yield _probe(k.first(rng), k.last(rng), k.dob(rng))


@dataclass(frozen=True)
class Strategy:
    name: str
    probes: Any  # (Knowledge, Random) -> Iterator[Probe]
    start: datetime
    pattern: str  # the rule expected to stop it
    stops_within: int  # inquiries the rule allows at most, by its threshold
    bound: int  # records it may harvest before the stop (see test docstring)
    rotate_users: bool = False
    pace: timedelta = timedelta(seconds=2)  # between one inquiry and the next


STRATEGIES = [
    Strategy("sequential dates of birth", sequential_dobs, DAY_START, "sequential_dob",
             3 * T.sequential_run, 3),
    Strategy("one surname", shared_surname, DAY_START, "same_surname", T.same_surname, 3),
    Strategy("one date of birth", shared_dob, DAY_START, "same_dob", T.same_dob, 3),
    Strategy("scattered guesses (high miss rate)", scattered_guesses, DAY_START,
             "high_miss_rate", T.miss_min, 4),
    Strategy("leaked roll at night (off-hours burst)", leaked_roll, NIGHT_START,
             "off_hours_burst", T.off_hours_burst, T.off_hours_burst),
    Strategy("leaked roll at counter pace in business hours", leaked_roll, DAY_START,
             "user_daily_people", T.daily_inquiries, T.daily_people, pace=COUNTER_PACE),
    Strategy("scattered guesses, a new user id after each block", scattered_guesses,
             DAY_START, "credential_many_users_flagged", T.flagged_users * T.miss_min,
             T.flagged_users * 4, rotate_users=True),
]  # fmt: skip


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def world(hub: Hub) -> Iterator[dict[str, Any]]:
    rows, pointers = _california()
    clock = Clock(DAY_START)
    guard = InquiryGuard(hub.settings.index_key(),
                         RateGuard(DatabaseRateLimiter(hub.engine), RatePolicy(),
                                   clock=lambda: clock.now.timestamp()),
                         hub.audit.log, DetectionPolicy(), now=clock)  # fmt: skip
    keys = {
        "records": hub.access.issue_credential("CA", "records", [Role.RECORDS]),
        "clerk": hub.access.issue_credential("TX", "counter", [Role.CLERK]),
        "ca_admin": hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN]),
        "tx_admin": hub.access.issue_credential("TX", "admin", [Role.STATE_ADMIN]),
        "ny_admin": hub.access.issue_credential("NY", "admin", [Role.STATE_ADMIN]),
    }
    with TestClient(create_app(hub)) as client:
        for i in range(0, len(pointers), 1000):
            resp = client.post("/v1/pointers/batch", json={"pointers": pointers[i:i + 1000]},
                               headers=auth(keys["records"]))  # fmt: skip
            assert resp.status_code == 200, resp.text[:300]
        hub.search.guard = guard
        yield {"hub": hub, "client": client, "clock": clock, "keys": keys, "guard": guard,
               "knowledge": Knowledge.of(rows)}  # fmt: skip


@dataclass
class Outcome:
    harvested: set[str]
    answered: int  # inquiries the hub answered
    refusals: list[Any]  # the enumeration refusals (429 naming harvesting), in order
    waits: int  # rate-limit 429s waited out
    users: int  # user ids the attacker went through


def _attack(world: dict[str, Any], s: Strategy) -> Outcome:
    """Send the strategy's probes as TX clerk 'mallory-0' until the hub stops the attacker,
    waiting out rate limits. With ``rotate_users`` a refused attacker switches to a new user
    id (the state's system asserts it) until the credential itself is paused, which shows
    as a new user refused on its very first inquiry."""
    client, clock, key = world["client"], world["clock"], world["keys"]["clerk"]
    clock.now = s.start
    out, fresh = Outcome(set(), 0, [], 0, 1), True
    for probe in s.probes(world["knowledge"], random.Random(s.name)):
        if out.answered >= MAX_PROBES:
            raise AssertionError(f"{s.name}: never stopped in {MAX_PROBES} inquiries")
        while True:
            resp = client.post(SEARCH, json={**probe, "purpose": "license_issuance"},
                               headers=auth(key, f"mallory-{out.users - 1}"))  # fmt: skip
            clock.now += s.pace
            if resp.status_code != 429 or "harvesting" in resp.json()["detail"]:
                break
            out.waits += 1
            clock.now += timedelta(seconds=int(resp.headers["retry-after"]))
        if resp.status_code == 429:
            out.refusals.append(resp)
            if not s.rotate_users or fresh:
                return out
            out.users, fresh = out.users + 1, True
            continue
        assert resp.status_code == 200, resp.text
        out.answered, fresh = out.answered + 1, False
        out.harvested |= {c["pointer_id"] for c in resp.json()["candidates"]
                          if c["jurisdiction"] == "CA"}  # fmt: skip
    raise AssertionError("unreachable: the probes never end")


def _unguarded_harvest(world: dict[str, Any], s: Strategy) -> set[str]:
    """The same probes for one user-hour (BUDGET inquiries) with the guard switched off,
    as a NY baseline user (so none of this counts toward the attacker's windows)."""
    hub: Hub = world["hub"]
    guard, hub.search.guard = hub.search.guard, None
    actor = Actor("NY", "baseline", frozenset({Role.CLERK}), 0)
    found: set[str] = set()
    try:
        probes = s.probes(world["knowledge"], random.Random(s.name))
        for _, p in zip(range(BUDGET), probes, strict=False):
            identity = Identity(p["first_name"], p["last_name"], date.fromisoformat(p["dob"]))
            result = hub.search.search(actor, SearchInquiry(identity, Purpose.LICENSE_ISSUANCE))
            found |= {c.pointer_id for c in result.candidates if c.jurisdiction == "CA"}
    finally:
        hub.search.guard = guard
    return found


def _audit_entries(client: TestClient, admin_key: str, code: str) -> list[dict[str, Any]]:
    entries, after = [], -1
    while True:
        page = client.get("/v1/audit/entries", params={"jurisdiction": code, "after": after,
                                                       "limit": 500},
                          headers=auth(admin_key)).json()  # fmt: skip
        entries += [json.loads(base64.b64decode(i["leaf_data"])) for i in page["items"]]
        if page["next_cursor"] is None:
            return entries
        after = page["next_cursor"]


def _alerts(world: dict[str, Any], admin: str) -> list[dict[str, Any]]:
    resp = world["client"].get("/v1/alerts", headers=auth(world["keys"][admin]))
    assert resp.status_code == 200, resp.text
    alerts: list[dict[str, Any]] = resp.json()
    return alerts


def _notifications(world: dict[str, Any], admin: str) -> list[dict[str, Any]]:
    """The enumeration alerts in the state's notification feed (read to its end)."""
    found, after = [], 0
    while True:
        resp = world["client"].get("/v1/notifications", params={"after": after, "limit": 500},
                                   headers=auth(world["keys"][admin]))  # fmt: skip
        assert resp.status_code == 200, resp.text
        page = resp.json()
        found += [n for n in page["items"] if n["kind"] == "enumeration_alert"]
        if not page["items"]:
            return found
        after = page["next_cursor"]


@pytest.mark.parametrize("s", STRATEGIES, ids=[s.pattern for s in STRATEGIES])
def test_an_attacker_is_stopped_after_few_records(world: dict[str, Any], s: Strategy) -> None:
    """Each rule trips once its threshold is reached, so the attacker gets at most
    ``stops_within`` answers per user. Bounds on records: a guessing attacker hits a
    California resident in far fewer than one inquiry in ten (the unguarded baseline
    measures it), so 3 records (4 per user under the miss-rate rule, which allows 10% hits)
    is already generous; the roll attacker gets at most the off-hours inquiries the rule
    allows, one person each, or by day at counter pace the distinct people the daily volume
    rule allows. Every attacker is stopped within the business day it started (a day-time
    roll left alone would otherwise run into the night and trip the off-hours rule)."""
    out = _attack(world, s)
    stopped_after = world["clock"].now - s.start
    baseline = _unguarded_harvest(world, s)
    print(f"\n{s.name}: {len(out.harvested)} of {N_RECORDS} CA records in {out.answered} "
          f"answered inquiries ({out.users} user id(s), {out.waits} rate-limit waits); "
          f"unguarded, {BUDGET} inquiries harvest {len(baseline)}; stopped after "
          f"{stopped_after}")  # fmt: skip
    assert stopped_after <= BUSINESS_DAY
    assert out.answered <= s.stops_within * (T.flagged_users if s.rotate_users else 1)
    assert len(out.harvested) <= s.bound
    refusal = out.refusals[-1]
    assert "harvesting" in refusal.json()["detail"]
    assert int(refusal.headers["retry-after"]) > 3000
    # The user stays refused during the cool-down, whatever they ask next.
    again = world["client"].post(
        SEARCH,
        headers=auth(world["keys"]["clerk"], "mallory-0"),
        json={
            "first_name": "Ann",
            "last_name": "Other",
            "dob": "1991-04-05",
            "purpose": "license_issuance",
        },
    )
    assert again.status_code == 429
    # The attacker's own state always sees the alert, with the rule that tripped.
    tx = _alerts(world, "tx_admin")
    patterns = {p for a in tx for p in a["patterns"]}
    assert s.pattern in patterns, patterns
    if s.rotate_users:
        assert any(a["user_id"].startswith("credential:") for a in tx)
    # California is told once its records were touched: the alert at GET /v1/alerts and
    # an entry in its notification feed; New York, untouched, hears nothing.
    ca = _alerts(world, "ca_admin")
    assert (ca != []) == bool(out.harvested)
    ca_feed = _notifications(world, "ca_admin")
    assert {n["ref"] for n in ca_feed} == {a["alert_id"] for a in ca}
    for n in ca_feed:
        assert n["detail"]["flagged_jurisdiction"] == "TX"
    assert _alerts(world, "ny_admin") == []
    assert _notifications(world, "ny_admin") == []
    assert {n["ref"] for n in _notifications(world, "tx_admin")} == {a["alert_id"] for a in tx}
    _assert_audited(world, tx, "ca_admin" if out.harvested else "tx_admin")


def _assert_audited(world: dict[str, Any], alerts: list[dict[str, Any]], admin: str) -> None:
    """Each alert is an ``enumeration.alert`` audit entry in the told state's feed, naming
    the alert and its patterns and nothing personal."""
    code = admin[:2].upper()
    told = {a["alert_id"] for a in alerts if code in a["states_touched"]}
    entries = [e for e in _audit_entries(world["client"], world["keys"][admin], code)
               if e["action"] == "enumeration.alert"]  # fmt: skip
    assert {r.split(":", 1)[1] for e in entries for r in e["refs"]
            if r.startswith("enumeration-alert:")} == told  # fmt: skip
    for e in entries:
        assert e["actor"]["jurisdiction"] == "TX"
        assert e["pointer_ids"] == []
        assert e["purpose"] is None
        assert all(r.startswith(("enumeration-alert:", "pattern:")) for r in e["refs"])


def test_normal_counter_traffic_is_not_flagged(world: dict[str, Any]) -> None:
    """Eight clerks, each serving real applicants (70% hold a card already) every 2-6
    minutes through a working day: nobody is refused."""
    rng = random.Random(11)
    k: Knowledge = world["knowledge"]
    client, clock = world["client"], world["clock"]
    served = 0
    for minute in range(0, 8 * 60, 3):
        clock.now = DAY_START + timedelta(minutes=minute)
        for clerk in range(8):
            if rng.random() < 0.6:
                continue
            if rng.random() < 0.7:
                person = rng.choice(k.residents)
            else:  # a first-time applicant, unknown to the hub
                person = _probe(
                    k.first(rng), k.last(rng), date(2009, 1, 1) + timedelta(days=rng.randrange(700))
                )
            resp = client.post(
                SEARCH,
                json={**person, "purpose": "license_renewal"},
                headers=auth(world["keys"]["clerk"], f"clerk-{clerk}"),
            )
            assert resp.status_code == 200, resp.text
            served += 1
    assert served > 400
    assert _alerts(world, "ca_admin") == []
    assert _alerts(world, "tx_admin") == []


def test_a_counter_paced_roll_is_stopped_while_the_busiest_counters_are_not(
    world: dict[str, Any],
) -> None:
    """One business day, in two-minute steps: mallory confirms a leaked roll at a fast
    clerk's pace while four TX clerks, as busy as a DMV counter gets (``CLERK_DAYS``
    applicants each, one in six looked up twice after a typo), serve real applicants beside her. The
    daily volume rule must stop her that day and refuse none of the clerks: a ceiling set too
    low fails the second, a missing or too lax one the first."""
    rng = random.Random(5)
    k: Knowledge = world["knowledge"]
    client, clock, key = world["client"], world["clock"], world["keys"]["clerk"]
    roll = leaked_roll(k, random.Random("counter roll"))
    harvested: set[str] = set()
    answered, stopped_at = 0, None
    served = Counter[str]()
    steps = int(BUSINESS_DAY / COUNTER_PACE)
    busy = {f"clerk-{i}": set(rng.sample(range(steps), n)) for i, n in enumerate(CLERK_DAYS)}
    for step in range(steps):
        clock.now = DAY_START + step * COUNTER_PACE
        if stopped_at is None:
            resp = client.post(SEARCH, json={**next(roll), "purpose": "license_issuance"},
                               headers=auth(key, "mallory"))  # fmt: skip
            if resp.status_code == 429:
                assert "harvesting" in resp.json()["detail"], resp.text
                stopped_at = step
            else:
                assert resp.status_code == 200, resp.text
                answered += 1
                harvested |= {c["pointer_id"] for c in resp.json()["candidates"]
                              if c["jurisdiction"] == "CA"}  # fmt: skip
        for clerk in (c for c, at in busy.items() if step in at):
            person = rng.choice(k.residents) if rng.random() < 0.7 else _probe(
                k.first(rng), k.last(rng), date(2009, 1, 1) + timedelta(days=rng.randrange(700)))
            for _ in range(2 if rng.random() < 1 / 6 else 1):
                resp = client.post(SEARCH, json={**person, "purpose": "license_renewal"},
                                   headers=auth(key, clerk))  # fmt: skip
                assert resp.status_code == 200, f"{clerk} refused: {resp.text}"
            served[clerk] += 1
    print(f"\ncounter-paced roll: {len(harvested)} of {N_RECORDS} CA records in {answered} "
          f"answered inquiries, stopped at step {stopped_at} of {steps}; clerks served "
          f"{sorted(served.values())} applicants each, none refused")  # fmt: skip
    assert stopped_at is not None, "the roll was never stopped in a business day"
    assert len(harvested) <= T.daily_people
    assert served == {clerk: len(at) for clerk, at in busy.items()}
    alerts = _alerts(world, "tx_admin")
    assert [a["user_id"] for a in alerts] == ["mallory"]
    assert "user_daily_people" in alerts[0]["patterns"]
    assert [a["alert_id"] for a in _alerts(world, "ca_admin")] == [alerts[0]["alert_id"]]
