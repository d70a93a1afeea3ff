"""Finding and ranking the stored pointers that may be the same person as a probe.

One place for "blocking keys -> candidates -> ranked pairs", shared by search inquiries
(one probe) and by case opening after pointer writes (a whole batch of probes, looked up
together so a bulk load pays a few statements per batch, not one per pointer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from lpx.domain.blocking import hash_key, inquiry_keys
from lpx.domain.linkage import MAX_CANDIDATES, ScoredPair, rank
from lpx.domain.model import MatchModel
from lpx.domain.profile import MatchProfile
from lpx.services.codec import profile_of
from lpx.storage.workflow_repositories import MatchCandidate, MatchLookup


def probe_keys(index_key: bytes, profile: MatchProfile) -> list[int]:
    """The hashed blocking keys a probe looks under (expanded for swaps, as an inquiry)."""
    return sorted({hash_key(index_key, k) for k in inquiry_keys(profile)})


def score(probe: MatchProfile, rows: Iterable[tuple[str, str]], model: MatchModel,
          limit: int = MAX_CANDIDATES) -> list[ScoredPair]:  # fmt: skip
    """Rank (key, identity document) candidates against the probe: match/possible only."""
    return rank(probe, ((key, profile_of(doc)) for key, doc in rows), model, limit)


@dataclass(frozen=True, slots=True)
class Probe:
    """A pointer just written, as case opening sees it."""

    pointer_id: str
    jurisdiction: str
    record_id: str
    real_id: bool
    status: str
    identity: str  # the identity document as stored (sealed under the SOR's key, or plain)


@dataclass(frozen=True, slots=True)
class FoundPair:
    probe: Probe
    other: MatchCandidate
    scored: ScoredPair
    fingerprint: str  # of both pointers' match profiles (see ``profile_fingerprint``)


# Opens a stored identity document (stored, jurisdiction, pointer id) into its profile, or
# None when it cannot be read (its state's key was destroyed): such a pointer is skipped.
ProfileOpener = Callable[[str, str, str], MatchProfile | None]


def profile_fingerprint(profile: MatchProfile) -> str:
    """Changes only when a name, birth date, sex or SSN token changes (not on re-sealing)."""
    return hashlib.sha256(json.dumps(profile.to_dict(), sort_keys=True).encode()).hexdigest()


def match_batch(lookup: MatchLookup, index_key: bytes, model: MatchModel,
                probes: Sequence[Probe], open_profile: ProfileOpener,
                candidate_limit: int = 500,
                limit: int = MAX_CANDIDATES) -> list[FoundPair]:  # fmt: skip
    """Pairs of (probe, other stored pointer) of class match or possible; never a probe with
    itself. Pointers of the same batch find each other (they are already in the index)."""
    profiles: dict[str, MatchProfile | None] = {
        p.pointer_id: open_profile(p.identity, p.jurisdiction, p.pointer_id) for p in probes}
    keys = {pid: probe_keys(index_key, prof) for pid, prof in profiles.items() if prof}
    by_key, found = lookup.under_keys([k for ks in keys.values() for k in ks])
    opened: dict[str, MatchProfile | None] = {}

    def other_profile(c: MatchCandidate) -> MatchProfile | None:
        if c.pointer_id not in opened:
            opened[c.pointer_id] = open_profile(c.identity, c.jurisdiction, c.pointer_id)
        return opened[c.pointer_id]

    pairs: list[FoundPair] = []
    for p in probes:
        probe_profile = profiles[p.pointer_id]
        if probe_profile is None:
            continue
        pks: list[int] = []
        seen: set[int] = set()
        for k in keys[p.pointer_id]:
            for pk in by_key.get(k, ()):
                if pk not in seen and found[pk].pointer_id != p.pointer_id:
                    seen.add(pk)
                    pks.append(pk)
        pks = sorted(pks)[:candidate_limit]
        by_id = {found[pk].pointer_id: found[pk] for pk in pks}
        others = {pid: prof for pid, c in by_id.items() if (prof := other_profile(c))}
        ranked = rank(probe_profile, others.items(), model, limit)
        mine = profile_fingerprint(probe_profile)
        for s in ranked:
            theirs = profile_fingerprint(others[s.key])
            fps = sorted([(p.pointer_id, mine), (s.key, theirs)])
            fp = hashlib.sha256("|".join(f for _, f in fps).encode()).hexdigest()
            pairs.append(FoundPair(p, by_id[s.key], s, fp))
    return pairs
