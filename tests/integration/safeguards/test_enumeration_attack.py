"""An attacker with valid clerk credentials tries to harvest California's records; normal
counter traffic is not flagged. The clock is injected, so hours pass in milliseconds."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from helpers import auth

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.bootstrap import Hub
from lpx.client.keys import NetworkKeys
from lpx.client.rows import parse_row
from lpx.services.enumeration import DetectionPolicy, InquiryGuard
from lpx.services.limits import DatabaseRateLimiter, RateGuard, RatePolicy
from lpx.synth import generate

SEARCH = "/v1/inquiries/search"
COMMON_SURNAMES = ["Garcia", "Smith", "Hernandez", "Lopez", "Nguyen", "Johnson", "Martinez",
                   "Kim", "Williams", "Rodriguez", "Brown", "Lee", "Gonzalez", "Perez"]  # fmt: skip


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def ca_loaded(hub: Hub) -> tuple[Hub, list[dict[str, str]]]:
    keys = NetworkKeys.generate()
    records = list(generate(2000, states=("CA",), seed=7))
    rows = [parse_row(i + 2, r.row, keys, "CA") for i, r in enumerate(records)]
    records_key = hub.access.issue_credential("CA", "records", [Role.RECORDS])
    with TestClient(create_app(hub)) as client:
        for i in range(0, len(rows), 1000):
            resp = client.post("/v1/pointers/batch", json={"pointers": rows[i:i + 1000]},
                               headers=auth(records_key))  # fmt: skip
            assert resp.status_code == 200, resp.text[:300]
    return hub, [r.row for r in records]


@pytest.fixture
def world(ca_loaded: tuple[Hub, list[dict[str, str]]]) -> Iterator[dict[str, Any]]:
    hub, rows = ca_loaded
    clock = Clock(datetime(2026, 11, 2, 16, 0, tzinfo=UTC))  # 8 am in California
    guard = InquiryGuard(hub.engine, hub.settings.index_key(),
                         RateGuard(DatabaseRateLimiter(hub.engine), RatePolicy(),
                                   clock=lambda: clock.now.timestamp()),
                         hub.audit.log, DetectionPolicy(), now=clock)  # fmt: skip
    clerk = hub.access.issue_credential("TX", "counter", [Role.CLERK])
    admin = hub.access.issue_credential("CA", "admin", [Role.STATE_ADMIN])
    tx_admin = hub.access.issue_credential("TX", "admin", [Role.STATE_ADMIN])
    with TestClient(create_app(hub)) as client:
        hub.search.guard = guard
        yield {"client": client, "clock": clock, "clerk": clerk, "admin": admin, "rows": rows,
               "tx_admin": tx_admin}


def _harvest(world: dict[str, Any], probes: Iterator[dict[str, str]], step_s: int) -> tuple[
        int, int, Any]:  # fmt: skip
    """Run the attacker until refused; return (records harvested, inquiries, refusal)."""
    client, clock = world["client"], world["clock"]
    seen: set[str] = set()
    for n, probe in enumerate(probes, start=1):
        body = {**probe, "purpose": "license_issuance"}
        resp = client.post(SEARCH, json=body, headers=auth(world["clerk"], "mallory"))
        clock.now += timedelta(seconds=step_s)
        if resp.status_code == 429:
            return len(seen), n, resp
        assert resp.status_code == 200, resp.text
        seen |= {c["pointer_id"] for c in resp.json()["candidates"]}
    raise AssertionError("the attacker was never stopped")


def _sequential(start: date) -> Iterator[dict[str, str]]:
    for day in range(100000):
        for surname in COMMON_SURNAMES[:3]:
            yield {"first_name": "Maria", "last_name": surname,
                   "dob": (start + timedelta(days=day)).isoformat()}


def _one_surname() -> Iterator[dict[str, str]]:
    rng = random.Random(3)
    while True:
        dob = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        yield {"first_name": rng.choice(["Jose", "Maria", "Juan"]), "last_name": "Garcia",
               "dob": dob.isoformat()}  # fmt: skip


def _scattered() -> Iterator[dict[str, str]]:
    rng = random.Random(5)
    while True:
        dob = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        yield {"first_name": rng.choice(["Jose", "Maria", "Juan", "James", "Mary", "David"]),
               "last_name": rng.choice(COMMON_SURNAMES), "dob": dob.isoformat()}  # fmt: skip


@pytest.mark.parametrize(("strategy", "bound"), [
    ("sequential dates of birth, common surnames", 10),
    ("one surname across dates of birth", 10),
    ("scattered guesses, common names", 15),
])  # fmt: skip
def test_an_attacker_is_stopped_after_few_records(world: dict[str, Any], strategy: str,
                                                  bound: int) -> None:  # fmt: skip
    probes = {"sequential dates of birth, common surnames": _sequential(date(1980, 1, 1)),
              "one surname across dates of birth": _one_surname(),
              "scattered guesses, common names": _scattered()}[strategy]  # fmt: skip
    harvested, inquiries, refusal = _harvest(world, probes, step_s=2)
    print(f"\n{strategy}: {harvested} of 2000 CA records harvested in {inquiries} inquiries")
    assert harvested <= bound
    assert "harvesting" in refusal.json()["detail"]
    assert int(refusal.headers["retry-after"]) > 3000
    # The user stays refused during the cool-down, whatever they ask next.
    again = world["client"].post(SEARCH, headers=auth(world["clerk"], "mallory"), json={
        "first_name": "Ann", "last_name": "Other", "dob": "1991-04-05",
        "purpose": "license_issuance"})  # fmt: skip
    assert again.status_code == 429
    # The attacker's own state always sees the alert; California does once its records
    # were touched (an answer with candidates).
    alerts = world["client"].get("/v1/alerts", headers=auth(world["tx_admin"])).json()
    assert [a["user_id"] for a in alerts] == ["mallory"]
    ca_alerts = world["client"].get("/v1/alerts", headers=auth(world["admin"])).json()
    assert (ca_alerts != []) == (harvested > 0)


def test_normal_counter_traffic_is_not_flagged(world: dict[str, Any]) -> None:
    """Eight clerks, each serving real applicants (70% hold a card already) every 2-6
    minutes through a working day: nobody is refused."""
    rng = random.Random(11)
    rows, client, clock = world["rows"], world["client"], world["clock"]
    served = 0
    for minute in range(0, 8 * 60, 3):
        clock.now = datetime(2026, 11, 2, 16, 0, tzinfo=UTC) + timedelta(minutes=minute)
        for clerk in range(8):
            if rng.random() < 0.6:
                continue
            if rng.random() < 0.7:
                row = rng.choice(rows)
                person = {"first_name": row["first_name"], "last_name": row["last_name"],
                          "dob": row["dob"]}  # fmt: skip
            else:  # a first-time applicant, unknown to the hub
                person = {"first_name": rng.choice(["Ava", "Liam", "Noah", "Mia"]),
                          "last_name": rng.choice(COMMON_SURNAMES),
                          "dob": (date(2009, 1, 1) + timedelta(days=rng.randrange(700)))
                          .isoformat()}  # fmt: skip
            resp = client.post(SEARCH, json={**person, "purpose": "license_renewal"},
                               headers=auth(world["clerk"], f"clerk-{clerk}"))  # fmt: skip
            assert resp.status_code == 200, resp.text
            served += 1
    assert served > 400
    assert client.get("/v1/alerts", headers=auth(world["admin"])).json() == []
