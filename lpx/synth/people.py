"""Synthetic people and their license records, with the errors real state files carry.

Generation is person by person: a person (sometimes with a look-alike twin, namesake or
father) is drawn, their cards in one to three states are planned, and each card is rendered
with per-record errors. Nothing is kept between persons except per-state id counters, so
memory stays flat at any count. Errors hit a person's later records at the configured rate
and the first record at ``first_record_factor`` times that rate, because a hub mostly sees a
mover's *new* state's record disagree with the old one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from random import Random

from lpx.synth.ids import IdMaker
from lpx.synth.names import (
    NamePool,
    WeightedNames,
    nicknames_for,
    pick_pool,
    to_ascii,
    translit_variants,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_STATES",
    "ERROR_TYPES",
    "ErrorRates",
    "SynthRecord",
    "generate",
]

COLUMNS: tuple[str, ...] = (
    "record_id", "card_type", "real_id", "first_name", "middle_name", "last_name", "suffix",
    "aka_names", "dob", "sex", "ssn_last5", "issue_date", "expiry_date", "status",
)  # fmt: skip
ERROR_TYPES: tuple[str, ...] = (
    "typo", "nickname", "swap_names", "surname_form", "translit", "married_name",
    "dob_swap", "ssn_typo", "middle_missing", "middle_initial",
)  # fmt: skip
DEFAULT_STATES: tuple[str, ...] = ("CA", "NY", "TX", "FL", "IL")

# Fixed "today" so that a seed gives the same files on any day.
REFERENCE = date(2025, 1, 1).toordinal()
_DOB_MIN = date(1935, 1, 1).toordinal()
_SIXTEEN_YEARS = 5845  # days; at least 16 calendar years, so issue > dob + 15 y even after a swap
_DOB_MAX = REFERENCE - _SIXTEEN_YEARS - 31
_REAL_ID_START = date(2018, 1, 1).toordinal()
_X_MARKER_START = date(2019, 1, 1).toordinal()
_STATE_RE = re.compile(r"^[A-Z]{2}$")
# Relative populations (millions) so that CA gets more records than IL; others get 5.
_STATE_WEIGHT = {"CA": 39.0, "TX": 30.0, "FL": 22.0, "NY": 20.0, "IL": 12.6}
_TERM_YEARS = {"CA": 5, "NY": 8, "TX": 8, "FL": 8, "IL": 4}
_CURRENT_STATUS = (("active", 0.9), ("expired", 0.95), ("suspended", 0.985), ("revoked", 1.0))
_STALE_STATUS = (("cancelled", 0.45), ("surrendered", 0.75), ("active", 0.9), ("expired", 1.0))
_KEYS = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True, slots=True)
class ErrorRates:
    """Probabilities of record errors and population traits.

    Error rates are per record and conditional on the error being possible (a day-month
    swap needs day <= 12, a nickname needs a name that has one). ``married_name`` is per
    woman with cards in two or more states.
    """

    typo: float = 0.05
    nickname: float = 0.10
    swap_names: float = 0.01
    surname_form: float = 0.30
    translit: float = 0.30
    married_name: float = 0.30
    dob_swap: float = 0.03
    ssn_typo: float = 0.02
    middle_missing: float = 0.15
    middle_initial: float = 0.15
    first_record_factor: float = 0.25
    no_ssn: float = 0.08
    ssn_placeholder: float = 0.30
    multi_state: float = 0.30
    same_state_card: float = 0.02
    lookalike: float = 0.03

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{f.name} must be between 0 and 1, got {value}")
        if self.middle_missing + self.middle_initial > 1.0:
            raise ValueError("middle_missing + middle_initial must not exceed 1")


@dataclass(frozen=True, slots=True)
class SynthRecord:
    """One card as a state would file it, plus its ground truth (person, applied errors)."""

    state: str
    person: str
    row: dict[str, str]
    errors: tuple[str, ...]


@dataclass(slots=True)
class _Person:
    pid: str
    pool: NamePool
    sex: str
    first: str
    middle: str
    last: tuple[str, ...]  # surname parts: ('García', 'López') or ('Smith',)
    sep: str
    suffix: str
    dob: int
    ssn: str | None
    ascii_base: bool  # writes 'Jose' rather than 'José' unless an error flips it
    legacy_sex: str  # what cards issued before the X marker existed say
    aka: str = ""
    married_from: int = 99
    married_last: tuple[str, ...] = ()
    married_sep: str = " "
    maiden_aka: str = ""


def _cum(weights: Sequence[float]) -> list[float]:
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def _new_ssn(rng: Random) -> str:
    while True:
        ssn = f"{int(rng.random() * 10)}{1 + int(rng.random() * 9999):04d}"
        if ssn != "99999":
            return ssn


def _draw(rng: Random, pool: NamePool, sex: str, common: bool = False) -> tuple[str, str]:
    """A given name and middle name of the pool's culture ('José Luis' splits in two)."""
    female = sex == "F"
    names: WeightedNames = pool.female if female else pool.male
    first = (names.top(20) if common else names).pick(rng)
    middle = ""
    if " " in first:
        first, middle = first.split(" ", 1)
    elif rng.random() < pool.middle_rate:
        middles = (pool.middle_female if female else pool.middle_male) or names
        middle = middles.pick(rng).split(" ")[0]
        if middle == first:
            middle = ""
    return first, middle


def _surname(rng: Random, pool: NamePool, sex: str, common: bool = False) -> tuple[str, ...]:
    names = pool.last_female if sex == "F" and pool.last_female else pool.last
    if common:
        names = names.top(20)
    first = names.pick(rng)
    if rng.random() < pool.double_surname_rate:
        second = names.pick(rng)
        if second != first:
            return (first, second)
    return (first,)


def _person(rng: Random, pid: int, rates: ErrorRates, common: bool = False) -> _Person:
    pool = pick_pool(rng)
    r = rng.random()
    sex = "F" if r < 0.497 else "M" if r < 0.994 else "X"
    legacy = sex if sex != "X" else "F" if rng.random() < 0.5 else "M"
    first, middle = _draw(rng, pool, legacy, common)
    last = _surname(rng, pool, legacy, common)
    suffix = ""
    if sex == "M" and rng.random() < 0.02:
        suffix = ("Jr", "Sr", "II", "III")[int(rng.random() * 4)]
    person = _Person(
        pid=f"P{pid:09d}",
        pool=pool,
        sex=sex,
        first=first,
        middle=middle,
        last=last,
        sep=" ",
        suffix=suffix,
        dob=_DOB_MIN + int(rng.random() * (_DOB_MAX - _DOB_MIN + 1)),
        ssn=None if rng.random() < rates.no_ssn else _new_ssn(rng),
        ascii_base=rng.random() < 0.6,
        legacy_sex=legacy,
    )
    if sex == "F" and REFERENCE - person.dob > 25 * 365 and rng.random() < 0.3:
        # Married before any card we hold: the cards carry the married name; some list the
        # maiden name as an alias.
        maiden = person.last
        person.last = _surname(rng, pool if rng.random() < 0.7 else pick_pool(rng), "F")[:1]
        if rng.random() < 0.15:
            person.last, person.sep = (maiden[0], person.last[0]), "-"
        person.aka = f"{first} {' '.join(maiden)}" if rng.random() < 0.4 else ""
    return person


def _lookalikes(rng: Random, pid: int, rates: ErrorRates) -> list[_Person]:
    """A twin pair, a namesake pair (same common name and birth date) or a father and son."""
    kind = rng.random()
    a = _person(rng, pid, rates, common=kind < 0.4)
    b = _person(rng, pid + 1, rates)
    b.pool, b.dob, b.ascii_base = a.pool, a.dob, a.ascii_base
    if kind < 0.4:  # namesakes: different people, same name and birth date
        b.sex, b.legacy_sex, b.first, b.last, b.sep = a.sex, a.legacy_sex, a.first, a.last, a.sep
        b.middle, b.aka = _draw(rng, a.pool, a.legacy_sex)[1], ""
    elif kind < 0.7 or a.sex != "M":  # twins: same surname and birth date, close SSNs
        b.last, b.sep, b.aka = a.last, a.sep, ""
        for _ in range(5):  # a different given name from the same culture
            b.first, b.middle = _draw(rng, a.pool, b.legacy_sex)
            if b.first != a.first:
                break
        if a.ssn is not None and b.ssn is not None:
            b.ssn = f"{a.ssn[0]}{(int(a.ssn[1:]) % 9998) + 1:04d}"
            b.ssn = b.ssn if b.ssn != "99999" else _new_ssn(rng)
    else:  # father and son: same full name, suffixes Jr/Sr (the father's often left off)
        b.sex, b.legacy_sex, b.first, b.middle = "M", "M", a.first, a.middle
        b.last, b.sep, b.aka = a.last, a.sep, ""
        b.dob = max(_DOB_MIN - 15 * 365, a.dob - rng.randint(20 * 365, 40 * 365))
        a.suffix, b.suffix = "Jr", "Sr" if rng.random() < 0.5 else ""
    return [a, b]


def _typo(rng: Random, s: str) -> str:
    """One keyboard slip: insert, delete, substitute or transpose one letter."""
    n = len(s)
    i = rng.randrange(1, n) if n > 1 else 0
    op = rng.randrange(4)
    c = _KEYS[rng.randrange(26)]
    if op == 0:
        out = s[:i] + c + s[i:]
    elif op == 1 and n > 2:
        out = s[:i] + s[i + 1 :]
    elif op == 2 and i + 1 < n:
        out = s[:i] + s[i + 1] + s[i] + s[i + 2 :]
    else:
        out = s[:i] + c + s[i + 1 :]
    return out if out != s else s + c


class _Generator:
    """Holds the per-run state: rng, rates, states and per-state id makers."""

    def __init__(self, states: Sequence[str], seed: int, rates: ErrorRates) -> None:
        self.rng = Random(seed)
        self.rates = rates
        self.states = tuple(states)
        self.state_cum = _cum([_STATE_WEIGHT.get(s, 5.0) for s in self.states])
        self.ids = {s: IdMaker(s, Random(f"{seed}:{s}")) for s in self.states}

    def _pick_states(self, n: int) -> list[str]:
        rng, chosen = self.rng, list[str]()
        total = self.state_cum[-1]
        while len(chosen) < n:
            i = 0
            x = rng.random() * total
            while self.state_cum[i] <= x:
                i += 1
            if self.states[i] not in chosen:
                chosen.append(self.states[i])
        return chosen

    def records(self, p: _Person) -> Iterator[SynthRecord]:
        rng, rates = self.rng, self.rates
        n = 1
        if len(self.states) > 1 and rng.random() < rates.multi_state:
            n = min(len(self.states), 2 if rng.random() < 0.75 else 3)
        states = self._pick_states(n)
        earliest = p.dob + _SIXTEEN_YEARS
        term = _TERM_YEARS.get(states[-1], 6) * 365
        last_status = self._status(rng, True)
        back = int(rng.random() * term) + (term if last_status == "expired" else 0)
        last_issue = max(earliest, REFERENCE - back)
        span = last_issue - earliest + 1
        issues = sorted(earliest + int(rng.random() * span) for _ in range(n - 1))
        issues.append(last_issue)
        age_first = (issues[0] - p.dob) / 365.25
        if n > 1 and p.sex == "F" and p.married_from == 99 and rng.random() < rates.married_name:
            p.married_from = rng.randint(1, n - 1)
            spouse = p.last[0]
            while spouse in p.last:  # a new surname, so the change is visible
                spouse = _surname(rng, p.pool if rng.random() < 0.7 else pick_pool(rng), "F")[0]
            hyphen = rng.random() < 0.2
            p.married_last = (p.last[0], spouse) if hyphen else (spouse,)
            p.married_sep = "-" if hyphen else " "
            p.maiden_aka = f"{p.first} {p.sep.join(p.last)}" if rng.random() < 0.6 else ""
        r = rng.random()
        card = "CDL" if r < 0.04 else "ID" if r < 0.17 else "DL"
        if age_first < 18 and rng.random() < 0.5:
            card = "permit"
        extra = rng.random() < rates.same_state_card
        for k, state in enumerate(states):
            last = k == n - 1
            status = last_status if last else self._status(rng, False)
            kind = "DL" if card == "permit" and k > 0 else card
            yield self._render(p, k, state, kind, issues[k], status)
            if last and extra:
                other = "ID" if kind != "ID" else "DL"
                yield self._render(p, k + 1, state, other, issues[k], "active")

    @staticmethod
    def _status(rng: Random, last: bool) -> str:
        # A stale record left behind in a previous state is mostly closed, sometimes not.
        table = _CURRENT_STATUS if last else _STALE_STATUS
        r = rng.random()
        for status, upto in table:
            if r < upto:
                return status
        return table[-1][0]

    def _render(self, p: _Person, k: int, state: str, card: str, issue: int, status: str
                ) -> SynthRecord:  # fmt: skip
        rng, rates = self.rng, self.rates
        f = 1.0 if k else rates.first_record_factor
        errors: list[str] = []
        parts, sep, aka = p.last, p.sep, p.aka
        if k >= p.married_from:
            parts, sep, aka = p.married_last, p.married_sep, p.maiden_aka
            errors.append("married_name")
        plain = p.ascii_base
        first = to_ascii(p.first) if plain else p.first
        last = sep.join([to_ascii(x) for x in parts] if plain else parts)
        middle = to_ascii(p.middle) if plain else p.middle
        aka = to_ascii(aka) if plain and aka else aka

        if rng.random() < rates.nickname * f:
            nicks = nicknames_for(p.first)
            if nicks:
                first = nicks[int(rng.random() * len(nicks))]
                errors.append("nickname")
        if len(parts) > 1 and rng.random() < rates.surname_form * f:
            pieces = last.replace("-", " ").split(" ")
            forms = [" ".join(pieces), "-".join(pieces), pieces[0]]
            forms = [x for x in forms if x != last]
            last = forms[int(rng.random() * len(forms))]
            errors.append("surname_form")
        if rng.random() < rates.translit * f:
            use_first = len(parts) > 1 or rng.random() < 0.5
            current = first if use_first else last
            options = [v for v in translit_variants(p.first if use_first else parts[0])
                       if v != current]  # fmt: skip
            if options and not (use_first and "nickname" in errors):
                choice = options[int(rng.random() * len(options))]
                if use_first:
                    first = choice
                else:
                    last = choice
                errors.append("translit")
        if rng.random() < rates.typo * f:
            if rng.random() < 0.5:
                first = _typo(rng, first)
            else:
                last = _typo(rng, last)
            errors.append("typo")
        if middle:
            r = rng.random()
            if r < rates.middle_missing * f:
                middle = ""
                errors.append("middle_missing")
            elif len(middle) > 1 and r < (rates.middle_missing + rates.middle_initial) * f:
                middle = middle[0]
                errors.append("middle_initial")
        if rng.random() < rates.swap_names * f:
            first, last = last, first
            errors.append("swap_names")

        dob = date.fromordinal(p.dob)
        if rng.random() < rates.dob_swap * f and dob.day <= 12 and dob.day != dob.month:
            dob = date(dob.year, dob.day, dob.month)
            errors.append("dob_swap")
        if p.ssn is None:
            ssn = "99999" if rng.random() < rates.ssn_placeholder else ""
        else:
            ssn = p.ssn
            if rng.random() < rates.ssn_typo * f:
                i = rng.randrange(5)
                digit = str((int(ssn[i]) + rng.randrange(1, 10)) % 10)
                typed = ssn[:i] + digit + ssn[i + 1 :]
                if typed != "99999" and typed[1:] != "0000":
                    ssn = typed
                    errors.append("ssn_typo")
        sex = p.sex if p.sex != "X" or issue >= _X_MARKER_START else p.legacy_sex
        term = _TERM_YEARS.get(state, 6)
        row = {
            "record_id": self.ids[state].next(last),
            "card_type": card,
            "real_id": "true" if issue >= _REAL_ID_START and rng.random() < 0.7 else "false",
            "first_name": first,
            "middle_name": middle,
            "last_name": last,
            "suffix": p.suffix,
            "aka_names": aka,
            "dob": dob.isoformat(),
            "sex": sex,
            "ssn_last5": ssn,
            "issue_date": date.fromordinal(issue).isoformat(),
            "expiry_date": date.fromordinal(issue + term * 365 + 1).isoformat(),
            "status": status,
        }
        return SynthRecord(state, p.pid, row, tuple(errors))


def _check(count: int, states: Sequence[str]) -> None:
    if count < 0:
        raise ValueError("count must not be negative")
    if not states:
        raise ValueError("at least one state is needed")
    for s in states:
        if not _STATE_RE.match(s):
            raise ValueError(f"state must be two capital letters, got {s!r}")
    if len(set(states)) != len(states):
        raise ValueError("states must not repeat")


def generate(
    count: int,
    states: Sequence[str] = DEFAULT_STATES,
    seed: int = 1,
    rates: ErrorRates | None = None,
) -> Iterator[SynthRecord]:
    """Yield exactly ``count`` records, person by person; the same seed gives the same stream.

    A person's records are consecutive (the last person may be cut short to hit ``count``).
    Arguments are checked at the call, not at the first ``next()``.
    """
    _check(count, states)
    return _stream(count, _Generator(states, seed, rates or ErrorRates()))


def _stream(count: int, gen: _Generator) -> Iterator[SynthRecord]:
    rng, rates = gen.rng, gen.rates
    emitted = pid = 0
    while emitted < count:
        if rng.random() < rates.lookalike:
            group = _lookalikes(rng, pid, rates)
        else:
            group = [_person(rng, pid, rates)]
        pid += len(group)
        for person in group:
            for record in gen.records(person):
                yield record
                emitted += 1
                if emitted == count:
                    return
