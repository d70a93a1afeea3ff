"""Training a match model on profiles: u from random pairs, m by EM, λ, name TF.

The pure core of ``lpx model train``, shared by the offline path (profiles read from
license files, :mod:`lpx.linkage.records`) and the hub path (profiles opened from stored
pointers, :mod:`lpx.services.model_training`). Levels come from the one engine
(:mod:`lpx.domain.vectorized`), the estimation itself from :mod:`lpx.domain.estimation`.
Training rules, as Splink's ``estimate_parameters_using_expectation_maximisation``: pairs
sharing a full name train every other field; pairs sharing a DOB train the name fields
(and the rest again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from lpx.domain.estimation import EmResult, assemble, estimate_u, expectation_maximisation
from lpx.domain.frequency import frequency_table
from lpx.domain.model import MatchModel
from lpx.domain.profile import MatchProfile
from lpx.domain.vectorized import LEVELS, Levels, ProfileArrays, levels

NAME_RULE = ("dob", "ssn", "middle_name", "suffix", "sex")
DOB_RULE = ("first_name", "last_name", "ssn", "middle_name", "suffix", "sex")
STEPS = 4  # progress steps: u, the names rule, the DOB rule, frequencies
_CHUNK = 200_000
MAX_GROUP = 50  # larger blocks (a very common name) are skipped: they add little but pairs

# Progress: called with the number of training steps done (of ``STEPS``).
Progress = Callable[[int], None]


def _levels(arrays: ProfileArrays, a: NDArray[np.int64], b: NDArray[np.int64]) -> Levels:
    parts = [levels(arrays.take(a[i:i + _CHUNK]), arrays.take(b[i:i + _CHUNK]))
             for i in range(0, len(a), _CHUNK)]  # fmt: skip
    return {f: np.concatenate([p[f] for p in parts]) for f in LEVELS}


def _block_pairs(
    keys: Sequence[Hashable | None], cap: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        if k is not None:
            groups[k].append(i)
    a: list[int] = []
    b: list[int] = []
    for members in groups.values():
        if 1 < len(members) <= MAX_GROUP:
            for x in range(len(members)):
                a.extend([members[x]] * (len(members) - x - 1))
                b.extend(members[x + 1 :])
    aa, bb = np.array(a, dtype=np.int64), np.array(b, dtype=np.int64)
    if len(aa) > cap:
        keep = rng.choice(len(aa), cap, replace=False)
        aa, bb = aa[keep], bb[keep]
    return aa, bb


def train_model(profiles: Sequence[MatchProfile], base: MatchModel | None = None, *,
                random_pairs: int = 1_000_000, max_pairs: int = 500_000, seed: int = 1,
                version: str = "trained", arrays: ProfileArrays | None = None,
                progress: Progress | None = None) -> MatchModel:  # fmt: skip
    """Estimate u, m, λ and the name frequency tables from ``profiles`` (no labels).

    Thresholds are the base model's. ``arrays`` may pass the profiles' columns when the
    caller has built them already.
    """
    if len(profiles) < 2:
        raise ValueError("training needs at least two records")
    cols = arrays if arrays is not None else ProfileArrays.of(profiles)
    name_keys: list[Hashable | None] = [
        (p.name.first, p.name.last) if p.name.first and p.name.last else None for p in profiles
    ]
    dob_keys: list[Hashable | None] = [p.dob for p in profiles]
    return fit_model(
        len(profiles), lambda a, b: _levels(cols, a, b),
        ((lambda rng: _block_pairs(name_keys, max_pairs, rng), NAME_RULE),
         (lambda rng: _block_pairs(dob_keys, max_pairs, rng), DOB_RULE)),
        names=lambda: ([p.name.first for p in profiles], [p.name.last for p in profiles]),
        base=base, random_pairs=random_pairs, seed=seed, version=version, progress=progress,
    )  # fmt: skip


# The pairs of one training rule, sampled with the run's generator (after the random pairs).
RuleSample = Callable[[np.random.Generator], tuple[NDArray[np.int64], NDArray[np.int64]]]


def fit_model(n: int, levels_of: Callable[[NDArray[np.int64], NDArray[np.int64]], Levels],
              rules: Sequence[tuple[RuleSample, tuple[str, ...]]], *,
              names: Callable[[], tuple[Sequence[str], Sequence[str]]],
              base: MatchModel | None = None, random_pairs: int = 1_000_000, seed: int = 1,
              version: str = "trained",
              progress: Progress | None = None) -> MatchModel:  # fmt: skip
    """The recipe over ``n`` records, whatever holds them: ``levels_of`` compares pairs of
    record indexes, ``rules`` sample each training rule's pairs, ``names`` gives every
    record's normalized first and last names for the frequency tables. Profiles
    (:func:`train_model`) and batch columns (:mod:`lpx.linkage.training`) both use it, so
    the two cannot drift apart."""
    base = base or MatchModel()
    if n < 2:
        raise ValueError("training needs at least two records")
    tick = progress or (lambda _done: None)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, n, random_pairs)
    b = (a + rng.integers(1, n, random_pairs)) % n  # never a record with itself
    u = estimate_u(levels_of(a, b), LEVELS, base)
    tick(1)
    trained: list[tuple[tuple[str, ...], EmResult]] = []
    counts = []
    for step, (sample, fields) in enumerate(rules, 2):
        pa_, pb = sample(rng)
        if len(pa_):
            result = expectation_maximisation(levels_of(pa_, pb), fields, LEVELS, base, u)
            trained.append((fields, result))
            counts.append(len(pa_))
        tick(step)
    model = assemble(base, LEVELS, u, trained, base.prior, version)
    if trained and trained[0][0] == NAME_RULE:
        # λ: matches among full-name pairs, over the share of matches agreeing on both names.
        agree = model.mu["first_name"]["exact"][0] * model.mu["last_name"]["exact"][0]
        matches = trained[0][1].share * counts[0] / max(agree, 1e-9)
        model = replace(model, prior=float(np.clip(matches / (n * (n - 1) / 2), 1e-12, 0.5)))
    firsts, lasts = names()
    first, first_floor = frequency_table(firsts)
    last, last_floor = frequency_table(lasts)
    tick(STEPS)
    return replace(model, tf={"first_name": first, "last_name": last},
                   tf_floor={"first_name": first_floor, "last_name": last_floor})  # fmt: skip
