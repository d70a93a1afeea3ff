"""Finding and ranking the stored pointers that may be the same person as a probe.

One place for "blocking keys -> candidates -> ranked pairs", shared by search inquiries
(one probe) and by case opening after pointer writes (a whole batch of probes, looked up
together so a bulk load pays a few statements per batch, not one per pointer).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lpx.domain.blocking import LONE_KEY_BLOCK_LIMIT, KeyHasher, inquiry_keys
from lpx.domain.linkage import MAX_CANDIDATES, ScoredPair, best_first, compare, rank
from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.profile import MatchProfile, ProfileData
from lpx.domain.vectorized import ProfileArrays, evidence, levels, swapped_name, weights
from lpx.services.codec import profile_of
from lpx.storage.workflow_repositories import MatchCandidate, MatchLookup


@functools.lru_cache(maxsize=4)
def _hasher(index_key: bytes) -> KeyHasher:
    return KeyHasher(index_key)


def probe_keys(index_key: bytes, profile: MatchProfile) -> list[int]:
    """The hashed blocking keys a probe looks under (expanded for swaps, as an inquiry).
    Every stored pointer has a DOB, so the keys that find only DOB-less ones are left out."""
    return sorted(_hasher(index_key)(inquiry_keys(profile, dob_free=False)))


# Below this many candidates an inquiry is scored pair by pair (``rank_few``). The array
# engine costs about 1.4 ms of numpy calls per block whatever its size, plus 11-13 us per
# pair of building its columns; pair by pair costs 15-20 us a pair. Measured on a 2-core
# machine, the two crossed between 200 and 250 candidates. A search at 10M pointers fetches
# 8 on average and rarely over 100 (benchmarks/search_scale.py), so nearly every search
# goes pair by pair.
SCALAR_BELOW = 200


def score(probe: MatchProfile, rows: Iterable[tuple[str, str]], model: MatchModel,
          limit: int = MAX_CANDIDATES) -> list[ScoredPair]:  # fmt: skip
    """Rank (key, identity document) candidates against the probe: match/possible only."""
    keyed = [(key, profile_of(doc)) for key, doc in rows]
    if len(keyed) < SCALAR_BELOW:
        return rank_few(probe, keyed, model, limit)
    return rank(probe, keyed, model, limit)


def rank_few(probe: MatchProfile, candidates: Sequence[tuple[str, MatchProfile]],
             model: MatchModel, limit: int = MAX_CANDIDATES) -> list[ScoredPair]:  # fmt: skip
    """:func:`~lpx.domain.linkage.rank` for a small block, through the scalar ``compare``
    that the array engine is tested against: the same levels, and the same weights to the
    bit (each field's level weight added in ``FIELDS`` order, then the term-frequency bits
    of an exact first or last name outside an AKA reading, as ``weights`` sums them)."""
    swapped = swapped_name(probe)
    # A block's pairs reach few distinct combinations of levels: each one's sum is added
    # up once (``compare`` returns the levels in ``FIELDS`` order).
    summed: dict[tuple[str, ...], float] = {}
    scored = []
    for key, other in candidates:
        found = compare(probe, swapped, other)
        levels = tuple(found.values())
        weight = summed.get(levels)
        if weight is None:
            weight = 0.0
            for f, level in zip(FIELDS, levels, strict=True):
                weight += model.weight(f, level)
            summed[levels] = weight
        if found["name_order"] != "aka":
            for f, value in (("first_name", other.name.first), ("last_name", other.name.last)):
                if found[f] == "exact":
                    weight += model.tf_bits(f, value)
        match_class = model.classify(weight) if weight >= model.possible_threshold else None
        if match_class is not None:
            scored.append(ScoredPair(key, round(weight, 3), model.probability(weight),
                                     match_class, found))  # fmt: skip
    scored.sort(key=best_first)
    return scored[:limit]


@dataclass(frozen=True, slots=True)
class Probe:
    """A pointer just written, as case opening sees it."""

    pointer_id: str
    pk: int  # the pointer's row, so the lookup need not fetch it as its own candidate
    jurisdiction: str
    record_id: str
    real_id: bool
    status: str
    identity: str  # the identity document as stored (sealed under the SOR's key, or plain)
    # The profile when the writer has it in hand: a bulk load then skips decrypting and
    # parsing the document it has just sealed.
    profile: MatchProfile | None = None


@dataclass(frozen=True, slots=True)
class FoundPair:
    probe: Probe
    other: MatchCandidate
    scored: ScoredPair
    fingerprint: str  # of both pointers' match profiles (see ``profile_fingerprint``)


# Opens a stored identity document (stored, jurisdiction, pointer id) into its profile's
# data, or None when it cannot be read (its state's key was destroyed): such a pointer is
# skipped. Data, not a MatchProfile: a batch's candidates go into columns straight from it
# (``ProfileArrays.of_candidate_data``) and only its hits become profiles.
ProfileOpener = Callable[[str, str, str], ProfileData | None]


def profile_fingerprint(profile: MatchProfile) -> str:
    """Changes only when a name, birth date, sex or SSN token changes (not on re-sealing)."""
    return hashlib.sha256(json.dumps(profile.to_dict(), sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ProbeBatch:
    """A write's probes ready to look up: those whose identity opened, their profiles and
    their blocking keys (computed once, for the lookup and for a catch-up after it)."""

    probes: list[Probe]
    profiles: dict[str, MatchProfile]
    keys: list[list[int]]

    @property
    def own(self) -> list[int]:
        """Each probe's own pointer (pk), which its lookup counts in its blocks but skips."""
        return [p.pk for p in self.probes]

    @classmethod
    def of(cls, index_key: bytes, probes: Sequence[Probe],
           open_profile: ProfileOpener) -> ProbeBatch:  # fmt: skip
        live: dict[str, MatchProfile] = {}
        for p in probes:
            if p.profile is not None:
                live[p.pointer_id] = p.profile
            elif (data := open_profile(p.identity, p.jurisdiction, p.pointer_id)) is not None:
                live[p.pointer_id] = MatchProfile.from_dict(data)
        kept = [p for p in probes if p.pointer_id in live]
        return cls(kept, live, [probe_keys(index_key, live[p.pointer_id]) for p in kept])


def match_batch(lookup: MatchLookup, index_key: bytes, model: MatchModel,
                probes: Sequence[Probe], open_profile: ProfileOpener,
                candidate_limit: int = 500, lone_block_limit: int = LONE_KEY_BLOCK_LIMIT,
                limit: int = MAX_CANDIDATES) -> tuple[ProbeBatch, list[FoundPair]]:  # fmt: skip
    """The probes as looked up, and their pairs with other stored pointers of class match
    or possible; never a probe with itself. Pointers of the same batch find each other
    (they are already in the index). A pointer sharing one key only with a probe is a
    candidate while that key's block holds at most ``lone_block_limit`` pointers (the probe
    itself among them), as a search counts them (``PointerRepository.candidates``)."""
    batch = ProbeBatch.of(index_key, probes, open_profile)
    hits, found = lookup.shared(batch.keys, lone_block_limit, batch.own)
    return batch, score_hits(batch, hits, found, model, open_profile, candidate_limit, limit)


def score_hits(batch: ProbeBatch, hits: Sequence[Sequence[int]],
               found: dict[int, MatchCandidate], model: MatchModel,
               open_profile: ProfileOpener, candidate_limit: int = 500,
               limit: int = MAX_CANDIDATES) -> list[FoundPair]:  # fmt: skip
    """The match and possible pairs of each probe with its hits (pks into ``found``, aligned
    with ``batch.probes``), at most ``candidate_limit`` candidates per probe."""
    live = batch.profiles
    opened: dict[str, ProfileData | None] = {}

    def other_profile(c: MatchCandidate) -> ProfileData | None:
        if c.pointer_id not in opened:
            opened[c.pointer_id] = open_profile(c.identity, c.jurisdiction, c.pointer_id)
        return opened[c.pointer_id]

    # Every (probe, candidate) pair of the batch goes through the array engine at once: one
    # ``levels``/``weights`` pass per batch rather than one per probe (a bulk load's probes
    # have ~40 candidates each, so per-probe numpy overhead used to dominate the scoring).
    probe_ix: dict[str, int] = {}
    other_ix: dict[str, int] = {}
    other_profiles: list[ProfileData] = []
    left: list[int] = []
    right: list[int] = []
    by_id: dict[str, MatchCandidate] = {}
    for p, pks in zip(batch.probes, hits, strict=True):
        others = sorted(pk for pk in pks if pk != p.pk)
        for pk in others[:candidate_limit]:
            c = found[pk]
            prof = other_profile(c)
            if prof is None:
                continue
            if c.pointer_id not in other_ix:
                other_ix[c.pointer_id] = len(other_profiles)
                other_profiles.append(prof)
                by_id[c.pointer_id] = c
            left.append(probe_ix.setdefault(p.pointer_id, len(probe_ix)))
            right.append(other_ix[c.pointer_id])
    if not left:
        return []
    by_probe = {p.pointer_id: p for p in batch.probes}
    probe_list = list(probe_ix)
    a = ProfileArrays.of([live[pid] for pid in probe_list])
    b = ProfileArrays.of_candidate_data(other_profiles).take(np.array(right))
    lv = levels(a.take(np.array(left)), b)
    w = weights(lv, model, b)
    ranked: dict[int, list[ScoredPair]] = {}
    other_ids = list(other_ix)
    for i in np.flatnonzero(w >= model.possible_threshold).tolist():
        weight = float(w[i])
        match_class = model.classify(weight)
        if match_class is not None:
            ranked.setdefault(left[i], []).append(ScoredPair(
                other_ids[right[i]], round(weight, 3), model.probability(weight), match_class,
                evidence(lv, i)))  # fmt: skip
    fingerprints: dict[str, str] = {}

    def fingerprint_of(pointer_id: str, profile: MatchProfile | ProfileData) -> str:
        if pointer_id not in fingerprints:
            if not isinstance(profile, MatchProfile):  # a candidate's data, canonical again
                profile = MatchProfile.from_dict(profile)
            fingerprints[pointer_id] = profile_fingerprint(profile)
        return fingerprints[pointer_id]

    pairs: list[FoundPair] = []
    for pi, scored in sorted(ranked.items()):
        probe = by_probe[probe_list[pi]]
        mine = fingerprint_of(probe.pointer_id, live[probe.pointer_id])
        scored.sort(key=best_first)
        for s in scored[:limit]:
            theirs = fingerprint_of(s.key, other_profiles[other_ix[s.key]])
            fps = sorted([(probe.pointer_id, mine), (s.key, theirs)])
            fp = hashlib.sha256("|".join(f for _, f in fps).encode()).hexdigest()
            pairs.append(FoundPair(probe, by_id[s.key], s, fp))
    return pairs


def best_per_probe(pairs: Iterable[FoundPair], limit: int = MAX_CANDIDATES) -> list[FoundPair]:
    """At most ``limit`` pairs per probe, best first (as :func:`score_hits` keeps them): for pairs
    that come from two scoring passes (a lookup and its catch-up), each capped alone."""
    by_probe: dict[str, list[FoundPair]] = {}
    for p in pairs:
        by_probe.setdefault(p.probe.pointer_id, []).append(p)
    kept: list[FoundPair] = []
    for found in by_probe.values():
        found.sort(key=lambda p: best_first(p.scored))
        kept += found[:limit]
    return kept
