"""State-style license numbers, unique per state without remembering the ones issued."""

from __future__ import annotations

from math import gcd
from random import Random
from typing import ClassVar

from lpx.synth.names import to_ascii

__all__ = ["IdMaker"]

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class IdMaker:
    """Unique, random-looking license numbers: an affine permutation of a per-state counter."""

    __slots__ = ("a", "b", "mod", "n", "style")

    _STYLES: ClassVar[dict[str, tuple[str, int]]] = {
        "CA": ("L7", 26 * 10**7),  # A1234567
        "NY": ("D9", 10**9),  # 123456789
        "TX": ("D8", 10**8),  # 12345678
        "FL": ("FL", 10**12),  # S123-456-78-901-2
        "IL": ("IL", 10**11),  # S123-4567-8901
    }

    def __init__(self, state: str, rng: Random) -> None:
        self.style, self.mod = self._STYLES.get(state, ("L8", 26 * 10**8))
        a = rng.randrange(self.mod // 3, self.mod) | 1
        while gcd(a, self.mod) != 1:
            a += 2
        self.a, self.b, self.n = a, rng.randrange(self.mod), 0

    def next(self, last_name: str) -> str:
        if self.n >= self.mod:
            raise ValueError("record id space exhausted for this state")
        v = (self.a * self.n + self.b) % self.mod
        self.n += 1
        style = self.style
        if style == "D9":
            return f"{v:09d}"
        if style == "D8":
            return f"{v:08d}"
        if style in ("L7", "L8"):
            width = int(style[1])
            return f"{_LETTERS[v // 10**width]}{v % 10**width:0{width}d}"
        # FL and IL numbers start with the surname's initial (they derive from Soundex).
        initial = to_ascii(last_name[:1]).upper()[:1]
        initial = initial if initial in _LETTERS and initial else "X"
        if style == "FL":
            d = f"{v:012d}"
            return f"{initial}{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:11]}-{d[11]}"
        d = f"{v:011d}"
        return f"{initial}{d[:3]}-{d[3:7]}-{d[7:]}"
