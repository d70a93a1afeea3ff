"""Attack test: with everything the hub holds, can a classifier spot records without an SSN?

The attacker sees names in clear, birth dates, states and every token (full and masked), and
knows the decoy rule (it is public: ``decoy_key_parts``), but not the network keys. It builds
the features a real analyst would: token bytes, how often a token recurs, and above all the
collision structure among records with similar identities (same decoy key, same surname sound
and birth date, same first-name root and birth date, same birth date), where real SSNs and
decoys behave differently if the scheme is weak. A gradient-boosted classifier is trained with
person-grouped cross-validation; its out-of-fold AUC gets a person-clustered bootstrap CI.

The shipped scheme is the carry protocol (``CarryProtocol``: decoys derived from the identity,
then carried from the applicant's existing pointer at issuance, or set apart from namesakes
the clerk rejected), attacked on two populations: the duplicate-heavy one below and a
realistic ``lpx synth`` one (default rates, 30,000 records, twins with consecutive SSNs
included). Its attacker AUC's 99% CI must contain 0.5 on both. The identity-derived decoy
alone (``lpx_scheme``, what a state stores for a record loaded without a carry-book entry)
keeps its measured regression bounds.

The same pipeline must catch two naive schemes ("99999" tokenized as-is; a random value per
record), so the test can fail. The population is deliberately duplicate-heavy (75% of people
hold 2-3 records) and sparse (no dense national namesake background), which is the attacker's
best case: duplicates are where the structure lives.

Own generator rather than ``lpx.synth``: the test needs exact control of the variant and
namesake rates it reports, and must not change when the demo generator is retuned.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pytest

from lpx.client.keys import NetworkKeys
from lpx.client.ssn import (
    IssuanceOutcome,
    _decoy_from_message,
    _mimic_typo,
    _tokens_of,
    decoy_key_parts,
    issuance_tokens,
    ssn_tokens_for,
)
from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.linkage import rank
from lpx.domain.model import MatchModel
from lpx.domain.names import canonical_first, compact, phonetic, surname_parts
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, Sex, SsnTokens

sklearn_ensemble = pytest.importorskip("sklearn.ensemble")
sklearn_metrics = pytest.importorskip("sklearn.metrics")
sklearn_model_selection = pytest.importorskip("sklearn.model_selection")

pytestmark = pytest.mark.slow

PEOPLE = 12_000
NO_SSN_RATE = 0.08
STATES = ("CA", "NY", "TX", "FL", "IL", "WA", "NM", "CO", "NV", "OR", "AZ", "NJ")
SYNTH_RECORDS = 30_000
FOLDS = 5
BOOST_ROUNDS = 100
# Bounds on the identity-derived decoy's attacker AUC without the carry protocol (upper end
# of the 99% CI): measured 0.643 (0.618-0.672) duplicate-heavy and 0.589 (0.565-0.608) on 30k
# lpx synth records, plus a margin of ~0.03 for key/seed noise. They guard the fallback
# against regressions and are NOT a claim of indistinguishability (the CI excludes 0.5 on
# both); the carry protocol's CI contains 0.5 on the duplicate-heavy population
# (docs/privacy.md; benchmarks/decoy_attack.py).
FAVOURABLE_MAX_AUC = 0.70
SYNTH_MAX_AUC = 0.64
NAIVE_MIN_AUC = 0.9

FIRST_NAMES = (
    "william robert michael james john david richard joseph thomas charles christopher "
    "daniel matthew anthony mark donald steven paul andrew joshua kenneth kevin brian "
    "george timothy ronald edward jason jeffrey ryan jacob gary nicholas eric jonathan "
    "stephen larry justin scott brandon benjamin samuel gregory alexander patrick frank "
    "raymond jack dennis jerry tyler aaron jose juan luis carlos miguel jesus pedro "
    "alejandro fernando javier francisco manuel antonio rafael mary patricia jennifer "
    "linda elizabeth barbara susan jessica sarah karen lisa nancy betty margaret sandra "
    "ashley kimberly emily donna michelle carol amanda dorothy melissa deborah stephanie "
    "rebecca sharon laura cynthia kathleen amy angela shirley anna brenda pamela emma "
    "nicole helen samantha katherine christine debra rachel carolyn janet maria "
    "guadalupe rosa carmen ana lucia sofia isabel teresa wei li ming hui anh linh minh "
    "mohammed ahmed fatima aisha priya raj"
).split()
SURNAME_STEMS = (
    "smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez "
    "lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson "
    "white harris sanchez clark ramirez lewis robinson walker young allen king wright "
    "scott torres nguyen hill flores green adams nelson baker hall rivera campbell "
    "mitchell carter roberts gomez phillips evans turner diaz parker cruz edwards collins "
    "reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper "
    "peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez "
    "wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel "
    "myers long ross foster jimenez zhang wang chen liu yang huang zhao wu tran pham"
).split()
SYLLABLES = "ka lo mi ne ro sa ti vo ber dan fel gor han jul kem lin mor nal por quin ras sel tor val win zel".split()  # noqa: E501


@dataclass(frozen=True, slots=True)
class Rec:
    person: int
    state: str
    first: str
    last: str
    dob: date
    ssn5: str | None  # None: the person has no SSN
    record_id: str = ""
    aka: tuple[str, ...] = ()
    middle: str = ""
    sex: str = ""


# --- population -----------------------------------------------------------------------------


def _surname_pool(rng: np.random.Generator) -> tuple[list[str], np.ndarray]:
    """Common surnames with Zipf-like weights plus a long tail of made-up ones."""
    tail = {"".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))) for _ in range(6000)}
    names = SURNAME_STEMS + sorted(tail - set(SURNAME_STEMS))
    ranks = np.arange(1, len(names) + 1, dtype=float)
    weights = 1.0 / ranks**0.9
    return names, weights / weights.sum()


def _typo(rng: np.random.Generator, text: str) -> str:
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text)))
    return text[:i] + str(rng.choice(list("aeioulnrst"))) + text[i + 1 :]


def _nickname(rng: np.random.Generator, first: str, nicknames: dict[str, list[str]]) -> str:
    options = nicknames.get(first, [])
    return str(rng.choice(options)) if options else first


def _random_ssn5(rng: np.random.Generator) -> str:
    while True:
        value = f"{int(rng.integers(0, 10))}{int(rng.integers(1, 10_000)):04d}"
        if value != "99999":
            return value


def build_population(seed: int = 2024) -> list[Rec]:
    """People with 1-3 records in distinct states, spelled the way real files drift apart.

    Rates per extra record: nickname 15%, first-name typo 3%, surname typo 5%, married name
    5%, second surname dropped 30% of double surnames, day/month swap 2%, first/last swap 1%,
    one mistyped SSN digit 3% (real SSNs only). 2% of people are namesakes of someone else
    (same name and birth date, different person). SSN status is independent of the name, so
    anything the attacker learns comes from the tokens.
    """
    from nicknames import NickNamer

    rng = np.random.default_rng(seed)
    namer = NickNamer()
    nicknames = {f: sorted(namer.nicknames_of(f)) for f in FIRST_NAMES}
    surnames, weights = _surname_pool(rng)
    base = date(1940, 1, 1)
    people: list[tuple[str, str, date, str | None]] = []
    for _ in range(PEOPLE):
        if people and rng.random() < 0.02:
            first, last, dob, _ssn = people[int(rng.integers(0, len(people)))]
        else:
            first = str(rng.choice(FIRST_NAMES))
            last = str(rng.choice(surnames, p=weights))
            if rng.random() < 0.15:
                last = f"{last} {rng.choice(surnames, p=weights)}"
            dob = base + timedelta(days=int(rng.integers(0, 365 * 65)))
        ssn = None if rng.random() < NO_SSN_RATE else _random_ssn5(rng)
        people.append((first, last, dob, ssn))

    records: list[Rec] = []
    for pid, (first, last, dob, ssn) in enumerate(people):
        count = int(rng.choice([1, 2, 3], p=[0.25, 0.45, 0.30]))
        states = rng.choice(STATES, size=count, replace=False)
        for k, state in enumerate(states):
            f, la, d, s = first, last, dob, ssn
            if k:
                if rng.random() < 0.15:
                    f = _nickname(rng, f, nicknames)
                if rng.random() < 0.03:
                    f = _typo(rng, f)
                if rng.random() < 0.05:
                    la = _typo(rng, la)
                if rng.random() < 0.05:
                    la = str(rng.choice(surnames, p=weights))
                if " " in la and rng.random() < 0.30:
                    la = la.split()[0]
                if rng.random() < 0.02 and d.day <= 12:
                    d = date(d.year, d.day, d.month)
                if rng.random() < 0.01:
                    f, la = la, f
                if s is not None and rng.random() < 0.03:
                    i = int(rng.integers(0, 5))
                    digit = str((int(s[i]) + int(rng.integers(1, 10))) % 10)
                    typed = s[:i] + digit + s[i + 1 :]
                    s = typed if typed[1:] != "0000" and typed != "99999" else s
            records.append(Rec(pid, str(state), f.title(), la.title(), d, s, f"R{pid}"))
    return records


def build_synth_population(count: int = SYNTH_RECORDS, seed: int = 11) -> list[Rec]:
    """A realistic population: ``lpx synth`` with its default error rates.

    Most people hold one card (multi-state 30%), so duplicates are rarer than in
    :func:`build_population`; married names (with the maiden name as AKA on some cards),
    transliterations, typos, nicknames, twins and namesakes follow the generator's rates.
    """
    from lpx.synth import generate

    people: dict[str, int] = {}
    records: list[Rec] = []
    for rec in generate(count, seed=seed):
        row = rec.row
        ssn5 = row["ssn_last5"].strip()
        aka = tuple(a.strip() for a in row["aka_names"].split(";") if a.strip())
        records.append(
            Rec(
                person=people.setdefault(rec.person, len(people)),
                state=rec.state,
                first=row["first_name"],
                last=row["last_name"],
                dob=date.fromisoformat(row["dob"]),
                ssn5=ssn5 if ssn5 and ssn5 != "99999" else None,
                record_id=row["record_id"],
                aka=aka,
                middle=row["middle_name"],
                sex=row["sex"].strip(),
            )
        )
    return records


# --- token schemes --------------------------------------------------------------------------

Scheme = Callable[[Rec, NetworkKeys], SsnTokens]


def lpx_scheme(rec: Rec, keys: NetworkKeys) -> SsnTokens:
    """What the loader sends: the record's name, AKA names and id go into the decoy."""
    return ssn_tokens_for(
        rec.ssn5, rec.first, rec.last, rec.dob, keys,
        aka_names=rec.aka, record=f"{rec.state}/{rec.record_id}",
    )  # fmt: skip


def naive_sentinel(rec: Rec, keys: NetworkKeys) -> SsnTokens:
    """Today's hubs: "99999" stored as if it were digits (here even keyed)."""
    return _tokens_of(rec.ssn5 or "99999", keys)


def naive_random(rec: Rec, keys: NetworkKeys) -> SsnTokens:
    """A fresh random value per record: looks valid, but a person's records disagree."""
    if rec.ssn5 is not None:
        return _tokens_of(rec.ssn5, keys)
    seed = hashlib.sha256(f"{rec.person}/{rec.state}".encode()).digest()
    value = int.from_bytes(seed[:8], "big") % 99_989
    return _tokens_of(f"{value // 9999}{value % 9999 + 1:04d}", keys)


def stable_per_person(rec: Rec, keys: NetworkKeys) -> SsnTokens:
    """Control: a decoy every record of one *person* shares, typo mimicry included.

    No state can compute it alone (it needs to know who is who across states); it is what a
    protocol carrying the decoy between states would reach, and it shows that the attacker
    finds nothing when decoys behave like real SSNs, so what it finds in ``lpx_scheme`` is
    the identity-derived decoy's own leak, not an artefact of the pipeline.
    """
    if rec.ssn5 is not None:
        return _tokens_of(rec.ssn5, keys)
    value = _decoy_from_message(f"person{rec.person}", keys)
    return _tokens_of(_mimic_typo(value, f"{rec.state}/{rec.record_id}", keys), keys)


# --- the carry protocol, simulated --------------------------------------------------------

# The clerk at the counter compares the applicant with each candidate (photo, documents).
# Assumed error rates of that judgement; the benchmark reruns the attack with other values.
CLERK_MISS = 0.02  # fails to confirm the applicant's own pointer
CLERK_FALSE = 0.005  # confirms a candidate who is someone else


def _identity(rec: Rec, ssn: SsnTokens | None, *, aka: bool) -> Identity:
    return Identity(first_name=rec.first, last_name=rec.last, dob=rec.dob,
                    middle_name=rec.middle, sex=Sex(rec.sex) if rec.sex else None,
                    aka_names=rec.aka if aka else (), ssn=ssn)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CarryProtocol:
    """The shipped protocol (``issuance_tokens``) run over a population in issuance order.

    Records are issued one at a time in a random order. Each issuance sends the hub's own
    ranking (``rank``, default ``MatchModel``) an inquiry with the applicant's name, birth
    date and plain tokens (real, or the counter-0 decoy), against every pointer issued so far
    (blocking keys as the hub's index). The simulated clerk judges each candidate of a class
    in ``classes``: the applicant's own pointers are confirmed except ``miss`` of the time,
    other people are confirmed ``false`` of the time. The first confirmed candidate's stored
    tokens are adopted (the hub's carry answer); the others count as namesakes. No ground
    truth enters except through the clerk's error-prone judgement.
    """

    classes: tuple[str, ...] = ("match", "possible")
    miss: float = CLERK_MISS
    false: float = CLERK_FALSE
    seed: int = 0

    def tokens(self, records: Sequence[Rec], keys: NetworkKeys) -> list[SsnTokens]:
        rng = np.random.default_rng(self.seed)
        model = MatchModel()
        index: dict[str, list[int]] = defaultdict(list)
        stored: dict[int, MatchProfile] = {}
        out: list[SsnTokens | None] = [None] * len(records)
        for i in rng.permutation(len(records)).tolist():
            rec = records[i]
            plain = ssn_tokens_for(rec.ssn5, rec.first, rec.last, rec.dob, keys)
            probe = MatchProfile.of(_identity(rec, plain, aka=False))
            found = {j for key in inquiry_keys(probe, dob_free=False) for j in index.get(key, ())}
            confirmed: SsnTokens | None = None
            namesakes = 0
            for cand in rank(probe, ((str(j), stored[j]) for j in sorted(found)), model):
                if cand.match_class not in self.classes:
                    continue
                j = int(cand.key)
                same = records[j].person == rec.person
                judged_same = rng.random() >= self.miss if same else rng.random() < self.false
                if judged_same and confirmed is None:
                    confirmed = out[j]
                elif not judged_same and cand.match_class == "match":
                    namesakes += 1
            tokens = issuance_tokens(
                rec.ssn5, rec.first, rec.last, rec.dob, keys, aka_names=rec.aka,
                record=f"{rec.state}/{rec.record_id}",
                outcome=IssuanceOutcome(confirmed, namesakes),
            )  # fmt: skip
            out[i] = tokens
            stored[i] = MatchProfile.of(_identity(rec, tokens, aka=True))
            for key in pointer_keys(stored[i]):
                index[key].append(i)
        return [t for t in out if t is not None]


def scheme_tokens(
    scheme: Scheme | CarryProtocol, records: Sequence[Rec], keys: NetworkKeys
) -> list[SsnTokens]:
    """What the hub stores for each record under a per-record scheme or the protocol."""
    if isinstance(scheme, CarryProtocol):
        return scheme.tokens(records, keys)
    return [scheme(r, keys) for r in records]


# --- the attacker ---------------------------------------------------------------------------


def _relation(a: SsnTokens, b: SsnTokens) -> int:
    """0 same full token, 1 one digit off (one masked token shared), 2 unrelated."""
    if a.full == b.full:
        return 0
    if any(x == y for x, y in zip(a.masked, b.masked, strict=True)):
        return 1
    return 2


def attacker_features(records: Sequence[Rec], tokens: Sequence[SsnTokens]) -> np.ndarray:
    """Everything a hub insider can compute without the keys."""
    n = len(records)
    first_root = [canonical_first(r.first) for r in records]
    parts = [surname_parts(r.last) for r in records]
    last_ph = [phonetic("".join(p)) for p in parts]
    decoy_parts = [decoy_key_parts(r.first, r.last, r.dob, r.aka) for r in records]
    groupings: list[list[object]] = [
        list(decoy_parts),
        [(last_ph[i], records[i].dob) for i in range(n)],
        [(first_root[i], records[i].dob) for i in range(n)],
        [(compact(records[i].first), compact(records[i].last), records[i].dob) for i in range(n)],
        [(first_root[i], last_ph[i]) for i in range(n)],
        [records[i].dob for i in range(n)],
    ]
    by_full: dict[str, list[int]] = defaultdict(list)
    by_masked: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, t in enumerate(tokens):
        by_full[t.full].append(i)
        for pos, m in enumerate(t.masked):
            by_masked[(pos, m)].append(i)

    columns: list[list[float]] = []
    for keys in groupings:
        groups: dict[object, list[int]] = defaultdict(list)
        for i, key in enumerate(keys):
            groups[key].append(i)
        size, same, off, diff, same_state_same = ([0.0] * n for _ in range(5))
        for members in groups.values():
            if len(members) < 2:
                continue
            for i in members:
                for j in members:
                    if i == j:
                        continue
                    rel = _relation(tokens[i], tokens[j])
                    size[i] += 1
                    (same, off, diff)[rel][i] += 1
                    if rel == 0 and records[i].state == records[j].state:
                        same_state_same[i] += 1
        agree_all = [float(size[i] > 0 and same[i] == size[i]) for i in range(n)]
        columns += [size, same, off, diff, same_state_same, agree_all]

    full_share, off_share, share_other_dob, share_same_dob_other_key, share_same_state = (
        [0.0] * n for _ in range(5)
    )
    for i, t in enumerate(tokens):
        for j in by_full[t.full]:
            if j == i:
                continue
            full_share[i] += 1
            if records[j].dob != records[i].dob:
                share_other_dob[i] += 1
            elif decoy_parts[j] != decoy_parts[i]:
                share_same_dob_other_key[i] += 1
            if records[j].state == records[i].state:
                share_same_state[i] += 1
        near = {j for pos, m in enumerate(t.masked) for j in by_masked[(pos, m)]} - {i}
        off_share[i] = float(sum(1 for j in near if tokens[j].full != t.full))
    columns += [full_share, off_share, share_other_dob, share_same_dob_other_key, share_same_state]

    token_bytes = [
        [
            float(int(t.full[:2], 16)),
            float(bin(int(t.full, 16)).count("1")),
            float(int(t.masked[0][:2], 16)),
            float(int(t.full[-2:], 16)),
        ]
        for t in tokens
    ]
    return np.hstack([np.array(columns, dtype=float).T, np.array(token_bytes)])


@dataclass(frozen=True, slots=True)
class AttackResult:
    auc: float
    low: float
    high: float
    p_value: float  # one-sided permutation test of "the scores carry no information"

    def __str__(self) -> str:
        return (
            f"AUC {self.auc:.3f} (99% CI {self.low:.3f}-{self.high:.3f}, "
            f"permutation p {self.p_value:.3f})"
        )


def attack_keys(seed: int = 0) -> NetworkKeys:
    """Fixed keys: the measurement is reproducible run to run."""
    return NetworkKeys(
        hashlib.sha256(f"token/{seed}".encode()).digest(),
        hashlib.sha256(f"decoy/{seed}".encode()).digest(),
    )


def run_attack(
    records: Sequence[Rec], scheme: Scheme | CarryProtocol, seed: int = 0
) -> AttackResult:
    return attack_tokens(records, scheme_tokens(scheme, records, attack_keys(seed)), seed)


def attack_tokens(
    records: Sequence[Rec], tokens: Sequence[SsnTokens], seed: int = 0
) -> AttackResult:
    """The attacker's out-of-fold AUC, CI and permutation p on stored ``tokens``."""
    x = attacker_features(records, tokens)
    y = np.array([r.ssn5 is None for r in records], dtype=int)
    groups = np.array([r.person for r in records])
    scores = np.zeros(len(records))
    folds = sklearn_model_selection.GroupKFold(n_splits=FOLDS)
    for train, test in folds.split(x, y, groups):
        model = sklearn_ensemble.HistGradientBoostingClassifier(
            max_iter=BOOST_ROUNDS, learning_rate=0.1, max_leaf_nodes=15, random_state=seed
        )
        model.fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
    auc = float(sklearn_metrics.roc_auc_score(y, scores))
    low, high = _clustered_bootstrap_ci(y, scores, groups, seed=seed)
    return AttackResult(auc, low, high, _permutation_p(y, scores, groups, auc, seed=seed))


def _clustered_bootstrap_ci(
    y: np.ndarray, scores: np.ndarray, groups: np.ndarray, seed: int, rounds: int = 200
) -> tuple[float, float]:
    """99% percentile CI, resampling people (a person's records are not independent)."""
    rng = np.random.default_rng(seed)
    people, index = np.unique(groups, return_inverse=True)
    aucs = []
    for _ in range(rounds):
        draws = np.bincount(rng.integers(0, len(people), len(people)), minlength=len(people))
        weight = draws[index]
        aucs.append(sklearn_metrics.roc_auc_score(y, scores, sample_weight=weight))
    return float(np.quantile(aucs, 0.005)), float(np.quantile(aucs, 0.995))


def _permutation_p(
    y: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray,
    auc: float,
    seed: int,
    rounds: int = 200,
) -> float:
    """How often shuffling SSN status among people reaches the observed AUC.

    Status is permuted per person (a person's records keep one status), which is the null
    hypothesis "the out-of-fold scores say nothing about who lacks an SSN".
    """
    rng = np.random.default_rng(seed + 1)
    people, index = np.unique(groups, return_inverse=True)
    status = np.zeros(len(people), dtype=int)
    status[index] = y
    hits = 0
    for _ in range(rounds):
        shuffled = rng.permutation(status)[index]
        hits += sklearn_metrics.roc_auc_score(shuffled, scores) >= auc
    return (hits + 1) / (rounds + 1)


@pytest.fixture(scope="module")
def population() -> list[Rec]:
    return build_population()


@pytest.fixture(scope="module")
def synth_population() -> list[Rec]:
    return build_synth_population()


def test_population_is_realistic(population: list[Rec]) -> None:
    no_ssn = sum(r.ssn5 is None for r in population) / len(population)
    assert 0.06 < no_ssn < 0.10
    per_person = np.bincount([r.person for r in population])
    assert per_person.max() == 3
    assert 1.9 < per_person.mean() < 2.2


def test_synth_population_has_duplicates_and_no_ssn(synth_population: list[Rec]) -> None:
    no_ssn = sum(r.ssn5 is None for r in synth_population) / len(synth_population)
    assert 0.06 < no_ssn < 0.10
    per_person = np.bincount([r.person for r in synth_population])
    assert 1.2 < per_person.mean() < 1.6
    assert sum(bool(r.aka) for r in synth_population) > 0.02 * len(synth_population)


@pytest.mark.parametrize("scheme", [naive_sentinel, naive_random], ids=["99999", "random"])
def test_attacker_catches_naive_schemes(population: list[Rec], scheme: Scheme) -> None:
    result = run_attack(population, scheme)
    print(f"{scheme.__name__}: {result}")
    assert result.low > NAIVE_MIN_AUC


def test_attacker_is_at_chance_against_person_stable_decoys(population: list[Rec]) -> None:
    """The null is calibrated: the 99% CI of a leak-free scheme contains 0.5."""
    result = run_attack(population, stable_per_person)
    print(f"person-stable decoy, duplicate-heavy: {result}")
    assert result.low < 0.5 < result.high


def test_attacker_is_at_chance_against_the_carry_protocol(population: list[Rec]) -> None:
    """The shipped scheme on the duplicate-heavy population: the 99% CI of the attacker's
    AUC contains 0.5, with the protocol's decisions made by the hub's ranking and an
    error-prone clerk (measured 0.503, 0.475-0.528)."""
    result = run_attack(population, CarryProtocol())
    print(f"carry protocol, duplicate-heavy: {result}")
    assert result.low < 0.5 < result.high


def test_attacker_is_at_chance_against_the_carry_protocol_on_synth_data(
    synth_population: list[Rec],
) -> None:
    """The same on realistic ``lpx synth`` data: twins (consecutive real SSNs), namesakes,
    married names and transliterations do not give the decoys away either."""
    result = run_attack(synth_population, CarryProtocol())
    print(f"carry protocol, lpx synth: {result}")
    assert result.low < 0.5 < result.high


def test_attacker_is_weak_against_decoys_on_duplicate_heavy_data(population: list[Rec]) -> None:
    result = run_attack(population, lpx_scheme)
    print(f"lpx, duplicate-heavy: {result}")
    assert result.high < FAVOURABLE_MAX_AUC


def test_attacker_is_weak_against_decoys_on_synth_data(synth_population: list[Rec]) -> None:
    result = run_attack(synth_population, lpx_scheme)
    print(f"lpx, lpx synth: {result}")
    assert result.high < SYNTH_MAX_AUC
