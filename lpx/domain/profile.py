"""Match profiles: the normalized form of an identity that comparison and blocking work on.

A profile is computed once when a pointer is written and stored with it, so an inquiry
only normalizes its own side. Every field may be unknown: an empty string, or ``dob=None``
for offline data without a readable birth date (the hub's own pointers always carry one).
An unknown field compares as ``null`` and carries no evidence either way, rather than a
stand-in value that would look like disagreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from lpx.domain.names import NormalizedName, compact, phonetic, surname_parts
from lpx.domain.records import MASKED_TOKEN_COUNT, Identity, Sex

# A profile in its stored form (:meth:`MatchProfile.to_dict`): compact lists of plain values.
ProfileData = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AkaName:
    """Another name a person is known by (a maiden name, say), split into given and family."""

    first: str
    last: str
    last_phonetic: str

    @classmethod
    def parse(cls, text: str, fallback_first: str) -> AkaName:
        words = text.split()
        # "Maria Lopez" carries both parts; a bare "Lopez" is a family name only.
        first = words[0] if len(words) > 1 else fallback_first
        last = " ".join(words[1:]) if len(words) > 1 else text
        parts = surname_parts(last)
        return cls(compact(first), "".join(parts), phonetic("".join(parts)))


@dataclass(frozen=True, slots=True)
class MatchProfile:
    name: NormalizedName
    dob: date | None  # None: unknown (offline files only)
    sex: str  # "" when unknown
    ssn_full: str  # "" when not given
    ssn_masked: tuple[str, ...]
    aka: tuple[AkaName, ...] = ()

    @classmethod
    def of(cls, identity: Identity, *, dob_known: bool = True) -> MatchProfile:
        """The profile of ``identity``; ``dob_known=False`` drops its (stand-in) birth date."""
        name = NormalizedName.of(
            identity.first_name, identity.last_name, identity.middle_name, identity.suffix
        )
        aka = tuple(AkaName.parse(a, identity.first_name) for a in identity.aka_names)
        return cls(
            name=name,
            dob=identity.dob if dob_known else None,
            sex=identity.sex.value if identity.sex and identity.sex != Sex.UNSPECIFIED else "",
            ssn_full=identity.ssn.full if identity.ssn else "",
            ssn_masked=identity.ssn.masked if identity.ssn else (),
            aka=aka,
        )

    def to_dict(self) -> ProfileData:
        n = self.name
        return {
            "n": [n.first, n.middle, n.last, list(n.last_parts), n.suffix,
                  n.first_root, n.first_phonetic, n.last_phonetic],
            "d": self.dob.isoformat() if self.dob else None,
            "x": self.sex,
            "s": [self.ssn_full, *self.ssn_masked],
            "a": [[a.first, a.last, a.last_phonetic] for a in self.aka],
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: ProfileData) -> MatchProfile:
        first, middle, last, parts, suffix, root, fp, lp = data["n"]
        ssn = data["s"]
        return cls(
            name=NormalizedName(first, middle, last, tuple(parts), suffix, root, fp, lp),
            dob=date.fromisoformat(data["d"]) if data["d"] else None,
            sex=data["x"],
            ssn_full=ssn[0] if ssn else "",
            # Documents stored before the last-digit mask was dropped hold a fifth: ignored.
            ssn_masked=tuple(ssn[1 : 1 + MASKED_TOKEN_COUNT]),
            aka=tuple(AkaName(*a) for a in data["a"]),
        )
