"""The audit log's use cases: append (inside a caller's transaction), seal, and the state feed.

Appending stores the leaf only, so an audited request pays one counter update and two small
inserts. Sealing extends the tree from the last signed head to the current size in a batch:
it reads the O(log n) perfect-subtree roots on the right edge of the old tree, adds the new
leaves (writing each perfect subtree that completes, about one node per leaf) and signs the
new root. Proofs then read O(log n) stored nodes each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from lpx.audit.entries import AuditEntry, AuditEvent
from lpx.audit.merkle import (
    consistency_ranges,
    fold,
    inclusion_ranges,
    needed_nodes,
    node_hash,
    range_nodes,
    resolve,
)
from lpx.audit.repository import AuditRepository
from lpx.audit.signing import TreeHead, TreeHeadSigner
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, Forbidden, authorize
from lpx.services.errors import InvalidRequest, NotFound, ServiceError

Clock = Callable[[], int]
MAX_FEED = 500


def now_us() -> int:
    return time.time_ns() // 1000


class AuditUnavailable(ServiceError):
    status = 503
    title = "Audit log unavailable"


class AuditLog:
    """What services call: ``audit.append(uow.conn, AuditEvent.by(actor, ...))`` before commit.

    It writes on the caller's connection, so the entry and the data change commit or roll
    back together; if the entry cannot be written the exception aborts the request.
    """

    def __init__(self, clock: Clock = now_us) -> None:
        self._clock = clock

    def append(self, conn: Connection, event: AuditEvent) -> AuditEntry:
        try:
            return AuditRepository(conn).append(event, self._clock())
        except SQLAlchemyError as exc:
            # Fail closed: no entry, no access. The caller's transaction rolls back with it.
            raise AuditUnavailable(
                "The audit log could not record this request, so it was refused and nothing "
                "was changed. Try again later; the hub operator has been alerted."
            ) from exc


@dataclass(frozen=True, slots=True)
class FeedItem:
    seq: int
    leaf_data: bytes
    leaf_hash: bytes
    proof: list[bytes]


@dataclass(frozen=True, slots=True)
class FeedPage:
    head: TreeHead
    items: list[FeedItem]
    next_cursor: int | None


class AuditService:
    def __init__(self, engine: Engine, signer: TreeHeadSigner, clock: Clock = now_us) -> None:
        self._engine = engine
        self.signer = signer
        self._clock = clock
        self.log = AuditLog(clock)

    def public_key(self) -> bytes:
        return self.signer.public_key()

    def seal(self) -> TreeHead:
        """Sign a head over every committed entry; return the latest if nothing is new."""
        with self._engine.begin() as conn:
            repo = AuditRepository(conn)
            repo.lock_sealing(self._clock())
            last = repo.latest_head()
            size, last_entry_us = repo.size()
            if last is not None and last.size >= size:
                return last
            old = last.size if last else 0
            edge = range_nodes(0, old)
            known = repo.node_hashes(edge)
            stack = [(lvl, i, known[(lvl, i)]) for lvl, i in edge]
            new_nodes: list[tuple[int, int, bytes]] = []
            for seq, h in enumerate(repo.leaf_hashes(old, size), start=old):
                stack.append((0, seq, h))
                while len(stack) > 1 and stack[-1][0] == stack[-2][0]:
                    (lvl, i, left), (_, _, right) = stack[-2], stack[-1]
                    parent = (lvl + 1, i >> 1, node_hash(left, right))
                    stack[-2:] = [parent]
                    new_nodes.append(parent)
            stamp = max(self._clock(), last_entry_us, last.time_us if last else 0)
            head = self.signer.sign(TreeHead(size, fold([h for _, _, h in stack]), stamp))
            repo.add_nodes(new_nodes)
            repo.add_head(head)
        return head

    def tree_head(self, actor: Actor) -> TreeHead:
        """The latest signed head, sealing pending entries first (so it covers them)."""
        authorize(actor, Permission.AUDIT_TREE_READ)
        return self.seal()

    def consistency(self, actor: Actor, old: int, new: int) -> list[bytes]:
        authorize(actor, Permission.AUDIT_TREE_READ)
        if not 0 <= old <= new:
            raise InvalidRequest(f"'from' ({old}) must be between 0 and 'to' ({new}).")
        head = self.seal()  # proofs need the nodes up to ``new``; sealing writes them
        if new > head.size:
            raise NotFound(
                f"The audit log has {head.size} entries; there is no tree of size {new}."
            )
        with self._engine.connect() as conn:
            repo = AuditRepository(conn)
            ranges = consistency_ranges(old, new)
            return resolve(ranges, repo.node_hashes(needed_nodes(ranges)))

    def feed(self, actor: Actor, jurisdiction: str, after: int = -1, limit: int = 100,
             tree_size: int | None = None) -> FeedPage:  # fmt: skip
        """Entries touching ``jurisdiction``, each with its inclusion proof against one head.

        A state reads only its own jurisdiction's entries; an auditor reads any.
        """
        try:
            authorize(actor, Permission.AUDIT_READ)
        except Forbidden:
            authorize(actor, Permission.AUDIT_READ_OWN, jurisdiction)
        limit = max(1, min(limit, MAX_FEED))
        if tree_size is None:
            self.seal()
        with self._engine.connect() as conn:
            repo = AuditRepository(conn)
            head = self._head(repo, tree_size)
            rows = repo.feed(jurisdiction, after, head.size, limit)
            ranges = [inclusion_ranges(r.seq, head.size) for r in rows]
            hashes = repo.node_hashes(needed_nodes(rg for rs in ranges for rg in rs))
        items = [FeedItem(r.seq, r.leaf_data, r.leaf_hash, resolve(rs, hashes))
                 for r, rs in zip(rows, ranges, strict=True)]  # fmt: skip
        return FeedPage(head, items, rows[-1].seq if len(rows) == limit else None)

    @staticmethod
    def _head(repo: AuditRepository, size: int | None) -> TreeHead:
        head = repo.latest_head() if size is None else repo.head(size)
        if head is None:
            raise NotFound(f"The hub has signed no audit tree head of size {size}.")
        return head

    def sealing_due(self, every_entries: int, every_us: int) -> bool:
        """Whether a batch is due: enough unsealed entries, or the oldest waited long enough."""
        with self._engine.connect() as conn:
            repo = AuditRepository(conn)
            size, _ = repo.size()
            last = repo.latest_head()
        sealed = last.size if last else 0
        if size <= sealed:
            return last is None
        waited = self._clock() - (last.time_us if last else 0)
        return size - sealed >= every_entries or waited >= every_us
