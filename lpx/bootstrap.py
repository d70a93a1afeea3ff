"""The composition root: builds the engine and services from Settings, once."""

from __future__ import annotations

import gc
import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from sqlalchemy import Engine

from lpx.audit import AuditService, build_audit
from lpx.config import Settings
from lpx.domain.model import MatchModel
from lpx.keys.admin import KeyAdminService
from lpx.keys.file_provider import FileKeyProvider
from lpx.keys.provider import KeyProvider
from lpx.keys.ring import DataKeyRing
from lpx.services.access import AccessService
from lpx.services.codec import IdentityCodec
from lpx.services.pointers import PointerService
from lpx.services.safeguards import Safeguards, build_safeguards
from lpx.services.search import SearchService
from lpx.services.upload_policy import UploadPolicyService
from lpx.services.uploads import UploadService
from lpx.services.webhook_urls import WebhookUrlGuard
from lpx.services.workflows import Workflows, build_workflows
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
    keys: KeyAdminService  # data keys at rest: rotate, re-encrypt, destroy (lpx keyadmin)
    policies: UploadPolicyService  # each state's upload policy
    workflows: Workflows = field(init=False)  # cases, transfers, notifications, withdrawal
    safeguards: Safeguards = field(init=False)  # rate/enumeration guard, outside requests
    uploads: UploadService = field(init=False)  # resumable file loads and their progress

    def __post_init__(self) -> None:
        from lpx.audit import KEY_FILE
        from lpx.audit.signing import FileKeyProvider as SigningKeys

        index_key = self.settings.index_key()
        self.workflows = build_workflows(
            partial(UnitOfWork, self.engine), self.pointers, index_key, self.search.model,
            self.audit.log, SigningKeys(self.settings.data_dir / KEY_FILE),
            self.settings.candidate_limit, self.settings.lone_key_block_limit,
            case_max_age=timedelta(days=self.settings.case_overdue_days),
            transfer_confirm_within=timedelta(days=self.settings.transfer_overdue_days))
        self.safeguards = build_safeguards(self.settings, self.engine, self.search,
                                           self.audit.log, index_key)  # fmt: skip
        self.uploads = UploadService(partial(UnitOfWork, self.engine), self.pointers)
        # Webhook URLs are vetted against the operator's allow-list (SSRF, docs in README).
        self.workflows.notifications.guard = WebhookUrlGuard(self.settings.webhook_hosts())


# Allocations between young-generation collections in a serving process (CPython: 700).
# A bulk load's batch keeps tens of thousands of objects alive for a moment (its candidates'
# opened documents and columns): at 700 each collection found them alive and promoted them, and the
# ~40 full collections that followed traversed them again. Onboarding 100k records into 5M
# (benchmarks/onboarding.py) each hub process spent 12-14 s in collections at 700 and 2.5 s
# at 50,000: most objects now die young, by reference count, before a collection sees them.
GC_YOUNG_THRESHOLD = 50_000


def tune_gc() -> None:
    """Settle the collector for a long-running hub process, once its hub is built: what
    start-up made lives as long as the process, so no collection traverses it again
    (``gc.freeze``), and young collections run every :data:`GC_YOUNG_THRESHOLD` allocations.
    Reference counting still frees everything acyclic at once; only cycles wait longer."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


def load_model(settings: Settings) -> MatchModel:
    if settings.model_file:
        return MatchModel.from_dict(json.loads(settings.model_file.read_text()))
    return MatchModel(match_threshold=settings.match_threshold,
                      possible_threshold=settings.possible_threshold)  # fmt: skip


def key_provider(settings: Settings) -> KeyProvider:
    """The KEK provider: local files by default; a KMS/HSM provider plugs in here."""
    return FileKeyProvider(settings.kek_dir or settings.data_dir / "kek")


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
    ring = DataKeyRing(engine, key_provider(settings), settings.data_key_cache_size,
                       settings.data_key_cache_seconds)  # fmt: skip
    codec = IdentityCodec(ring)
    return Hub(
        settings=settings,
        engine=engine,
        access=AccessService(uow),
        pointers=PointerService(uow, index_key, audit.log, settings.batch_limit, codec=codec),
        search=SearchService(uow, index_key, load_model(settings), audit.log,
                             settings.candidate_limit,
                             lone_block_limit=settings.lone_key_block_limit, codec=codec,
                             carry_window=timedelta(minutes=settings.carry_window_minutes)),
        audit=audit,
        keys=KeyAdminService(engine, ring, audit.log),
        policies=UploadPolicyService(uow, audit.log),
    )
