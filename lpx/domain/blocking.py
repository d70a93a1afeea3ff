"""Blocking keys: several strict rules OR'd together, so recall survives errors in two fields.

A stored pointer gets one key per rule. An inquiry expands its own side (swapped day and
month, swapped first and last name) instead, which keeps the stored index small.
Keys are hashed under the hub's index key before they are stored, so the index reveals
no names or birth dates by itself.

Every rule pairs two independent fields (or three weak ones), so that no block grows with
the population faster than a name or a birth date alone: at 300M people a full DOB holds
about 10k people, a surname phonetic plus birth year about as many as a small town's
namesakes, an SSN-5 token (100k values) about 3k. No rule keys on a DOB or a birth year
alone. The rules, by the errors they survive (FEBRL damages several fields at once):

- ``F`` first-name root + DOB; ``L`` surname phonetic + DOB: one name wrong.
- ``N`` both phonetics + birth year; ``M`` both phonetics + month and day: one DOB digit.
- ``P`` surname's first two letters + DOB: both names misspelt, DOB right.
- ``A`` first name's first two letters + DOB: first name misspelt, surname missing or wrong.
- ``R`` first-name root + surname initial + birth year and month: surname and day wrong.
- ``S`` SSN token + birth year; ``T`` SSN token + month and day: names wrong, SSN right.
- ``Q`` one masked SSN token + DOB: names wrong and one SSN digit off.
- ``G`` SSN token + first-name root; ``H`` SSN token + surname phonetic; ``I`` SSN token +
  both initials; ``K`` SSN token + surname's first two letters: DOB unknown or wrong and
  one name wrong (or both slightly), or the first name wrong and the surname misspelt.
- ``U`` two name parts (root, phonetic or first letters of each name) and ``V`` the SSN
  token alone: only for a pointer whose DOB is *unknown* (offline files), which no DOB rule
  can find. Offline every record probes them; the hub stores no pointer without a DOB, so
  its searches leave them out (``dob_free=False``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date

from lpx.domain.names import canonical_first, phonetic
from lpx.domain.profile import MatchProfile

# A stored pointer that shares a single key with an inquiry is scored only while that key's
# block holds at most this many pointers: then the key alone nearly names one person.
# True matches share about eleven keys (one true pair in 2,000 shares one, synth data), but
# blocks grow with the hub: at 10M pointers the lone hits of crowded blocks (a given name's
# first two letters and a DOB, say) are seven in eight candidates and almost never a match
# (README, "Blocking at scale").
LONE_KEY_BLOCK_LIMIT = 2


def swapped_day_month(d: date) -> date | None:
    """The date with day and month exchanged, when that is a different valid date."""
    if d.day > 12 or d.day == d.month:
        return None
    return date(d.year, d.day, d.month)


def _name_keys(first: str, root: str, first_ph: str, last: str, last_phs: set[str],
               dob: date | None) -> set[str]:  # fmt: skip
    """Rules on names and the birth date (none when the DOB is unknown)."""
    if dob is None:
        return set()
    ds, md = dob.isoformat(), f"{dob.month}-{dob.day}"
    keys = {f"F|{root}|{ds}", f"R|{root}|{last[:1]}|{dob.year}-{dob.month}"} if root else set()
    if len(last) >= 2:
        keys.add(f"P|{last[:2]}|{ds}")
    if len(first) >= 2:
        keys.add(f"A|{first[:2]}|{ds}")
    for lp in last_phs:
        if lp:
            keys.add(f"L|{lp}|{ds}")
            if first_ph:
                keys.add(f"N|{lp}|{first_ph}|{dob.year}")
                keys.add(f"M|{lp}|{first_ph}|{md}")
    return keys


def _unknown_dob_keys(first: str, root: str, last: str, last_phs: set[str],
                      ssn: str) -> set[str]:  # fmt: skip
    """Rules for a pointer without a DOB: the names' parts in pairs, or the SSN token."""
    keys = {f"V|{ssn}"} if ssn else set()
    if root and len(last) >= 2:
        keys.add(f"U|{root}|{last[:2]}")
    for lp in last_phs:
        if lp and root:
            keys.add(f"U|{root}|{lp}")
        if lp and len(first) >= 2:
            keys.add(f"U|{first[:2]}|{lp}")
    return keys


def _ssn_keys(p: MatchProfile, dob: date | None, first: str, root: str, last: str,
              last_phs: set[str]) -> set[str]:  # fmt: skip
    """Rules on the SSN token: with a name (any DOB, or none) or with part of the DOB."""
    if not p.ssn_full:
        return set()
    keys = {f"H|{p.ssn_full}|{lp}" for lp in last_phs if lp}
    if root:
        keys.add(f"G|{p.ssn_full}|{root}")
    if first and last:
        keys.add(f"I|{p.ssn_full}|{first[:1]}{last[:1]}")
    if len(last) >= 2:
        keys.add(f"K|{p.ssn_full}|{last[:2]}")
    if dob is not None:
        keys.add(f"S|{p.ssn_full}|{dob.year}")
        keys.add(f"T|{p.ssn_full}|{dob.month}-{dob.day}")
        ds = dob.isoformat()
        keys.update(f"Q{i}|{m}|{ds}" for i, m in enumerate(p.ssn_masked))
    return keys


def _last_phonetics(p: MatchProfile) -> set[str]:
    """The surname's phonetic and each of its parts' (a one-part surname's is the stored
    one: folding and encoding it again cost ~10 us a key set, every write and inquiry)."""
    n = p.name
    if len(n.last_parts) <= 1:
        return {n.last_phonetic}
    return {n.last_phonetic, *(phonetic(part) for part in n.last_parts)}


def pointer_keys(p: MatchProfile) -> set[str]:
    """Keys under which a stored pointer can be found."""
    n = p.name
    last_phs = _last_phonetics(p)
    keys = _name_keys(n.first, n.first_root, n.first_phonetic, n.last, last_phs, p.dob)
    for aka in p.aka:
        keys |= _name_keys("", "", "", aka.last, {aka.last_phonetic}, p.dob)
    if p.dob is None:
        keys |= _unknown_dob_keys(n.first, n.first_root, n.last, last_phs, p.ssn_full)
    return keys | _ssn_keys(p, p.dob, n.first, n.first_root, n.last, last_phs)


def inquiry_keys(p: MatchProfile, *, dob_free: bool = True) -> set[str]:
    """Keys an inquiry probes: its own, plus day/month-swapped and first/last-swapped forms.

    ``dob_free=False`` leaves out the ``U``/``V`` keys, which only find pointers without a
    DOB: the hub stores none, so its searches skip a quarter of their probes."""
    n = p.name
    last_phs = _last_phonetics(p)
    dobs: list[date | None] = [p.dob]
    if p.dob is not None and (swapped := swapped_day_month(p.dob)) is not None:
        dobs.append(swapped)
    keys = _ssn_keys(p, p.dob, n.first, n.first_root, n.last, last_phs)
    keys |= _ssn_keys(p, None, n.last, canonical_first(n.last), n.first, {n.first_phonetic})
    if dob_free:
        keys |= _unknown_dob_keys(n.first, n.first_root, n.last, last_phs, p.ssn_full)
        keys |= _unknown_dob_keys(n.last, canonical_first(n.last), n.first, {n.first_phonetic},
                                  "")  # fmt: skip
    for d in dobs:
        keys |= _name_keys(n.first, n.first_root, n.first_phonetic, n.last, last_phs, d)
        # Swapped names: the inquiry's first name is the pointer's family name and vice versa.
        keys |= _name_keys(n.last, canonical_first(n.last), n.last_phonetic, n.first,
                           {n.first_phonetic}, d)  # fmt: skip
    return keys


def hash_key(index_key: bytes, key: str) -> int:
    """A keyed 64-bit hash of a blocking key, as a signed integer for a BIGINT column."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, key=index_key).digest()
    return int.from_bytes(digest, "big", signed=True)


class KeyHasher:
    """``hash_key`` over many keys: the keyed BLAKE2b state is made once and copied per key,
    half the cost of starting one, and a load hashes about 20 keys per pointer."""

    __slots__ = ("_keyed",)

    def __init__(self, index_key: bytes) -> None:
        self._keyed = hashlib.blake2b(digest_size=8, key=index_key)

    def __call__(self, keys: Iterable[str]) -> frozenset[int]:
        out = set()
        for key in keys:
            h = self._keyed.copy()
            h.update(key.encode())
            out.add(int.from_bytes(h.digest(), "big", signed=True))
        return frozenset(out)
