"""Case opening scores a whole batch in one array pass; it must find exactly what scoring
each probe on its own finds (same pairs, weights, classes, evidence and fingerprints), on
SQLite and PostgreSQL, with or without the writer's profile in hand."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date

from sqlalchemy import select

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.client.keys import generate as generate_keys
from lpx.client.rows import parse_row
from lpx.domain.linkage import rank
from lpx.domain.profile import MatchProfile, ProfileData
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.services.codec import IdentityCodec
from lpx.services.matching import Probe, match_batch, probe_keys, profile_fingerprint
from lpx.storage import tables as t
from lpx.storage.uow import UnitOfWork
from lpx.storage.workflow_repositories import MatchCandidate
from lpx.synth import generate

STATES = ("CA", "NY", "TX")


def _load(hub: Hub, count: int) -> None:
    keys = generate_keys()
    batches: dict[str, list[PointerIn]] = {s: [] for s in STATES}
    for line, rec in enumerate(generate(count, STATES, seed=7), start=2):
        batches[rec.state].append(PointerIn.model_validate(
            parse_row(line, rec.row, keys, rec.state)))  # fmt: skip
    hub.pointers.cases = None  # cases are not the subject: the lookup below is
    for state, pointers in batches.items():
        actor = Actor(state, "loader", frozenset({Role.RECORDS}), 0)
        hub.pointers.upsert_batch(actor, [p.to_domain(state) for p in pointers])
    # A crowded block: twelve people born the same day whose given names start "Wi", each
    # sharing that one key with the others (a synth file this small has no such block).
    crowd = [PointerRecord("CA", f"W{i}", Identity(first_name=f"Wi{a}{b}x", last_name=last,
                                                   dob=date(1970, 3, 4)),
                           Card(CardType.DL, True, Status.ACTIVE))
             for i, (a, b, last) in enumerate(zip("bcdfghjklmnp", "aeiouyaeiouy", _CROWD,
                                                  strict=True))]  # fmt: skip
    hub.pointers.upsert_batch(Actor("CA", "loader", frozenset({Role.RECORDS}), 0), crowd)


_CROWD = ("Okafor", "Brandt", "Quispe", "Haddad", "Lindqvist", "Tanaka", "Mbeki", "Ferreira",
          "Novak", "Zielinski", "Ruiz", "Dubois")  # fmt: skip


def _probes(uow: UnitOfWork, codec: IdentityCodec, with_profile: bool) -> list[Probe]:
    rows = [r for s in STATES for r in uow.pointers.page(s, "", 1000)]
    return [Probe(r.pointer_id, r.pk, r.jurisdiction, r.record_id, r.real_id, r.status,
                  r.identity,
                  codec.profile(r.identity, r.jurisdiction, r.pointer_id) if with_profile
                  else None) for r in rows]  # fmt: skip


def _under_keys(uow: UnitOfWork, keys: list[int]
                ) -> tuple[dict[int, list[int]], dict[int, MatchCandidate]]:  # fmt: skip
    """Every pointer under each key, read plainly (the reference counts shared keys itself)."""
    b, p = t.pointer_blocks.c, t.pointers.c
    by_key: dict[int, list[int]] = {}
    for key, pk in uow.conn.execute(select(b.block_key, b.pointer_pk)
                                    .where(b.block_key.in_(keys))):  # fmt: skip
        by_key.setdefault(key, []).append(pk)
    pks = {pk for pks in by_key.values() for pk in pks}
    found = {r.pk: MatchCandidate(r.pointer_id, r.jurisdiction, r.record_id, bool(r.real_id),
                                  r.status, r.identity, r.pk, r.version)
             for r in uow.conn.execute(select(t.pointers).where(p.pk.in_(pks)))}  # fmt: skip
    return by_key, found


Found = set[tuple[str, str, float, str, str, str]]


def _one_at_a_time(hub: Hub, uow: UnitOfWork, probes: list[Probe], limit: int, lone: int
                   ) -> tuple[Found, set[str]]:  # fmt: skip
    """The reference: each probe's own lookup, candidate cut and ``rank`` call; also every
    candidate opened."""
    codec, index_key = hub.pointers.codec, hub.settings.index_key()
    out = set()
    opened: set[str] = set()
    for p in probes:
        mine = codec.profile(p.identity, p.jurisdiction, p.pointer_id)
        by_key, found = _under_keys(uow, probe_keys(index_key, mine))
        shared = Counter(pk for pks in by_key.values() for pk in pks)
        small = {pk for pks in by_key.values() if len(pks) <= lone for pk in pks}
        pks = sorted(pk for pk, n in shared.items() if (n > 1 or pk in small)
                     and found[pk].pointer_id != p.pointer_id)[:limit]  # fmt: skip
        others: dict[str, MatchProfile] = {}
        for pk in pks:
            c: MatchCandidate = found[pk]
            others[c.pointer_id] = codec.profile(c.identity, c.jurisdiction, c.pointer_id)
        opened |= set(others)
        for s in rank(mine, others.items(), hub.search.model):
            fps = sorted([(p.pointer_id, profile_fingerprint(mine)),
                          (s.key, profile_fingerprint(others[s.key]))])  # fmt: skip
            fp = hashlib.sha256("|".join(f for _, f in fps).encode()).hexdigest()
            out.add((p.pointer_id, s.key, s.weight, s.match_class, repr(sorted(
                s.evidence.items())), fp))  # fmt: skip
    return out, opened


def test_batch_scoring_equals_scoring_each_probe_alone(hub: Hub) -> None:
    _load(hub, 900)
    codec, index_key, model = hub.pointers.codec, hub.settings.index_key(), hub.search.model
    with UnitOfWork(hub.engine) as uow:
        for with_profile in (False, True):
            probes = _probes(uow, codec, with_profile)
            # A small candidate cut as well, so the per-probe cut is checked too; and lone
            # hits kept in any block, in blocks of at most eight pointers, or in none.
            found: dict[tuple[int, int], int] = {}
            opens: dict[tuple[int, int], int] = {}
            # The crowd's block holds exactly twelve: limits 12 and 11 straddle it.
            for limit, lone in ((500, 500), (500, 12), (500, 11), (500, 8), (500, 0), (3, 8)):
                opened: set[str] = set()

                def opener(stored: str, jurisdiction: str, pointer_id: str) -> ProfileData:
                    opened.add(pointer_id)  # noqa: B023 (read before the next loop)
                    return codec.profile_data(stored, jurisdiction, pointer_id)

                got = {(f.probe.pointer_id, f.other.pointer_id, f.scored.weight,
                        f.scored.match_class, repr(sorted(f.scored.evidence.items())),
                        f.fingerprint)
                       for f in match_batch(uow.matches, index_key, model, probes,
                                            opener, limit, lone)[1]}  # fmt: skip
                want, candidates = _one_at_a_time(hub, uow, probes, limit, lone)
                assert got == want
                if with_profile:  # then only candidates are opened
                    assert opened == candidates
                found[limit, lone], opens[limit, lone] = len(got), len(opened)
            assert found[500, 500] > 50  # synth people with cards in two states
            # The synth file's pairs all share several keys; only the crowd's lone hits go.
            assert found[500, 500] > found[500, 8] == found[500, 0], found
            if with_profile:
                assert opens[500, 500] == opens[500, 12] > opens[500, 11] == opens[500, 8], opens
                assert opens[500, 8] >= opens[500, 0], opens


def test_lookup_among_recent_pointers_equals_the_full_lookup_restricted_to_them(hub: Hub) -> None:
    """Case opening's catch-up reads the keys of the pointers committed since its lookup and
    matches them in Python (``MatchLookup.among``); it must keep exactly the hits the full
    lookup keeps among those pointers, the lone-key rule at the crowd's block included."""
    _load(hub, 900)
    codec, index_key = hub.pointers.codec, hub.settings.index_key()
    with UnitOfWork(hub.engine) as uow:
        probes = _probes(uow, codec, with_profile=True)
        keys = [probe_keys(index_key, p.profile) for p in probes if p.profile is not None]
        every = uow.conn.execute(select(t.pointers.c.pk).order_by(t.pointers.c.pk)).scalars()
        pks = list(every)
        recent = pks[::3] + pks[-12:]  # a third of the pointers, and the crowd
        for lone in (500, 12, 11, 0):
            full, _ = uow.matches.shared(keys, lone)
            got, found = uow.matches.among(keys, recent, lone)
            want = [sorted(set(h) & set(recent)) for h in full]
            assert [sorted(h) for h in got] == want
            assert set(found) == {pk for h in want for pk in h}
            assert all(found[pk].pk == pk for pk in found)
        lone_hits = {lone: sum(map(len, uow.matches.among(keys, recent, lone)[0]))
                     for lone in (12, 11)}  # fmt: skip
        assert lone_hits[12] > lone_hits[11]  # the boundary is exercised


def test_a_probes_own_pointer_counts_in_its_blocks_but_is_not_fetched(hub: Hub) -> None:
    """A batch's probes are already in the index: each finds itself under all its keys. Told
    which pointer is each probe's own, the lookup leaves it out of that probe's hits and
    does not read it, yet still counts it in the probe's blocks for the lone-key rule (the
    crowd's twelve straddle the limits 12 and 11 with it)."""
    _load(hub, 900)
    codec, index_key = hub.pointers.codec, hub.settings.index_key()
    with UnitOfWork(hub.engine) as uow:
        probes = [p for p in _probes(uow, codec, with_profile=True) if p.profile is not None]
        keys = [probe_keys(index_key, p.profile) for p in probes if p.profile is not None]
        own = [p.pk for p in probes]
        for lone in (500, 12, 11, 0):
            full, _ = uow.matches.shared(keys, lone)
            assert all(mine in hits for hits, mine in zip(full, own, strict=True))
            got, found = uow.matches.shared(keys, lone, own)
            want = [[pk for pk in h if pk != mine] for h, mine in zip(full, own, strict=True)]
            assert got == want
            assert set(found) == {pk for h in got for pk in h}
