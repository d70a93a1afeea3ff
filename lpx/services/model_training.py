"""Re-estimating the match model from the pointers the hub holds (``lpx model train --from-hub``).

The hub's pointers are the population its searches run against, so they are the right data
to learn m, u, the prior and the name frequencies from. Profiles are read through the
repository and opened with the identity codec exactly as a search opens its candidates;
a pointer whose state's key was destroyed is skipped, never read. Only the profiles reach
training: no name leaves this process, and the model keeps only frequent names (see
:mod:`lpx.domain.frequency`).

A large hub is sampled evenly by primary key (every ``stride``-th pointer), so training
costs the same at 10M pointers as at ``sample`` pointers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.domain.model import MatchModel
from lpx.domain.profile import MatchProfile
from lpx.domain.training import STEPS, train_model
from lpx.keys.admin import operator
from lpx.keys.provider import KeyDestroyed
from lpx.services.codec import IdentityCodec
from lpx.storage.uow import UnitOfWork

PAGE = 5000
MIN_POINTERS = 2
# Progress: (stage, done, total), as the CLI's progress bar takes it.
Progress = Callable[[str, int, int | None], None]


class TooFewPointers(ValueError):
    """The hub holds too few readable pointers to estimate a model from."""


@dataclass(frozen=True, slots=True)
class TrainedModel:
    model: MatchModel
    pointers: int  # profiles trained on
    skipped: int  # pointers whose identity could not be opened (key destroyed)


class ModelTrainingService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], codec: IdentityCodec,
                 audit: AuditLog) -> None:  # fmt: skip
        self._uow = uow_factory
        self._codec = codec
        self._audit = audit

    def profiles(self, sample: int, user: str,
                 progress: Progress | None = None) -> tuple[list[MatchProfile], int]:  # fmt: skip
        """About ``sample`` opened profiles spread over all pointers, and how many were skipped.

        Each state whose identities were opened gets an audit entry (count only) under its
        own code, so reading its records for training shows in its feed like any search.
        """
        with self._uow() as uow:
            total = uow.pointers.count()
        stride = max(1, -(-total // sample)) if sample > 0 else 1
        expected = total // stride
        report = progress or (lambda _s, _d, _t: None)
        found: list[MatchProfile] = []
        opened: Counter[str] = Counter()
        skipped, after = 0, 0
        report("Reading pointers", 0, expected)
        while True:
            with self._uow() as uow:
                rows = uow.pointers.identities(after, PAGE, stride)
            for pk, pointer_id, jurisdiction, identity in rows:
                after = pk
                try:
                    found.append(self._codec.profile(identity, jurisdiction, pointer_id))
                    opened[jurisdiction] += 1
                except KeyDestroyed:
                    skipped += 1
            report("Reading pointers", len(found) + skipped, expected)
            if len(rows) < PAGE:
                break
        with self._uow() as uow:
            for jurisdiction, count in sorted(opened.items()):
                self._audit.append(uow.conn, AuditEvent.by(
                    operator(jurisdiction, user), Action.MODEL_TRAIN, refs=("model-train",),
                    result_count=count))  # fmt: skip
            uow.commit()
        return found, skipped

    def train(self, base: MatchModel | None = None, *, user: str, sample: int = 200_000,
              random_pairs: int = 1_000_000, seed: int = 1, version: str = "trained",
              progress: Progress | None = None) -> TrainedModel:  # fmt: skip
        """A model estimated from (a sample of) the stored pointers; thresholds from ``base``."""
        profiles, skipped = self.profiles(sample, user, progress)
        if len(profiles) < MIN_POINTERS:
            raise TooFewPointers(
                f"the hub holds {len(profiles)} readable pointers; load some before training"
            )
        report = progress or (lambda _s, _d, _t: None)

        def step(done: int) -> None:
            report("Estimating", done, STEPS)

        step(0)
        model = train_model(profiles, base, random_pairs=random_pairs, seed=seed,
                            version=version, progress=step)  # fmt: skip
        return TrainedModel(model, len(profiles), skipped)
