"""Match profiles: the normalized form of an identity that comparison and blocking work on.

A profile is computed once when a pointer is written and stored with it, so an inquiry
only normalizes its own side. Every field may be unknown: an empty string, or ``dob=None``
for offline data without a readable birth date (the hub's own pointers always carry one).
An unknown field compares as ``null`` and carries no evidence either way, rather than a
stand-in value that would look like disagreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
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
        """The profile :meth:`to_dict` stored. Built through the slots' own setters: the
        frozen dataclasses' generated ``__init__`` sets each field with a generic
        ``object.__setattr__`` call, which made this 4.5 us a profile against 2.0-2.4, and every
        search opens each of its candidates this way."""
        first, middle, last, parts, suffix, root, fp, lp = data["n"]
        name = _NEW(NormalizedName)
        n0, n1, n2, n3, n4, n5, n6, n7 = _NAME_SETTERS
        n0(name, first), n1(name, middle), n2(name, last), n3(name, tuple(parts))
        n4(name, suffix), n5(name, root), n6(name, fp), n7(name, lp)
        ssn, dob, aka = data["s"], data["d"], data["a"]
        profile = _NEW(cls)
        p0, p1, p2, p3, p4, p5 = _PROFILE_SETTERS
        p0(profile, name), p1(profile, date.fromisoformat(dob) if dob else None)
        p2(profile, data["x"]), p3(profile, ssn[0] if ssn else "")
        # Documents stored before the last-digit mask was dropped hold a fifth: ignored.
        p4(profile, tuple(ssn[1 : 1 + MASKED_TOKEN_COUNT]))
        p5(profile, tuple(AkaName(*a) for a in aka) if aka else ())
        return profile


def _setters(cls: type) -> tuple[Callable[[object, Any], None], ...]:
    """Each field's slot setter, in field order (the unpacking in ``from_dict`` fails loudly
    if a field is added)."""
    return tuple(getattr(cls, f.name).__set__ for f in fields(cls))


_NEW = object.__new__
_NAME_SETTERS = _setters(NormalizedName)
_PROFILE_SETTERS = _setters(MatchProfile)
