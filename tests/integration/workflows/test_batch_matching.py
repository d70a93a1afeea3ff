"""Case opening scores a whole batch in one array pass; it must find exactly what scoring
each probe on its own finds (same pairs, weights, classes, evidence and fingerprints), on
SQLite and PostgreSQL, with or without the writer's profile in hand."""

from __future__ import annotations

import hashlib

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.client.keys import generate as generate_keys
from lpx.client.rows import parse_row
from lpx.domain.linkage import rank
from lpx.domain.profile import MatchProfile
from lpx.services.codec import IdentityCodec
from lpx.services.matching import Probe, match_batch, probe_keys, profile_fingerprint
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


def _probes(uow: UnitOfWork, codec: IdentityCodec, with_profile: bool) -> list[Probe]:
    rows = [r for s in STATES for r in uow.pointers.page(s, "", 1000)]
    return [Probe(r.pointer_id, r.jurisdiction, r.record_id, r.real_id, r.status, r.identity,
                  codec.profile(r.identity, r.jurisdiction, r.pointer_id) if with_profile
                  else None) for r in rows]  # fmt: skip


def _one_at_a_time(hub: Hub, uow: UnitOfWork, probes: list[Probe], limit: int
                   ) -> set[tuple[str, str, float, str, str, str]]:  # fmt: skip
    """The reference: each probe's own lookup, candidate cut and ``rank`` call."""
    codec, index_key = hub.pointers.codec, hub.settings.index_key()
    out = set()
    for p in probes:
        mine = codec.profile(p.identity, p.jurisdiction, p.pointer_id)
        by_key, found = uow.matches.under_keys(probe_keys(index_key, mine))
        pks = sorted({pk for pks in by_key.values() for pk in pks
                      if found[pk].pointer_id != p.pointer_id})[:limit]  # fmt: skip
        others: dict[str, MatchProfile] = {}
        for pk in pks:
            c: MatchCandidate = found[pk]
            others[c.pointer_id] = codec.profile(c.identity, c.jurisdiction, c.pointer_id)
        for s in rank(mine, others.items(), hub.search.model):
            fps = sorted([(p.pointer_id, profile_fingerprint(mine)),
                          (s.key, profile_fingerprint(others[s.key]))])  # fmt: skip
            fp = hashlib.sha256("|".join(f for _, f in fps).encode()).hexdigest()
            out.add((p.pointer_id, s.key, s.weight, s.match_class, repr(sorted(
                s.evidence.items())), fp))  # fmt: skip
    return out


def test_batch_scoring_equals_scoring_each_probe_alone(hub: Hub) -> None:
    _load(hub, 900)
    codec, index_key, model = hub.pointers.codec, hub.settings.index_key(), hub.search.model
    with UnitOfWork(hub.engine) as uow:
        for with_profile in (False, True):
            probes = _probes(uow, codec, with_profile)
            # A small candidate cut as well, so the per-probe cut is checked too.
            for limit in (500, 3):
                got = {(f.probe.pointer_id, f.other.pointer_id, f.scored.weight,
                        f.scored.match_class, repr(sorted(f.scored.evidence.items())),
                        f.fingerprint)
                       for f in match_batch(uow.matches, index_key, model, probes,
                                            codec.profile, limit)}  # fmt: skip
                assert got == _one_at_a_time(hub, uow, probes, limit)
                if limit == 500:
                    assert len(got) > 50  # synth people with cards in two states
