"""What encryption at rest costs the search path, against plaintext storage in the same run.

Loads N pointers into two fresh SQLite hubs through the real ``PointerService``: one seals
identities under the state's data key (as every hub does), the named peer stores them as
plaintext JSON (``IdentityCodec(None)``). Then it times (a) opening one candidate's identity
document (decrypt + parse profile vs parse profile) and (b) ``SearchService.search`` p50/p99
for the same inquiries on both. Reports only; never asserts.

    .venv/bin/python benchmarks/encryption.py --count 100000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.services.codec import IdentityCodec
from lpx.services.pointers import PointerService
from lpx.services.search import SearchService
from lpx.storage.db import migrate
from lpx.storage.uow import UnitOfWork

FIRST = ["Maria", "James", "Ana", "Wei", "Olga", "Ahmed", "Lucia", "John", "Priya", "Kofi",
         "Elena", "David", "Sofia", "Juan", "Mei", "Omar", "Grace", "Ivan", "Nadia", "Luis"]
LAST = ["Garcia", "Smith", "Nguyen", "Kowalski", "Okafor", "Haddad", "Rossi", "Kim", "Patel",
        "Lopez", "Murphy", "Cohen", "Silva", "Tanaka", "Novak", "Mendez", "Brown", "Ali",
        "Schmidt", "Reyes", "Walker", "Costa", "Yilmaz", "Dubois", "Ivanova"]  # fmt: skip
STATES = ["CA", "NY", "TX"]


def records(n: int, seed: int) -> list[PointerRecord]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        dob = date(1940, 1, 1) + timedelta(days=rnd.randrange(365 * 65))
        identity = Identity(rnd.choice(FIRST), f"{rnd.choice(LAST)}{rnd.randrange(400)}", dob,
                            middle_name=rnd.choice(FIRST))  # fmt: skip
        out.append(PointerRecord(STATES[i % 3], f"R{i}", identity,
                                 Card(CardType.DL, True, Status.ACTIVE)))  # fmt: skip
    return out


def hub_at(path: Path, encrypted: bool) -> Hub:
    hub = build_hub(Settings(database_url=f"sqlite:///{path}/hub.db", data_dir=path))
    migrate(hub.engine)
    for code in STATES:
        hub.access.add_jurisdiction(code, code)
    if not encrypted:  # the named peer: same services, plaintext identity column
        uow = partial(UnitOfWork, hub.engine)
        key = hub.settings.index_key()
        # Same case opener as the encrypted hub, so load times compare like with like.
        hub.pointers = PointerService(uow, key, hub.audit.log, codec=IdentityCodec(None),
                                      cases=hub.pointers.cases)
        hub.search = SearchService(uow, key, hub.search.model, hub.audit.log,
                                   codec=IdentityCodec(None))  # fmt: skip
    return hub


def load(hub: Hub, recs: list[PointerRecord]) -> float:
    start = time.perf_counter()
    for code in STATES:
        mine = [r for r in recs if r.jurisdiction == code]
        actor = Actor(code, "bench", frozenset({Role.RECORDS}), 1)
        for i in range(0, len(mine), 1000):
            hub.pointers.upsert_batch(actor, mine[i : i + 1000])
    return time.perf_counter() - start


def open_cost(hub: Hub, codec: IdentityCodec, sample: int) -> float:
    """Microseconds to turn one stored candidate into its match profile."""
    with hub.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT pointer_id, jurisdiction, identity FROM pointers LIMIT {sample}").all()
    start = time.perf_counter()
    for pid, jur, doc in rows:
        codec.profile(doc, jur, pid)
    return (time.perf_counter() - start) / len(rows) * 1e6


def search_times(hub: Hub, recs: list[PointerRecord], n: int, seed: int) -> list[float]:
    rnd = random.Random(seed)
    actor = Actor("CA", "bench", frozenset({Role.CLERK}), 1)
    times = []
    for r in rnd.sample(recs, n):
        q = SearchInquiry(Identity(r.identity.first_name, r.identity.last_name,
                                   r.identity.dob), Purpose.LICENSE_ISSUANCE)  # fmt: skip
        start = time.perf_counter()
        hub.search.search(actor, q)
        times.append((time.perf_counter() - start) * 1e3)
    return times


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--searches", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    recs = records(args.count, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for name, encrypted in (("plaintext (peer)", False), ("encrypted", True)):
            path = Path(tmp) / name.split()[0]
            path.mkdir()
            hub = hub_at(path, encrypted)
            load_s = load(hub, recs)
            codec = IdentityCodec(hub.keys.ring if encrypted else None)
            search_times(hub, recs, 200, args.seed + 1)  # warm caches and keys
            times = search_times(hub, recs, args.searches, args.seed)
            results[name] = (load_s, open_cost(hub, codec, 20_000), pct(times, 50), pct(times, 99))
            hub.engine.dispose()
    print(f"{args.count} pointers, {args.searches} searches, SQLite, one process")
    print(f"{'storage':<18}{'load s':>9}{'open us/cand':>14}{'search p50 ms':>15}{'p99 ms':>9}")
    for name, (load_s, per, p50, p99) in results.items():
        print(f"{name:<18}{load_s:>9.1f}{per:>14.1f}{p50:>15.3f}{p99:>9.3f}")
    base, enc = results["plaintext (peer)"], results["encrypted"]
    print(f"encryption adds {enc[1] - base[1]:.1f} us per candidate, "
          f"{enc[2] - base[2]:+.3f} ms p50, {enc[3] - base[3]:+.3f} ms p99 per search")


if __name__ == "__main__":
    main()
