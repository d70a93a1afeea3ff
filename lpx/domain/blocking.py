"""Blocking keys: several strict rules OR'd together, so recall survives any one field's error.

A stored pointer gets one key per rule. An inquiry expands its own side (swapped day and
month, swapped first and last name) instead, which keeps the stored index small.
Keys are hashed under the hub's index key before they are stored, so the index reveals
no names or birth dates by itself.
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


def _rule_keys(first_root: str, first_ph: str, last_phs: set[str], dob: date) -> set[str]:
    ds = dob.isoformat()
    keys = {f"F|{first_root}|{ds}"} if first_root else set()
    for lp in last_phs:
        if lp:
            keys.add(f"L|{lp}|{ds}")
            if first_ph:
                # Names with year, and names with day and month: one DOB digit can be wrong.
                keys.add(f"N|{lp}|{first_ph}|{dob.year}")
                keys.add(f"M|{lp}|{first_ph}|{dob.month}-{dob.day}")
    return keys


def pointer_keys(p: MatchProfile) -> set[str]:
    """Keys under which a stored pointer can be found."""
    n = p.name
    last_phs = {n.last_phonetic, *(phonetic(part) for part in n.last_parts)}
    keys = _rule_keys(n.first_root, n.first_phonetic, last_phs, p.dob)
    for aka in p.aka:
        keys |= _rule_keys("", "", {aka.last_phonetic}, p.dob)
    if p.ssn_full:
        keys.add(f"S|{p.ssn_full}|{p.dob.year}")
    return keys


def inquiry_keys(p: MatchProfile) -> set[str]:
    """Keys an inquiry probes: its own, plus day/month-swapped and first/last-swapped forms."""
    n = p.name
    last_phs = {n.last_phonetic, *(phonetic(part) for part in n.last_parts)}
    dobs = [p.dob]
    if (swapped := swapped_day_month(p.dob)) is not None:
        dobs.append(swapped)
    keys: set[str] = set()
    for d in dobs:
        keys |= _rule_keys(n.first_root, n.first_phonetic, last_phs, d)
        # Swapped names: the inquiry's first name is the pointer's family name and vice versa.
        keys |= _rule_keys(canonical_first(n.last), n.last_phonetic, {n.first_phonetic}, d)
    if p.ssn_full:
        keys.add(f"S|{p.ssn_full}|{p.dob.year}")
    return keys


def hash_key(index_key: bytes, key: str) -> int:
    """A keyed 64-bit hash of a blocking key, as a signed integer for a BIGINT column."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, key=index_key).digest()
    return int.from_bytes(digest, "big", signed=True)
