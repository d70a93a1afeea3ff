"""Name normalization: one spelling per name for comparison, the original kept for display.

Transliteration comes from ``anyascii`` and nickname equivalence from the ``nicknames``
data package; nothing here is a hand-typed name table except the short list of surname
particles, which is grammar rather than data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from nicknames import NickNamer

# Particles that may be written, dropped or glued on ("De la Cruz", "Delacruz", "Cruz").
PARTICLES = frozenset(
    "de del della der den di da das dos du la las le les los van von ter ten st y e".split()
)
SUFFIXES = {
    "jr": "JR", "junior": "JR", "sr": "SR", "senior": "SR",
    "i": "I", "ii": "II", "iii": "III", "iv": "IV", "v": "V", "2nd": "II", "3rd": "III",
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['`\u2019\u02bc]")


def fold(text: str) -> str:
    """Transliterate to ASCII, lowercase, drop apostrophes, turn other punctuation into spaces."""
    ascii_text = anyascii(text).lower()
    ascii_text = _APOSTROPHES.sub("", ascii_text)
    return _NON_ALNUM.sub(" ", ascii_text).strip()


def tokens(text: str) -> tuple[str, ...]:
    return tuple(fold(text).split())


def compact(text: str) -> str:
    """The folded name with spaces removed: "Garcia-Lopez" and "Garcia Lopez" agree."""
    return "".join(tokens(text))


def surname_parts(text: str) -> tuple[str, ...]:
    """Significant parts of a surname: particles dropped, so "De la Cruz" gives ("cruz",)."""
    parts = tuple(t for t in tokens(text) if t not in PARTICLES)
    return parts or tokens(text)


def normalize_suffix(text: str) -> str:
    folded = compact(text)
    return SUFFIXES.get(folded, folded.upper())


def phonetic(text: str) -> str:
    """Metaphone of the compacted name; empty for an empty name."""
    value = compact(text)
    return jellyfish.metaphone(value) if value else ""


@lru_cache(maxsize=1)
def _namer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=65536)
def name_variants(first: str) -> frozenset[str]:
    """The folded name with every name the nickname data links to it, in either direction."""
    name = compact(first)
    if not name:
        return frozenset()
    namer = _namer()
    return frozenset({name} | namer.canonicals_of(name) | namer.nicknames_of(name))


@dataclass(frozen=True, slots=True)
class _NicknameGraph:
    """The nickname data as a directed graph: ``out[a]`` holds the nicknames recorded for a."""

    out: dict[str, frozenset[str]]
    near: dict[str, frozenset[str]]  # linked either way, self excluded

    def weight(self, name: str) -> tuple[int, int]:
        """How root-like a name is: roots carry many nicknames; longer spelling breaks ties."""
        return len(self.out.get(name, ())), len(name)


@lru_cache(maxsize=1)
def _graph() -> _NicknameGraph:
    lookup = _namer().nickname_lookup
    near: dict[str, set[str]] = {}
    for name, nicks in lookup.items():
        for nick in nicks:
            if nick != name:
                near.setdefault(name, set()).add(nick)
                near.setdefault(nick, set()).add(name)
    return _NicknameGraph(
        out={k: frozenset(v) for k, v in lookup.items()},
        near={k: frozenset(v) for k, v in near.items()},
    )


def _root_step(name: str, graph: _NicknameGraph) -> str:
    """The linked name this one should defer to, or the name itself when it is a root.

    The data holds rows in both directions ("bill has_nickname william") and links some
    nicknames to several roots (bill: robert and william), so a name defers only to a
    heavier neighbour (more recorded nicknames) that also knows most of its own nicknames
    (at least half of them; a mutual link counts as agreement). Among those, the one that
    shares the most neighbours wins: Bill shares Billy, Will and Willie with William but only
    Billy with Robert. Remaining ties go to the heavier name, then the closer spelling
    (Jaro-Winkler), then the alphabet, so the rule is deterministic.
    """
    own = graph.out.get(name, frozenset())
    near = graph.near.get(name, frozenset())
    best: tuple[tuple[int, int, float, str], str] | None = None
    for cand in near:
        if graph.weight(cand) <= graph.weight(name):
            continue
        cand_near = graph.near.get(cand, frozenset())
        rest = own - {cand}
        mutual = cand in own and name in graph.out.get(cand, frozenset())
        if rest and not mutual and 2 * len(rest & (cand_near | {cand})) < len(rest):
            continue
        shared = len(near & cand_near) + (cand in own) + (name in graph.out.get(cand, ()))
        similarity = round(jellyfish.jaro_winkler_similarity(name, cand), 6)
        # Negated code points make max() prefer the alphabetically first name.
        key = (shared, graph.weight(cand)[0], similarity, _reverse_alpha(cand))
        if best is None or key > best[0]:
            best = (key, cand)
    return name if best is None else best[1]


def _reverse_alpha(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


@lru_cache(maxsize=65536)
def canonical_first(first: str) -> str:
    """One stable root for a given name, so that Bill, Will, Billy and William share a key.

    Follows :func:`_root_step` until it stops; each step moves to a strictly heavier name,
    so the walk ends. The root is a key, not a display form: a nickname the data ties to
    several roots (Sam: Samuel or Samantha) lands on one of them, which is why callers
    treat differing roots as weak evidence, never as proof of two people.
    """
    name = compact(first)
    if not name:
        return ""
    graph = _graph()
    while True:
        step = _root_step(name, graph)
        if step == name:
            return name
        name = step


def nickname_equivalent(a: str, b: str) -> bool:
    """True when one name is a recorded nickname or canonical form of the other. Both are
    compact already (as in :class:`NormalizedName`): folding them again here took a third
    of the time of scoring a small block pair by pair."""
    return bool(a and b) and (b in name_variants(a) or a in name_variants(b))


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """A person's name in comparison form."""

    first: str
    middle: str
    last: str
    last_parts: tuple[str, ...]
    suffix: str
    first_root: str
    first_phonetic: str
    last_phonetic: str

    @classmethod
    def of(cls, first: str, last: str, middle: str = "", suffix: str = "") -> NormalizedName:
        parts = surname_parts(last)
        return cls(
            first=compact(first),
            middle=compact(middle),
            last="".join(parts),
            last_parts=parts,
            suffix=normalize_suffix(suffix) if suffix else "",
            first_root=canonical_first(first),
            first_phonetic=phonetic(first),
            last_phonetic=phonetic("".join(parts)),
        )
