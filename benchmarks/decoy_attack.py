"""Where the SSN-5 decoys leak: the attack test's classifier against alternative decoy rules.

Runs the attacker of ``tests/unit/client/test_ssn_indistinguishable.py`` (same features, same
person-grouped cross-validation, person-clustered bootstrap CI) on its two populations
(duplicate-heavy; realistic ``lpx synth``) for:

- ``99999`` tokenized as-is and a random value per record (naive schemes; must be caught),
- ``lpx``: the shipped rule (``decoy_key_parts``),
- ``coarse``: the same rule with first-name and surname sounds cut to two characters,
- ``no-surname``: first-name sound and birth date only,
- ``stable``: a decoy stable per *person* (drawn from the ground-truth person id), which no
  state can compute alone; it is the bound a protocol carrying the decoy between states
  would reach, and the control that the attacker finds nothing when nothing differs,
- ``carry``: the shipped carry protocol (``issuance_tokens``), simulated by the attack test's
  ``CarryProtocol``: records issued in a random order, the hub's ranking, a clerk who misses
  2% of the applicant's own pointers and confirms 0.5% of other people; ``carry-match-only``
  (the clerk looks at ``match`` candidates only), ``carry-perfect-clerk`` and
  ``carry-sloppy-clerk`` (10% missed, 2% wrongly confirmed) show how the leak follows the
  clerk.

For each rule it prints the AUC with its 99% CI, the share of multi-record people without an
SSN whose records got two different decoys ("split"), and the expected number of
different-person decoy collisions among one million people without an SSN (random pairs with
the same birth date and the same name key, name-key frequencies from 100,000 synth people).
``--groups`` adds the AUC of each feature group alone for ``lpx``. Each line gives wall and
CPU time and the load average (the machine is shared). Nothing is asserted.

    .venv/bin/python benchmarks/decoy_attack.py                   # both populations
    .venv/bin/python benchmarks/decoy_attack.py --population synth --schemes lpx stable
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "client"))

import test_ssn_indistinguishable as attack

from lpx.client import ssn
from lpx.client.keys import NetworkKeys
from lpx.domain.names import canonical_first, phonetic, surname_parts
from lpx.domain.records import SsnTokens
from lpx.synth import generate

KeyRule = Callable[[str, str, date, Sequence[str]], tuple[str, ...]]
DATES = 65 * 365  # birth dates a national population spreads over
NO_SSN_PEOPLE = 1_000_000


def _cut_rule(first_len: int | None, last_len: int | None) -> KeyRule:
    """``decoy_key_parts`` with the name sounds cut (None: whole; 0: left out)."""

    def rule(first: str, last: str, dob: date, aka: Sequence[str] = ()) -> tuple[str, ...]:
        if (maiden := ssn._maiden_surname(first, aka)) is not None:
            last = maiden
        f = phonetic(canonical_first(first))
        parts = surname_parts(last)
        la = phonetic(parts[0]) if parts else ""
        f = f if first_len is None else f[:first_len]
        la = la if last_len is None else la[:last_len]
        low, high = sorted((dob.month, dob.day))
        return (*sorted((f, la)), f"{dob.year:04d}", f"{low:02d}", f"{high:02d}")

    return rule


RULES: dict[str, KeyRule] = {
    "lpx": ssn.decoy_key_parts,
    "coarse": _cut_rule(2, 2),
    "no-surname": _cut_rule(None, 0),
}


def _rule_scheme(rule: KeyRule) -> attack.Scheme:
    def scheme(rec: attack.Rec, keys: NetworkKeys) -> SsnTokens:
        if rec.ssn5 is not None:
            return ssn.tokenize(rec.ssn5, keys)
        message = ssn._SEP.join(rule(rec.first, rec.last, rec.dob, rec.aka))
        value = ssn._decoy_from_message(message, keys)
        return ssn._tokens_of(ssn._mimic_typo(value, f"{rec.state}/{rec.record_id}", keys), keys)

    return scheme


SCHEMES: dict[str, attack.Scheme | attack.CarryProtocol] = {
    "99999": attack.naive_sentinel,
    "random": attack.naive_random,
    **{name: _rule_scheme(rule) for name, rule in RULES.items()},
    "stable": attack.stable_per_person,
    "carry": attack.CarryProtocol(),
    "carry-match-only": attack.CarryProtocol(classes=("match",)),
    "carry-perfect-clerk": attack.CarryProtocol(miss=0.0, false=0.0),
    "carry-sloppy-clerk": attack.CarryProtocol(miss=0.10, false=0.02),
}


def split_share(records: Sequence[attack.Rec], tokens: Sequence[SsnTokens]) -> float:
    by_person: dict[int, set[str]] = defaultdict(set)
    counts: Counter[int] = Counter()
    for rec, token in zip(records, tokens, strict=True):
        if rec.ssn5 is None:
            by_person[rec.person].add(token.full)
            counts[rec.person] += 1
    multi = [p for p, n in counts.items() if n > 1]
    return sum(len(by_person[p]) > 1 for p in multi) / max(1, len(multi))


def national_collisions(rule: KeyRule, people: int = 100_000) -> float:
    """Expected different-person, same-decoy pairs among NO_SSN_PEOPLE (same date, same key)."""
    seen: dict[str, tuple[str, ...]] = {}
    for rec in generate(people, seed=5):
        row = rec.row
        if rec.person not in seen:
            seen[rec.person] = rule(row["first_name"], row["last_name"], date(2000, 1, 2), ())
    freq = Counter(seen.values())
    n = len(seen)
    same_key = sum(k * (k - 1) for k in freq.values()) / (n * (n - 1))
    return NO_SSN_PEOPLE**2 / 2 / DATES * same_key


def feature_group_aucs(records: Sequence[attack.Rec]) -> dict[str, float]:
    """AUC of the attacker restricted to each feature group (diagnostic for ``lpx``)."""
    sk_ensemble = attack.sklearn_ensemble
    keys = NetworkKeys(hashlib.sha256(b"token/0").digest(), hashlib.sha256(b"decoy/0").digest())
    tokens = [attack.lpx_scheme(r, keys) for r in records]
    x = attack.attacker_features(records, tokens)
    y = np.array([r.ssn5 is None for r in records], dtype=int)
    groups = np.array([r.person for r in records])
    names = ["decoy key", "surname+dob", "first+dob", "exact name+dob", "name sounds", "dob"]
    cols = {n: list(range(6 * i, 6 * i + 6)) for i, n in enumerate(names)}
    cols["token sharing"] = list(range(36, 41))
    cols["token bytes"] = list(range(41, 45))
    out = {}
    for name, c in cols.items():
        scores = np.zeros(len(y))
        for train, test in attack.sklearn_model_selection.GroupKFold(5).split(x, y, groups):
            model = sk_ensemble.HistGradientBoostingClassifier(
                max_iter=attack.BOOST_ROUNDS, max_leaf_nodes=15, random_state=0
            )
            model.fit(x[train][:, c], y[train])
            scores[test] = model.predict_proba(x[test][:, c])[:, 1]
        out[name] = float(attack.sklearn_metrics.roc_auc_score(y, scores))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--population", choices=("both", "dup", "synth"), default="both")
    parser.add_argument("--schemes", nargs="+", choices=list(SCHEMES), default=list(SCHEMES))
    parser.add_argument("--groups", action="store_true", help="feature-group AUCs for lpx")
    args = parser.parse_args(argv)
    populations = {"dup": attack.build_population, "synth": attack.build_synth_population}
    chosen = list(populations) if args.population == "both" else [args.population]
    for name in args.schemes:
        if name in RULES:
            print(f"{name:>10}: {national_collisions(RULES[name]):,.0f} expected collision "
                  f"pairs among {NO_SSN_PEOPLE:,} people without an SSN")  # fmt: skip
    for pop_name in chosen:
        records = populations[pop_name]()
        for name in args.schemes:
            wall, cpu = time.perf_counter(), time.process_time()
            tokens = attack.scheme_tokens(SCHEMES[name], records, attack.attack_keys())
            result = attack.attack_tokens(records, tokens)
            split = split_share(records, tokens)
            print(f"{pop_name:>5} {name:>14}: {result}; split {split:.3f}; "
                  f"{time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s "
                  f"CPU, load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
        if args.groups:
            for group, auc in feature_group_aucs(records).items():
                print(f"{pop_name:>5} lpx features '{group}' alone: AUC {auc:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
