"""Per-field comparison levels, Fellegi-Sunter style: ordered, first that holds wins.

Each function takes the inquiry's profile and a candidate's and returns a level name; the
model (``lpx.domain.model``) turns levels into weights.
"""

from __future__ import annotations

from datetime import date

from rapidfuzz.distance import JaroWinkler

from lpx.domain.blocking import swapped_day_month
from lpx.domain.names import NormalizedName, nickname_equivalent
from lpx.domain.profile import MatchProfile

JW_HIGH = 0.92
JW_MID = 0.85


def compare_first(a: str, a_root: str, b: str, b_root: str) -> str:
    if not a or not b:
        return "null"
    if a == b:
        return "exact"
    if (a_root and a_root == b_root) or nickname_equivalent(a, b):
        return "nickname"
    jw = JaroWinkler.similarity(a, b)
    if jw >= JW_HIGH:
        return "jw_high"
    if jw >= JW_MID:
        return "jw_mid"
    if (len(a) == 1 or len(b) == 1) and a[0] == b[0]:
        return "initial"
    return "else"


def compare_last(a: NormalizedName, b: NormalizedName) -> str:
    if not a.last or not b.last:
        return "null"
    if a.last == b.last:
        return "exact"
    if set(a.last_parts) & set(b.last_parts):
        return "one_of_two"
    jw = JaroWinkler.similarity(a.last, b.last)
    if jw >= JW_HIGH:
        return "jw_high"
    if a.last_phonetic and a.last_phonetic == b.last_phonetic:
        return "phonetic"
    if jw >= JW_MID:
        return "jw_mid"
    return "else"


def compare_middle(a: str, b: str) -> str:
    if not a or not b:
        return "null"
    if a == b:
        return "exact"
    if a[0] == b[0] and (len(a) == 1 or len(b) == 1):
        return "initial"
    return "else"


def compare_suffix(a: str, b: str) -> str:
    if not a and not b:
        return "null"
    if a == b:
        return "exact"
    if not a or not b:
        return "one_missing"
    return "else"


def _digits(d: date) -> str:
    """yyyymmdd, the year zero-padded (``strftime`` leaves years before 1000 short)."""
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def one_keying_slip(a: str, b: str) -> bool:
    """Two digit strings of one length differ by one mistyped digit, or by two adjacent
    digits typed in reverse order (1910-02-10 keyed as 1910-01-20): the two slips a clerk
    makes keying a date. A transposition is two edits to Levenshtein, so it is checked on
    its own (FEBRL makes both)."""
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(differ) == 1:
        return True
    return (len(differ) == 2 and differ[1] == differ[0] + 1
            and a[differ[0]] == b[differ[1]] and a[differ[1]] == b[differ[0]])  # fmt: skip


def compare_dob(a: date | None, b: date | None) -> str:
    if a is None or b is None:
        return "null"
    if a == b:
        return "exact"
    if swapped_day_month(a) == b:
        return "day_month_swapped"
    if one_keying_slip(_digits(a), _digits(b)):
        return "one_digit"
    if a.year == b.year:
        return "same_year"
    return "else"


def compare_sex(a: str, b: str) -> str:
    if not a or not b:
        return "null"
    return "exact" if a == b else "else"


def compare_ssn(a: MatchProfile, b: MatchProfile) -> str:
    """Tokens only: equal full token, one shared masked token (one digit off), or neither."""
    if not a.ssn_full or not b.ssn_full:
        return "null"
    if a.ssn_full == b.ssn_full:
        return "exact"
    if any(x == y for x, y in zip(a.ssn_masked, b.ssn_masked, strict=False)):
        return "one_digit"
    return "else"


def ssn_in_context(ssn: str, first: str, last: str, order: str, dob: str) -> str:
    """``conflict`` for SSN tokens that differ while both names and the DOB agree exactly.

    A person without an SSN sends a decoy derived from their name and birth date, so for a
    decoy holder the SSN level follows the name levels: renamed, the decoy differs. An SSN
    ``else`` is therefore weak evidence when the names differ, but when names and DOB are
    identical a decoy would have agreed too: the tokens are two different real SSNs, which
    is how namesakes (same common name, same birthday) differ from one person.
    """
    if ssn == "else" and first == last == dob == "exact" and order == "same":
        return "conflict"
    return ssn


def name_levels(
    a: MatchProfile, swapped_a: NormalizedName, b: MatchProfile
) -> tuple[str, str, str]:
    """First, last and order levels, taking the best of the straight and swapped reading
    (``swapped_a`` is the inquiry's name read family-first) and of the candidate's AKAs."""
    an, bn = a.name, b.name
    best = (
        compare_first(an.first, an.first_root, bn.first, bn.first_root),
        compare_last(an, bn),
        "same",
    )
    readings = [best]
    readings.append(
        (
            compare_first(swapped_a.first, swapped_a.first_root, bn.first, bn.first_root),
            compare_last(swapped_a, bn),
            "swapped",
        )
    )
    for aka in b.aka:
        aka_name = NormalizedName(aka.first, "", aka.last, (aka.last,), "", "", "",
                                  aka.last_phonetic)  # fmt: skip
        readings.append(
            (compare_first(an.first, an.first_root, aka.first, ""), compare_last(an, aka_name),
             "aka")
        )  # fmt: skip
    return max(readings, key=_reading_rank)


_LEVEL_RANK = {"exact": 6, "nickname": 5, "one_of_two": 5, "jw_high": 4, "phonetic": 3,
               "jw_mid": 3, "initial": 2, "null": 1, "else": 0}  # fmt: skip


def _reading_rank(levels: tuple[str, str, str]) -> tuple[int, int]:
    first, last, order = levels
    return (_LEVEL_RANK[first] + _LEVEL_RANK[last], order == "same")
