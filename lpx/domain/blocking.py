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
- ``R`` first-name root + surname initial + birth year and month: surname and day wrong.
- ``S`` SSN token + birth year; ``T`` SSN token + month and day: names wrong, SSN right.
- ``Q`` one masked SSN token + DOB: names wrong and one SSN digit off.
- ``G`` SSN token + first-name root; ``H`` SSN token + surname phonetic; ``I`` SSN token +
  both initials: DOB unknown or wrong and one name wrong (or both slightly).
"""

from __future__ import annotations

import hashlib
from datetime import date

from lpx.domain.names import canonical_first, phonetic
from lpx.domain.profile import MatchProfile


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
    for lp in last_phs:
        if lp:
            keys.add(f"L|{lp}|{ds}")
            if first_ph:
                keys.add(f"N|{lp}|{first_ph}|{dob.year}")
                keys.add(f"M|{lp}|{first_ph}|{md}")
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
    if dob is not None:
        keys.add(f"S|{p.ssn_full}|{dob.year}")
        keys.add(f"T|{p.ssn_full}|{dob.month}-{dob.day}")
        ds = dob.isoformat()
        keys.update(f"Q{i}|{m}|{ds}" for i, m in enumerate(p.ssn_masked))
    return keys


def _last_phonetics(p: MatchProfile) -> set[str]:
    n = p.name
    return {n.last_phonetic, *(phonetic(part) for part in n.last_parts)}


def pointer_keys(p: MatchProfile) -> set[str]:
    """Keys under which a stored pointer can be found."""
    n = p.name
    keys = _name_keys(n.first, n.first_root, n.first_phonetic, n.last, _last_phonetics(p), p.dob)
    for aka in p.aka:
        keys |= _name_keys("", "", "", aka.last, {aka.last_phonetic}, p.dob)
    return keys | _ssn_keys(p, p.dob, n.first, n.first_root, n.last, _last_phonetics(p))


def inquiry_keys(p: MatchProfile) -> set[str]:
    """Keys an inquiry probes: its own, plus day/month-swapped and first/last-swapped forms."""
    n = p.name
    last_phs = _last_phonetics(p)
    dobs: list[date | None] = [p.dob]
    if p.dob is not None and (swapped := swapped_day_month(p.dob)) is not None:
        dobs.append(swapped)
    keys = _ssn_keys(p, p.dob, n.first, n.first_root, n.last, last_phs)
    keys |= _ssn_keys(p, None, n.last, canonical_first(n.last), n.first, {n.first_phonetic})
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
