"""Every linkage error of a labelled dataset at the configured cut, with its evidence.

``lpx eval`` counts the errors; this lists them, to find what the model or the blocking
misses: each false negative (a true pair below the ``possible`` threshold, or never a
candidate) and each false positive (a wrong pair at or above it), with both records'
license fields, the pair's comparison levels and their weights (in the better of the two
search directions, as :func:`lpx.linkage.scoring.score_pairs` keeps it). A summary groups
the errors by their disagreeing fields.

    .venv/bin/python benchmarks/febrl_errors.py                 # FEBRL4
    .venv/bin/python benchmarks/febrl_errors.py --dataset febrl3 --json errors.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lpx.domain.model import FIELDS
from lpx.domain.vectorized import evidence, weight_table, weights
from lpx.evaluation.datasets import FEBRL_NAMES, febrl
from lpx.evaluation.report import truth_codes
from lpx.linkage.batch import Linkage, dedupe
from lpx.linkage.columns import RecordColumns
from lpx.linkage.scoring import pair_levels

# Fields a license record carries in FEBRL (middle name, suffix and sex are always empty).
SHOWN = ("first_name", "last_name", "name_order", "dob", "ssn")


@dataclass(frozen=True, slots=True)
class PairError:
    """One error: kind ``FN`` (true pair missed) or ``FP`` (wrong pair kept)."""

    kind: str
    candidate: bool
    weight: float | None
    a: dict[str, str]
    b: dict[str, str]
    levels: dict[str, str]
    bits: dict[str, float]

    @property
    def cause(self) -> str:
        """The disagreeing fields, as a grouping key (``never candidate`` first)."""
        off = [f"{f}={lv}" for f, lv in self.levels.items()
               if f in SHOWN and lv not in ("exact", "same")]  # fmt: skip
        head = "" if self.candidate else "never candidate: "
        return head + (", ".join(off) or "all exact")


def _fields(records: RecordColumns, i: int) -> dict[str, str]:
    a = records.arrays
    d = int(a.dob[i])
    return {"file": records.files[int(records.source[i])], "id": records.record_ids[i],
            "first": str(a.name.first[i]), "last": str(a.name.last[i]),
            "dob": f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d >= 0 else "",
            "ssn": str(a.ssn[i])}  # fmt: skip


def _explain(linkage: Linkage, a: NDArray[np.int64], b: NDArray[np.int64]
             ) -> list[tuple[dict[str, str], dict[str, float], float]]:  # fmt: skip
    """Levels, per-field bits and total of each pair, in its better direction."""
    records, model = linkage.records, linkage.model
    table = weight_table(model)
    out = []
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        best: tuple[dict[str, str], dict[str, float], float] | None = None
        for p, q in ((x, y), (y, x)):
            pa_, pq = np.array([p]), np.array([q])
            lv = pair_levels(records, pa_, pq)
            total = float(weights(lv, model, records.arrays.take(pq), table)[0])
            bits = {f: round(float(table[f][int(lv[f][0])]), 2) for f in FIELDS}
            if best is None or total > best[2]:
                best = (evidence(lv, 0), bits, total)
        assert best is not None
        out.append(best)
    return out


def errors(linkage: Linkage, truth: NDArray[np.int64], n_true_pairs: int) -> list[PairError]:
    """The false negatives and false positives of ``linkage`` (run with ``keep_all``)."""
    records, model = linkage.records, linkage.model
    n = len(records)
    codes = linkage.a * n + linkage.b
    kept = linkage.weight >= model.possible_threshold
    scored = dict(zip(codes.tolist(), linkage.weight.tolist(), strict=True))
    fn = np.setdiff1d(truth, codes[kept])
    fp = codes[kept & ~np.isin(codes, truth)]
    out: list[PairError] = []
    for kind, group in (("FN", fn), ("FP", fp)):
        a, b = group // n, group % n
        for code, x, y, (lv, bits, total) in zip(
            group.tolist(), a.tolist(), b.tolist(), _explain(linkage, a, b), strict=True
        ):
            weight = scored.get(code)
            out.append(
                PairError(
                    kind,
                    weight is not None,
                    None if weight is None else round(weight, 2),
                    _fields(records, x),
                    _fields(records, y),
                    lv,
                    {f: bits[f] for f in SHOWN} | {"total": round(total, 2)},
                )
            )
    assert sum(e.kind == "FN" for e in out) <= n_true_pairs
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="febrl4", choices=FEBRL_NAMES)
    parser.add_argument("--json", type=Path, help="also write the errors here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = febrl(args.dataset, Path(tmp))
        linkage = dedupe(data.files, link_only=data.link_only, keep_all=True)
        truth, _ = truth_codes(data, linkage)
        found = errors(linkage, truth, len(truth))
    model = linkage.model
    fn = [e for e in found if e.kind == "FN"]
    fp = [e for e in found if e.kind == "FP"]
    tp = len(truth) - len(fn)
    p, r = tp / max(tp + len(fp), 1), tp / len(truth)
    print(f"{args.dataset}: cut {model.possible_threshold} bits; TP {tp} FP {len(fp)} "
          f"FN {len(fn)} (never candidates {sum(not e.candidate for e in fn)}); "
          f"P {p:.4f} R {r:.4f} F1 {2 * p * r / (p + r):.4f}")  # fmt: skip
    print("level weights: " + "; ".join(
        f"{f} " + " ".join(f"{lv}={model.weight(f, lv):.1f}" for lv in model.mu[f])
        for f in SHOWN))  # fmt: skip
    for kind, group in (("FN", fn), ("FP", fp)):
        print(f"\n{kind} by cause:")
        for cause, count in Counter(e.cause for e in group).most_common():
            print(f"  {count:3d}  {cause}")
        print(f"\n{kind} pairs:")
        for e in sorted(group, key=lambda e: (e.candidate, e.bits["total"])):
            sides = " | ".join(f"{s['first']} {s['last']} {s['dob']} {s['ssn']}"
                               for s in (e.a, e.b))  # fmt: skip
            levels = " ".join(f"{f}={e.levels[f]}({e.bits[f]:+.1f})" for f in SHOWN)
            print(
                f"  {e.bits['total']:6.1f} {'cand' if e.candidate else 'NEVER'}  "
                f"{sides}\n         {levels}"
            )
    if args.json:
        args.json.write_text(json.dumps([asdict(e) | {"cause": e.cause} for e in found],
                                        indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
