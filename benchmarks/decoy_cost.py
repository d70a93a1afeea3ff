"""What SSN-5 decoys cost duplicate detection, against leaving the field empty in clear.

Generates ``lpx synth`` records with ground truth, runs the hub's own matching engine in
memory over the whole set (every record's inquiry keys against an index of every record's
pointer keys, scored with ``lpx.domain.linkage.compare`` and ``MatchModel`` weights) and
compares the predicted pairs with the true ones (same ``person``), under two treatments of
records without an SSN (empty or ``99999``), SSN holders being tokenized normally in both:

(a) decoy tokens, as the client sends them (``ssn_tokens_for`` with the record's name),
(b) no tokens at all: the field left empty, which is the non-private baseline,
(c) carry: the tokens the carry protocol stores (``issuance_tokens``), simulated as in the
    attack test (``CarryProtocol``: records issued in a random order, each state's issuance
    inquiry ranked by the hub's engine, an error-prone clerk confirming candidates).

A pair is predicted when either record's inquiry finds the other at or above the class
threshold (``match``, or ``match`` or ``possible``). The hub's 10-candidate cut is not applied.
Precision, recall and F1 are given overall and for pairs involving a person without an SSN
(true pairs of such a person; predicted pairs touching one of their records). The budget
(issue): decoys may cost at most 0.01 of no-SSN precision or recall. PASS/FAIL is printed,
never asserted.

    .venv/bin/python benchmarks/decoy_cost.py                 # 100,000 records
    .venv/bin/python benchmarks/decoy_cost.py --count 30000 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NamedTuple

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lpx.client.keys import NetworkKeys
from lpx.client.ssn import has_ssn, ssn_tokens_for
from lpx.domain.blocking import inquiry_keys, pointer_keys
from lpx.domain.comparison import compare_ssn, ssn_in_context
from lpx.domain.linkage import compare
from lpx.domain.model import MatchModel
from lpx.domain.names import NormalizedName
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity, Sex, SsnTokens
from lpx.synth import ErrorRates, SynthRecord, generate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit" / "client"))

import test_ssn_indistinguishable as attack  # the carry protocol's simulation

console = Console(width=None if sys.stdout.isatty() else 160)
BUDGET = 0.01
SCHEMES = ("decoy", "carry", "empty")
LABELS = {"decoy": "(a) decoy", "empty": "(b) empty", "carry": "(c) carry"}
Pair = tuple[int, int]


@dataclass(slots=True)
class Population:
    """The records' profiles under both treatments, and who is who."""

    person: list[str]
    no_ssn: list[bool]
    decoy: list[MatchProfile]
    empty: list[MatchProfile]
    carry: list[MatchProfile]


class Evidence(NamedTuple):
    """One ordered comparison: the weight without SSN and the SSN level per treatment."""

    base: float
    ssn_decoy: str
    ssn_empty: str
    ssn_carry: str


def _keys(seed: int) -> NetworkKeys:
    return NetworkKeys(
        hashlib.sha256(f"decoy-cost/token/{seed}".encode()).digest(),
        hashlib.sha256(f"decoy-cost/decoy/{seed}".encode()).digest(),
    )


def _identity(rec: SynthRecord, keys: NetworkKeys | None,
              stored: SsnTokens | None = None) -> Identity:  # fmt: skip
    row = rec.row
    dob = date.fromisoformat(row["dob"])
    aka = tuple(a.strip() for a in row.get("aka_names", "").split(";") if a.strip())
    sex_raw = row.get("sex", "").strip()
    ssn5 = row.get("ssn_last5", "")
    tokens = stored
    if keys is not None and stored is None:
        tokens = ssn_tokens_for(
            ssn5, row["first_name"], row["last_name"], dob, keys,
            aka_names=aka, record=f"{rec.state}/{row['record_id']}",
        )  # fmt: skip
    return Identity(
        first_name=row["first_name"],
        last_name=row["last_name"],
        dob=dob,
        middle_name=row.get("middle_name", ""),
        suffix=row.get("suffix", ""),
        sex=Sex(sex_raw) if sex_raw else None,
        aka_names=aka,
        ssn=tokens,
    )


def build(records: Sequence[SynthRecord], keys: NetworkKeys, carried: Sequence[SsnTokens],
          progress: Progress) -> Population:  # fmt: skip
    pop = Population([], [], [], [], [])
    task = progress.add_task("tokenize + profile", total=len(records))
    for rec, stored in zip(records, carried, strict=True):
        pop.carry.append(MatchProfile.of(_identity(rec, keys, stored)))
        missing = not has_ssn(rec.row.get("ssn_last5"))
        decoy = MatchProfile.of(_identity(rec, keys))
        pop.person.append(rec.person)
        pop.no_ssn.append(missing)
        pop.decoy.append(decoy)
        if missing:
            pop.empty.append(MatchProfile.of(_identity(rec, None)))
        else:
            pop.empty.append(decoy)
        progress.advance(task)
    return pop


def score_pairs(pop: Population, progress: Progress) -> dict[tuple[int, int], Evidence]:
    """Every ordered (inquiry, candidate) pair that blocking yields under either treatment."""
    index: dict[str, list[int]] = defaultdict(list)
    n = len(pop.person)
    task = progress.add_task("index pointer keys", total=n)
    for i in range(n):
        keys = pointer_keys(pop.decoy[i])
        if pop.no_ssn[i]:  # the S| keys differ between treatments
            keys |= pointer_keys(pop.empty[i]) | pointer_keys(pop.carry[i])
        for key in keys:
            index[key].append(i)
        progress.advance(task)
    model = MatchModel()
    out: dict[tuple[int, int], Evidence] = {}
    task = progress.add_task("block + score", total=n)
    for i in range(n):
        a = pop.decoy[i]
        swapped = NormalizedName.of(a.name.last, a.name.first)
        probe_keys = inquiry_keys(a)
        if pop.no_ssn[i]:
            probe_keys |= inquiry_keys(pop.empty[i]) | inquiry_keys(pop.carry[i])
        candidates: set[int] = set()
        for key in probe_keys:
            candidates.update(index.get(key, ()))
        candidates.discard(i)
        for j in candidates:
            evidence = compare(a, swapped, pop.decoy[j])
            base = sum(model.weight(f, lv) for f, lv in evidence.items() if f != "ssn")
            empty = ssn_in_context(
                compare_ssn(pop.empty[i], pop.empty[j]), evidence["first_name"],
                evidence["last_name"], evidence["name_order"], evidence["dob"],
            )  # fmt: skip
            carry = ssn_in_context(
                compare_ssn(pop.carry[i], pop.carry[j]), evidence["first_name"],
                evidence["last_name"], evidence["name_order"], evidence["dob"],
            )  # fmt: skip
            out[(i, j)] = Evidence(base, evidence["ssn"], empty, carry)
        progress.advance(task)
    return out


def blocked_under(pop: Population, scheme: str, i: int, j: int) -> bool:
    """Whether blocking under this treatment alone finds j for inquiry i."""
    profiles = {"decoy": pop.decoy, "empty": pop.empty, "carry": pop.carry}[scheme]
    return bool(inquiry_keys(profiles[i]) & pointer_keys(profiles[j]))


@dataclass(frozen=True, slots=True)
class Metrics:
    precision: float
    recall: float
    f1: float
    predicted: int
    truth: int


Results = dict[tuple[str, str, str], Metrics]


def _metrics(predicted: set[Pair], truth: set[Pair]) -> Metrics:
    tp = len(predicted & truth)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(truth) if truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return Metrics(p, r, f1, len(predicted), len(truth))


def truth_pairs(pop: Population) -> set[Pair]:
    by_person: dict[str, list[int]] = defaultdict(list)
    for i, pid in enumerate(pop.person):
        by_person[pid].append(i)
    return {(a, b) for ids in by_person.values() for k, a in enumerate(ids) for b in ids[k + 1 :]}


def predicted_pairs(
    pop: Population,
    scored: dict[tuple[int, int], Evidence],
    scheme: str,
    threshold: float,
    model: MatchModel,
) -> set[Pair]:
    out: set[Pair] = set()
    ssn_field = {"decoy": 1, "empty": 2, "carry": 3}[scheme]
    ssn_weight = {lv: model.weight("ssn", lv) for lv in (*model.mu["ssn"], "null")}
    for (i, j), ev in scored.items():
        if ev.base + ssn_weight[ev[ssn_field]] < threshold:
            continue
        pair = (i, j) if i < j else (j, i)
        if pair in out:
            continue
        # Candidates were gathered under both treatments; keep only those this one blocks.
        touches_no_ssn = pop.no_ssn[i] or pop.no_ssn[j]
        if touches_no_ssn and not (
            blocked_under(pop, scheme, i, j) or blocked_under(pop, scheme, j, i)
        ):
            continue
        out.add(pair)
    return out


def evaluate(
    pop: Population, scored: dict[tuple[int, int], Evidence], model: MatchModel
) -> Results:
    """Metrics keyed by (scheme, class, subset)."""
    truth = truth_pairs(pop)
    truth_no = {p for p in truth if pop.no_ssn[p[0]] and pop.no_ssn[p[1]]}
    out = {}
    for scheme in SCHEMES:
        for label, threshold in (
            ("match", model.match_threshold),
            ("match+possible", model.possible_threshold),
        ):
            pred = predicted_pairs(pop, scored, scheme, threshold, model)
            pred_no = {p for p in pred if pop.no_ssn[p[0]] or pop.no_ssn[p[1]]}
            out[(scheme, label, "all")] = _metrics(pred, truth)
            out[(scheme, label, "no-SSN")] = _metrics(pred_no, truth_no)
    return out


def report(results: Results, count: int) -> bool:
    table = Table(title=f"Decoy cost on {count:,} lpx synth records")
    for col in ("class", "pairs", "treatment", "precision", "recall", "F1", "predicted", "true"):
        left = col in ("class", "pairs", "treatment")
        table.add_column(col, justify="left" if left else "right")
    ok = True
    deltas = []
    for label in ("match", "match+possible"):
        for subset in ("no-SSN", "all"):
            for scheme in SCHEMES:
                m = results[(scheme, label, subset)]
                table.add_row(label, subset, LABELS[scheme], f"{m.precision:.4f}",
                              f"{m.recall:.4f}", f"{m.f1:.4f}", f"{m.predicted:,}",
                              f"{m.truth:,}")  # fmt: skip
            b = results[("empty", label, subset)]
            for scheme in ("decoy", "carry"):
                a = results[(scheme, label, subset)]
                dp, dr, df = a.precision - b.precision, a.recall - b.recall, a.f1 - b.f1
                deltas.append((scheme, label, subset, dp, dr, df))
                if scheme == "carry" and subset == "no-SSN" and (dp < -BUDGET or dr < -BUDGET):
                    ok = False
    console.print(table)
    for scheme, label, subset, dp, dr, df in deltas:
        console.print(
            f"{label:>15} {subset:>6}: {scheme} - empty  precision {dp:+.4f}  recall {dr:+.4f}"
            f"  F1 {df:+.4f}"
        )
    verdict = "PASS" if ok else "FAIL"
    console.print(
        f"[bold]{verdict}[/bold]: the shipped scheme (carry) costs at most {BUDGET} of no-SSN "
        "precision and recall (both classes)"
    )
    return ok


def run(count: int, seed: int, model: MatchModel | None = None) -> Results:
    model = model or MatchModel()
    with Progress(
        TextColumn("{task.description:<20}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:  # fmt: skip
        task = progress.add_task("generate", total=count)
        records = []
        for rec in generate(count, seed=seed, rates=ErrorRates()):
            records.append(rec)
            progress.advance(task)
        keys = _keys(seed)
        task = progress.add_task("carry protocol", total=1)
        carried = attack.CarryProtocol(seed=seed).tokens(
            attack.build_synth_population(count, seed), keys)
        progress.advance(task)
        pop = build(records, keys, carried, progress)
        scored = score_pairs(pop, progress)
    return evaluate(pop, scored, model)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="synthetic records")
    parser.add_argument("--seed", type=int, default=1, help="generator and key seed")
    args = parser.parse_args(argv)
    wall, cpu = time.perf_counter(), time.process_time()
    report(run(args.count, args.seed), args.count)
    console.print(f"{time.perf_counter() - wall:.0f} s wall, {time.process_time() - cpu:.0f} s "
                  f"CPU, load average {os.getloadavg()}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
