"""Name pools for synthetic people, read once from Faker's locale data.

Faker's ``Faker(locale)`` objects are slow to build and slow per call, so the pools read the
provider classes' name tuples directly (keeping Faker's frequency weights where it has them)
and sampling is a bisect on cumulative weights with the caller's ``random.Random``. Names in
non-Latin scripts (Russian, Chinese) are romanized with ``anyascii``; Latin names keep their
accents (José, Müller, Nguyễn) because real files carry both spellings and the hub normalizes.
"""

from __future__ import annotations

import importlib
import re
from bisect import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from random import Random

from anyascii import anyascii
from nicknames import NickNamer

__all__ = [
    "NamePool",
    "WeightedNames",
    "name_pools",
    "nicknames_for",
    "pick_pool",
    "to_ascii",
    "translit_variants",
]

_FORBIDDEN = re.compile(r"[*%?_\x00]")
# Faker's de_DE list carries a few artefacts ("Koch II", "Dussen van", "auch Schlauchin").
_JUNK = re.compile(r"(?:^auch |\bII$|\bvan$)")


_TOP: dict[tuple[int, int], WeightedNames] = {}


@dataclass(frozen=True, slots=True)
class WeightedNames:
    """A tuple of names with optional cumulative weights, sampled in O(log n)."""

    names: tuple[str, ...]
    cum: tuple[float, ...] | None = None

    def pick(self, rng: Random) -> str:
        if self.cum is None:
            return self.names[int(rng.random() * len(self.names))]
        return self.names[bisect(self.cum, rng.random() * self.cum[-1])]

    def top(self, k: int) -> WeightedNames:
        """The k most common names (the first k when unweighted): namesakes share these."""
        key = (id(self), k)  # pools live for the whole process, so their ids are stable
        if key not in _TOP:
            _TOP[key] = self._top(k)
        return _TOP[key]

    def _top(self, k: int) -> WeightedNames:
        if self.cum is None:
            return WeightedNames(self.names[:k])
        weights = [c - p for c, p in zip(self.cum, (0.0, *self.cum), strict=False)]
        order = sorted(range(len(self.names)), key=lambda i: -weights[i])[:k]
        return _weighted([(self.names[i], weights[i]) for i in order])


@dataclass(frozen=True, slots=True)
class NamePool:
    """Names of one Faker locale plus the habits of that naming culture."""

    locale: str
    weight: float
    male: WeightedNames
    female: WeightedNames
    last: WeightedNames
    last_female: WeightedNames | None  # gendered surnames (Ivanov / Ivanova)
    middle_male: WeightedNames | None  # None: middle names are drawn from first names
    middle_female: WeightedNames | None
    middle_rate: float
    double_surname_rate: float  # Hispanic paternal + maternal surnames


def _weighted(items: Iterable[tuple[str, float]]) -> WeightedNames:
    merged: dict[str, float] = {}
    for name, w in items:
        if name and len(name) <= 30 and not _FORBIDDEN.search(name) and not _JUNK.search(name):
            merged[name] = merged.get(name, 0.0) + w
    names = tuple(merged)
    if len(set(merged.values())) <= 1:
        return WeightedNames(names)
    cum: list[float] = []
    total = 0.0
    for w in merged.values():
        total += w
        cum.append(total)
    return WeightedNames(names, tuple(cum))


def _romanize(name: str, locale: str) -> str:
    if locale == "zh_CN":
        return anyascii(name).capitalize()  # 'XiuYing' -> 'Xiuying'
    if locale == "ru_RU":
        return anyascii(name).replace("'", "")  # soft sign: Aver'yan -> Averyan
    return name


def _load(provider: type, attr: str, locale: str) -> WeightedNames | None:
    raw: object = getattr(provider, attr, None)
    if raw is None:
        return None
    if isinstance(raw, Mapping):
        items = [(_romanize(str(k), locale), float(v)) for k, v in raw.items()]
    else:
        assert isinstance(raw, Iterable)
        items = [(_romanize(str(k), locale), 1.0) for k in raw]
    pool = _weighted(items)
    return pool if pool.names else None


# locale, share of the population, middle-name rate, double-surname rate.
_LOCALES: tuple[tuple[str, float, float, float], ...] = (
    ("en_US", 0.64, 0.75, 0.0),
    ("es_MX", 0.13, 0.35, 0.55),
    ("es_ES", 0.02, 0.35, 0.6),
    ("pt_BR", 0.01, 0.4, 0.0),
    ("zh_CN", 0.03, 0.05, 0.0),
    ("vi_VN", 0.02, 0.6, 0.0),
    ("en_IN", 0.03, 0.2, 0.0),
    ("ru_RU", 0.03, 0.6, 0.0),
    ("de_DE", 0.03, 0.3, 0.0),
    ("fr_FR", 0.02, 0.3, 0.0),
)


@lru_cache(maxsize=1)
def name_pools() -> tuple[NamePool, ...]:
    """All locale pools, built once per process (about 0.1 s)."""
    pools = []
    for locale, weight, middle_rate, double_rate in _LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        male = _load(provider, "first_names_male", locale)
        female = _load(provider, "first_names_female", locale)
        last = _load(provider, "last_names_male", locale) or _load(provider, "last_names", locale)
        if male is None or female is None or last is None:
            raise RuntimeError(f"Faker locale {locale} lacks first or last names")
        pools.append(
            NamePool(
                locale=locale,
                weight=weight,
                male=male,
                female=female,
                last=last,
                last_female=_load(provider, "last_names_female", locale),
                middle_male=_load(provider, "middle_names_male", locale)
                or _load(provider, "middle_names", locale),
                middle_female=_load(provider, "middle_names_female", locale)
                or _load(provider, "middle_names", locale),
                middle_rate=middle_rate,
                double_surname_rate=double_rate,
            )
        )
    return tuple(pools)


@lru_cache(maxsize=1)
def _pool_cum() -> tuple[float, ...]:
    total, cum = 0.0, []
    for pool in name_pools():
        total += pool.weight
        cum.append(total)
    return tuple(cum)


def pick_pool(rng: Random) -> NamePool:
    cum = _pool_cum()
    return name_pools()[bisect(cum, rng.random() * cum[-1])]


@lru_cache(maxsize=65536)
def to_ascii(name: str) -> str:
    return anyascii(name)


@lru_cache(maxsize=1)
def _nicknamer() -> NickNamer:
    return NickNamer()


@lru_cache(maxsize=16384)
def nicknames_for(first: str) -> tuple[str, ...]:
    """Nicknames of a given name (William -> Bill, Will, ...), sorted for determinism."""
    found: set[str] = _nicknamer().nicknames_of(to_ascii(first).lower())
    return tuple(sorted(n.capitalize() for n in found if len(n) >= 2 and n.isalpha()))


_GERMAN = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
)
# Competing romanizations seen on real cards: Aleksandr/Alexander, Sergey/Sergei, Yuriy/Yuri.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), r)
    for p, r in (
        (r"(?<=.)ks", "x"),
        (r"(?<=.)x", "ks"),
        (r"ndr$", "nder"),
        (r"iy$", "y"),
        (r"iy$", "i"),
        (r"ey$", "ei"),
        (r"^yev", "Ev"),
        (r"^ye", "E"),
        (r"kh", "h"),
        (r"(?<=.)ya", "ia"),
        (r"(?<=.)yu", "iu"),
        (r"ph", "f"),
        (r"mm", "m"),
        (r"tch", "ch"),
        (r"(?<=.)ie$", "y"),
    )
)


@lru_cache(maxsize=65536)
def translit_variants(native: str) -> tuple[str, ...]:
    """Other spellings of one name: accents kept or dropped, ü as ue, romanization rules."""
    plain = to_ascii(native)
    seen = {native, plain, native.translate(_GERMAN)}
    for pattern, repl in _RULES:
        variant = pattern.sub(repl, plain, count=1)
        if variant != plain and variant:
            seen.add(variant[0].upper() + variant[1:] if plain[:1].isupper() else variant)
    return tuple(sorted(seen))
