"""The Fellegi-Sunter model: m and u probabilities per comparison level, and thresholds.

Weights are log2(m/u) (a Bayes factor in bits); a pair's match weight is their sum plus
the prior. Plain functions and data, so a trained model can be loaded from JSON.

Term-frequency adjustment (as Splink does it): an exact first or last name is weighed with
u = the value's own frequency instead of the average u of the exact level, so agreeing on a
rare surname counts more than agreeing on Smith. ``tf`` holds only values seen often enough
(see :mod:`lpx.domain.frequency`); any other value gets the field's ``tf_floor``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT = 2  # model JSON layout; format 1 (no "format" key) had no term frequencies

FIELDS = ("first_name", "last_name", "name_order", "middle_name", "suffix", "dob", "sex", "ssn")

# Defaults from the error rates seen in state license files; `lpx model train` re-estimates.
DEFAULT_MU: dict[str, dict[str, tuple[float, float]]] = {
    "first_name": {
        "exact": (0.86, 0.004), "nickname": (0.05, 0.002), "jw_high": (0.04, 0.002),
        "jw_mid": (0.02, 0.01), "initial": (0.01, 0.02), "else": (0.02, 0.962),
    },
    "last_name": {
        "exact": (0.83, 0.002), "one_of_two": (0.04, 0.0005), "jw_high": (0.04, 0.002),
        "phonetic": (0.02, 0.003), "jw_mid": (0.02, 0.006), "else": (0.05, 0.9865),
    },
    # Relative to the straight reading (see ``lpx.domain.estimation.FIXED_FIELDS``): a swap is
    # rare for one person, while two people whose names agree only swapped ("Thomas Ryan",
    # "Ryan Thomas") are not much rarer than two that agree straight: a penalty, not a bonus.
    "name_order": {"same": (0.985, 0.985), "swapped": (0.01, 0.08), "aka": (0.005, 0.005)},
    "middle_name": {"exact": (0.9, 0.05), "initial": (0.08, 0.05), "else": (0.02, 0.9)},
    "suffix": {"exact": (0.98, 0.9), "one_missing": (0.015, 0.05), "else": (0.005, 0.05)},
    "dob": {
        "exact": (0.93, 0.00005), "day_month_swapped": (0.02, 0.000002),
        "one_digit": (0.03, 0.0005), "same_year": (0.01, 0.015), "else": (0.01, 0.98445),
    },
    "sex": {"exact": (0.98, 0.5), "else": (0.02, 0.5)},
    # ``conflict`` is ``else`` where names and DOB agree exactly (comparison.ssn_in_context):
    # a decoy would have agreed there, so one person shows it only with two SSNs on file
    # (two wrong digits, or a wrong SSN in one state): rare; its u is else's. Not trained.
    # ``else`` m 0.15: a decoy holder renamed in one state (about 13% of them) gets a second
    # decoy; softer than 0.10 keeps decoys within 0.01 of match recall (benchmarks/decoy_cost.py).
    # ``one_digit`` covers slips in the first four digits only (records.MASKED_TOKEN_COUNT):
    # 4/5 of slips, and 36 of the 99,989 values for a random pair.
    "ssn": {"exact": (0.82, 0.00002), "one_digit": (0.024, 0.00036), "else": (0.156, 0.99962),
            "conflict": (0.0005, 0.99962)},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class MatchModel:
    """Level weights and the two class thresholds (in bits of match weight)."""

    mu: dict[str, dict[str, tuple[float, float]]] = field(default_factory=lambda: DEFAULT_MU)
    prior: float = 1e-6  # chance that two random pointers are one person
    match_threshold: float = 20.0
    possible_threshold: float = 10.0
    version: str = "default-1"
    tf: dict[str, dict[str, float]] = field(default_factory=dict)  # field -> value -> freq
    tf_floor: dict[str, float] = field(default_factory=dict)  # freq of values not in ``tf``
    # Bits per level, and per name value of the frequency tables (with the floor's bits),
    # worked out once here (``dataclasses.replace`` works them out again): scoring asks for
    # them per pair, and a trained hub's surname table holds tens of thousands of values.
    _level_bits: dict[str, dict[str, float]] = field(init=False, repr=False, compare=False)
    _tf_bits: dict[str, tuple[dict[str, float], float]] = field(init=False, repr=False,
                                                               compare=False)  # fmt: skip

    def __post_init__(self) -> None:
        object.__setattr__(self, "_level_bits", {
            f: {lv: math.log2(m / u) for lv, (m, u) in levels.items()}
            for f, levels in self.mu.items()})  # fmt: skip
        tf_bits = {}
        for f, table in self.tf.items():
            if table:
                u_exact = self.mu[f]["exact"][1]
                floor = self.tf_floor[f] if f in self.tf_floor else min(table.values())
                tf_bits[f] = ({v: math.log2(u_exact / x) for v, x in table.items()},
                              math.log2(u_exact / floor))  # fmt: skip
        object.__setattr__(self, "_tf_bits", tf_bits)

    def weight(self, field_name: str, level: str) -> float:
        """log2(m/u) for a level; a null level (a field one side lacks) carries no evidence."""
        return self._level_bits[field_name].get(level, 0.0)

    def tf_bits(self, field_name: str, value: str) -> float:
        """Bits to add to the exact level's weight for an agreeing ``value``:
        log2(u_exact / frequency(value)); zero for a field without a frequency table."""
        bits = self._tf_bits.get(field_name)
        return bits[0].get(value, bits[1]) if bits else 0.0

    def tf_adjustments(self, field_name: str, values: list[str]) -> NDArray[np.float64]:
        """:meth:`tf_bits` of each value."""
        bits = self._tf_bits.get(field_name)
        if not bits:
            return np.zeros(len(values))
        table, floor = bits
        return np.array([table.get(v, floor) for v in values], dtype=np.float64)

    @property
    def prior_weight(self) -> float:
        return math.log2(self.prior / (1 - self.prior))

    def classify(self, weight: float) -> str | None:
        if weight >= self.match_threshold:
            return "match"
        if weight >= self.possible_threshold:
            return "possible"
        return None

    def probability(self, weight: float) -> float:
        """Posterior probability that the pair is one person, given the prior."""
        bits = weight + self.prior_weight
        if bits > 60:
            return 1.0
        odds: float = 2.0**bits
        return odds / (1 + odds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version, "prior": self.prior,
            "match_threshold": self.match_threshold,
            "possible_threshold": self.possible_threshold,
            "mu": {f: {lv: list(mu) for lv, mu in levels.items()} for f, levels in self.mu.items()},
            "format": FORMAT,
            "tf": {f: {"floor": self.tf_floor.get(f, min(t.values(), default=1.0)), "values": t}
                   for f, t in self.tf.items()},
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchModel:
        mu = {f: {lv: (float(m), float(u)) for lv, (m, u) in levels.items()}
              for f, levels in data["mu"].items()}  # fmt: skip
        ssn = mu.get("ssn", {})
        if "else" in ssn and "conflict" not in ssn:
            ssn["conflict"] = ssn["else"]  # a model from before the level: weighed as before
        if int(data.get("format", 1)) > FORMAT:
            raise ValueError(f"model format {data['format']} is newer than this LPX ({FORMAT})")
        tf = {f: {str(v): float(x) for v, x in t["values"].items()}
              for f, t in data.get("tf", {}).items()}  # fmt: skip
        floor = {f: float(t["floor"]) for f, t in data.get("tf", {}).items()}
        return cls(mu=mu, prior=float(data["prior"]), version=str(data["version"]),
                   match_threshold=float(data["match_threshold"]),
                   possible_threshold=float(data["possible_threshold"]),
                   tf=tf, tf_floor=floor)  # fmt: skip
