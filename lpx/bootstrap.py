"""The composition root: builds the engine and services from Settings, once."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import partial

from sqlalchemy import Engine

from lpx.audit import AuditService, build_audit
from lpx.config import Settings
from lpx.domain.model import MatchModel
from lpx.services.access import AccessService
from lpx.services.pointers import PointerService
from lpx.services.search import SearchService
from lpx.storage.db import make_engine
from lpx.storage.uow import UnitOfWork

NETWORK_KEYS_VARIABLE = "LPX_NETWORK_KEYS"


@dataclass
class Hub:
    settings: Settings
    engine: Engine
    access: AccessService
    pointers: PointerService
    search: SearchService
    audit: AuditService


def load_model(settings: Settings) -> MatchModel:
    if settings.model_file:
        return MatchModel.from_dict(json.loads(settings.model_file.read_text()))
    return MatchModel(match_threshold=settings.match_threshold,
                      possible_threshold=settings.possible_threshold)  # fmt: skip


def build_hub(settings: Settings | None = None, engine: Engine | None = None) -> Hub:
    # Fail closed: a hub process must never have the states' network keys within reach.
    if os.environ.get(NETWORK_KEYS_VARIABLE):
        raise RuntimeError(
            f"Refusing to start the hub: {NETWORK_KEYS_VARIABLE} is set. Network keys belong "
            "to the states' side only; unset it in the hub's environment."
        )
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url)
    uow = partial(UnitOfWork, engine)
    index_key = settings.index_key()
    audit = build_audit(settings, engine)
    return Hub(
        settings=settings,
        engine=engine,
        access=AccessService(uow),
        pointers=PointerService(uow, index_key, audit.log, settings.batch_limit),
        search=SearchService(uow, index_key, load_model(settings), audit.log,
                             settings.candidate_limit),
        audit=audit,
    )
