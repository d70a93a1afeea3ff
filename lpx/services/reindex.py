"""Rebuilding the blocking index from the stored identities (``lpx index rebuild``).

A pointer's blocking keys are written when the pointer is, so a hub that gains a blocking
rule (``lpx.domain.blocking``) keeps finding old pointers only under the old rules until
each is rewritten, and a search that relies on the new rule misses them. Rebuilding reads
every pointer through the repository, opens its identity with the codec as a search does,
and replaces its keys with those of the current rules (old keys go too). It is idempotent:
a second run writes the same keys. A pointer whose state was crypto-shredded cannot be
opened and is skipped: shredding removed its keys on purpose, and they stay removed.

Each page is its own transaction, so a large hub is rebuilt without one huge transaction
and an interrupted run can simply be started again. A pointer rewritten by a load while
its page is being rebuilt gets the keys of the identity the page read; a load writes all
current rules' keys itself, so run the rebuild after upgrading, before loads resume (or
run it again). Each state whose identities were opened gets one audit entry (a count,
like ``model.train``), so reading its records shows in its feed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.domain.blocking import KeyHasher, pointer_keys
from lpx.keys.admin import operator
from lpx.keys.provider import KeyDestroyed
from lpx.services.codec import IdentityCodec
from lpx.storage.uow import UnitOfWork

PAGE = 1000
STAGE = "Rebuilding index"
# Progress: (stage, done, total), as the CLI's progress bar takes it.
Progress = Callable[[str, int, int | None], None]


@dataclass(frozen=True, slots=True)
class Reindexed:
    pointers: int  # pointers whose keys were rebuilt
    keys: int  # blocking keys written
    skipped: int  # pointers whose state was crypto-shredded (not read, not keyed)
    by_state: dict[str, int]  # pointers rebuilt per state (what each audit entry counts)


class ReindexService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], codec: IdentityCodec,
                 index_key: bytes, audit: AuditLog) -> None:  # fmt: skip
        self._uow = uow_factory
        self._codec = codec
        self._hash_keys = KeyHasher(index_key)
        self._audit = audit

    def rebuild(self, *, user: str, page: int = PAGE,
                progress: Progress | None = None) -> Reindexed:  # fmt: skip
        """Re-key every readable pointer with the current blocking rules, ``page`` at a time."""
        if page < 1:
            raise ValueError("page must be at least 1")
        report = progress or (lambda _s, _d, _t: None)
        with self._uow() as uow:
            total = uow.pointers.count()
        opened: Counter[str] = Counter()
        keys = skipped = after = 0
        report(STAGE, 0, total)
        while True:
            with self._uow() as uow:
                rows = uow.pointers.identities(after, page)
                items = []
                for pk, pointer_id, jurisdiction, identity in rows:
                    after = pk
                    try:
                        profile = self._codec.profile(identity, jurisdiction, pointer_id)
                    except KeyDestroyed:
                        skipped += 1
                        continue
                    opened[jurisdiction] += 1
                    items.append((pk, self._hash_keys(pointer_keys(profile))))
                keys += uow.pointers.set_blocks(items)
                uow.commit()
            report(STAGE, sum(opened.values()) + skipped, total)
            if len(rows) < page:
                break
        with self._uow() as uow:
            for jurisdiction, count in sorted(opened.items()):
                self._audit.append(uow.conn, AuditEvent.by(
                    operator(jurisdiction, user), Action.INDEX_REBUILD, refs=("index-rebuild",),
                    result_count=count))  # fmt: skip
            uow.commit()
        return Reindexed(sum(opened.values()), keys, skipped, dict(sorted(opened.items())))
