"""The audit log as the states see it: signed tree heads, consistency proofs, and the feed of
entries touching a state's records, each with its inclusion proof. Hashes are hex; leaf data
is base64 of the exact canonical bytes that were hashed."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.audit import AuditService
from lpx.audit.signing import TreeHead, key_id

router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=documented(401, 403, 422))


def get_audit(hub: HubDep) -> AuditService:
    return hub.audit


AuditDep = Annotated[AuditService, Depends(get_audit)]


class TreeHeadOut(BaseModel):
    size: int = Field(description="Number of entries the head commits to")
    root_hash: str = Field(description="RFC 9162 Merkle tree hash, hex")
    time_us: int = Field(description="Signing time, microseconds since the Unix epoch (UTC)")
    time: datetime
    signature: str = Field(description="Ed25519 over b'lpx-audit-sth-v1' || size (u64 BE) || "
                                       "time_us (u64 BE) || root hash; hex")  # fmt: skip
    public_key: str = Field(description="The hub's Ed25519 public key, raw 32 bytes, hex")
    key_id: str


class ConsistencyOut(BaseModel):
    first: int
    second: int
    proof: list[str] = Field(description="RFC 9162 consistency path, hex")


class EntryOut(BaseModel):
    seq: int = Field(description="Leaf index in the tree")
    leaf_data: str = Field(description="Canonical JSON of the entry, base64")
    leaf_hash: str = Field(description="SHA-256(0x00 || leaf data), hex")
    proof: list[str] = Field(description="RFC 9162 inclusion path to the head's root, hex")


class FeedOut(BaseModel):
    tree_head: TreeHeadOut
    items: list[EntryOut]
    next_cursor: int | None = Field(description="Pass as 'after' for the next page")


def _head(head: TreeHead, public: bytes) -> TreeHeadOut:
    return TreeHeadOut(
        size=head.size, root_hash=head.root_hash.hex(), time_us=head.time_us,
        time=datetime.fromtimestamp(head.time_us / 1_000_000, UTC),
        signature=head.signature.hex(), public_key=public.hex(), key_id=key_id(public),
    )  # fmt: skip


@router.get("/tree-head", response_model=TreeHeadOut, summary="The latest signed tree head")
def tree_head(actor: ActorDep, audit: AuditDep) -> TreeHeadOut:
    """Seals pending entries first, so the head covers everything committed so far."""
    return _head(audit.tree_head(actor), audit.public_key())


@router.get("/consistency", response_model=ConsistencyOut, responses=documented(404),
            summary="Proof that the tree of size 'from' is a prefix of size 'to'")  # fmt: skip
def consistency(
    actor: ActorDep,
    audit: AuditDep,
    first: Annotated[int, Query(alias="from", ge=0, le=2**62)],
    second: Annotated[int, Query(alias="to", ge=0, le=2**62)],
) -> ConsistencyOut:
    proof = audit.consistency(actor, first, second)
    return ConsistencyOut(first=first, second=second, proof=[p.hex() for p in proof])


@router.get("/entries", response_model=FeedOut, responses=documented(404),
            summary="Entries touching one state's records, with proofs")  # fmt: skip
def entries(
    actor: ActorDep,
    audit: AuditDep,
    jurisdiction: Annotated[str, Query(pattern=r"^[A-Z]{2}$")],
    after: Annotated[int, Query(ge=-1, le=2**62, description="Cursor: last seq seen")] = -1,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    tree_size: Annotated[
        int | None, Query(ge=0, le=2**62, description="Prove against this signed head")
    ] = None,
) -> FeedOut:
    page = audit.feed(actor, jurisdiction, after, limit, tree_size)
    return FeedOut(
        tree_head=_head(page.head, audit.public_key()),
        items=[EntryOut(seq=i.seq, leaf_data=base64.b64encode(i.leaf_data).decode(),
                        leaf_hash=i.leaf_hash.hex(), proof=[p.hex() for p in i.proof])
               for i in page.items],
        next_cursor=page.next_cursor,
    )  # fmt: skip
