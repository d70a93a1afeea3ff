"""Name frequency tables for term-frequency adjustment of exact name agreement.

Agreeing on "Smith" is weaker evidence than agreeing on "Oyelaran": u for an exact match
on a value is that value's frequency. Tables keep only values seen at least ``min_count``
times, so a shipped model file lists no rare (identifying) surname; every rarer value gets
the floor ``min_count / total``, an upper bound on its frequency, hence a conservative
(smaller) boost than its true frequency would give.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

MIN_COUNT = 5


def frequency_table(
    values: Iterable[str], min_count: int = MIN_COUNT
) -> tuple[dict[str, float], float]:
    """(value -> relative frequency for values seen ``min_count`` times or more, floor)."""
    counts = Counter(v for v in values if v)
    total = sum(counts.values())
    if not total:
        return {}, 1.0
    table = {v: c / total for v, c in counts.items() if c >= min_count}
    return table, min(1.0, min_count / total)
