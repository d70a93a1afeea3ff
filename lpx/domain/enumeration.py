"""Rules that tell harvesting from counter work, on features that hold no personal data.

A clerk asks about the applicants in front of them: varied names and birth dates, mostly
people the hub knows. Someone harvesting walks a space instead: one birth date with many
surnames, one surname across birth dates, consecutive birth dates, guesses that mostly
miss, and often at night. Each inquiry is reduced to keyed hashes (birth date, surname
sound) and an off-hours flag; the rules below count those over a user's recent window.

Someone confirming a leaked roll of real people at counter pace in business hours shows none
of those shapes: varied names and dates, mostly hits, by day. What still tells them from a
clerk is volume: a busy counter clerk serves 40-80 applicants a day, a harvester wants
thousands. So the window (a day by default) also caps a user's inquiries and the distinct
people (birth date and surname sound) they ask about, at a ceiling a busy counter lives with.

Sequential birth dates are found without storing any date: the current inquiry's date is
in hand, so its neighbours' hashes are computed and looked up among the stored hashes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class Pattern(StrEnum):
    SAME_DOB = "same_dob"
    SAME_SURNAME = "same_surname"
    SEQUENTIAL_DOB = "sequential_dob"
    HIGH_MISS_RATE = "high_miss_rate"
    OFF_HOURS_BURST = "off_hours_burst"
    USER_DAILY_INQUIRIES = "user_daily_inquiries"
    USER_DAILY_PEOPLE = "user_daily_people"
    MANY_USERS_FLAGGED = "credential_many_users_flagged"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Trip points; defaults are set for a busy counter clerk over a 24-hour window
    (docs/privacy.md, "Rate limits and enumeration", says why each)."""

    same_dob: int = 8  # inquiries sharing one birth date
    same_surname: int = 12  # inquiries sharing one surname sound ...
    same_surname_share: float = 0.3  # ... that also make up this share of the window
    sequential_run: int = 8  # distinct birth dates chained at most ``sequential_step`` apart
    sequential_step: int = 2
    miss_min: int = 40  # inquiries needed before the miss rate counts
    miss_rate: float = 0.9
    off_hours_burst: int = 40  # inquiries in the off-hours span
    # Volume ceilings over the window: most inquiries, and most distinct people, one user may
    # ask about (a busy clerk serves 40-80 applicants a day; retries and typos come on top).
    daily_inquiries: int = 200
    daily_people: int = 120
    flagged_users: int = 3  # users of one credential flagged in the window


@dataclass(frozen=True, slots=True)
class Features:
    """One inquiry as the detector keeps it."""

    dob_hash: str
    surname_hash: str
    off_hours: bool


def feature_hash(key: bytes, label: str, value: str) -> str:
    """HMAC-SHA256 under the hub's index key, truncated to 128 bits (hex)."""
    return hmac.new(key, f"lpx:enum:{label}:v1|{value}".encode(), hashlib.sha256).hexdigest()[:32]


def dob_hash(key: bytes, dob: date) -> str:
    return feature_hash(key, "dob", dob.isoformat())


def features_of(key: bytes, dob: date, surname_sound: str, at: datetime,
                off_hours_utc: tuple[int, int]) -> Features:  # fmt: skip
    start, end = off_hours_utc
    hour = at.hour
    night = start <= hour < end if start <= end else (hour >= start or hour < end)
    return Features(dob_hash(key, dob), feature_hash(key, "surname", surname_sound), night)


def sequential_run(dob: date, seen: set[str], hash_of: Callable[[date], str], step: int,
                   cap: int) -> int:  # fmt: skip
    """Distinct stored birth dates chained to ``dob`` by gaps of at most ``step`` days,
    walking both ways (``dob`` itself counts once); stops counting at ``cap``."""
    run = 1
    for direction in (-1, 1):
        here, gap = dob, 0
        while run < cap and gap < step:
            here = here + timedelta(days=direction)
            gap += 1
            if hash_of(here) in seen:
                run += 1
                gap = 0
    return run


def detect(current: Features, recent: Sequence[Features], run: int, inquiries: int,
           misses: int, t: Thresholds) -> list[Pattern]:  # fmt: skip
    """Patterns tripped by ``recent`` plus ``current`` (``run``: its sequential_run;
    ``inquiries``/``misses``: answered inquiries in the window and how many found nobody)."""
    window = [*recent, current]
    found: list[Pattern] = []
    dobs = Counter(f.dob_hash for f in window)
    if dobs[current.dob_hash] >= t.same_dob:
        found.append(Pattern.SAME_DOB)
    surnames = Counter(f.surname_hash for f in window)
    same = surnames[current.surname_hash]
    if same >= t.same_surname and same >= t.same_surname_share * len(window):
        found.append(Pattern.SAME_SURNAME)
    if run >= t.sequential_run:
        found.append(Pattern.SEQUENTIAL_DOB)
    if inquiries >= t.miss_min and misses >= t.miss_rate * inquiries:
        found.append(Pattern.HIGH_MISS_RATE)
    if current.off_hours and sum(f.off_hours for f in window) >= t.off_hours_burst:
        found.append(Pattern.OFF_HOURS_BURST)
    if len(window) > t.daily_inquiries:
        found.append(Pattern.USER_DAILY_INQUIRIES)
    # A person is a (birth date, surname sound) pair: asking again about the same applicant
    # (a typo fixed, a second purpose) does not count twice.
    if len({(f.dob_hash, f.surname_hash) for f in window}) > t.daily_people:
        found.append(Pattern.USER_DAILY_PEOPLE)
    return found
