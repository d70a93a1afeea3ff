"""What happened to a state's records: the pull feed (cursor-based, gapless) and the
registration of a signed webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented

router = APIRouter(prefix="/v1/notifications", tags=["notifications"],
                   responses=documented(401, 403, 422))  # fmt: skip


class NotificationOut(BaseModel):
    seq: int
    kind: str
    ref: str
    detail: dict[str, Any]
    created_at: datetime


class FeedOut(BaseModel):
    items: list[NotificationOut]
    next_cursor: int = Field(description="Pass as ?after= next time (the last seq read)")


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://[!-~]+$")]


class WebhookOut(BaseModel):
    url: str
    secret: str = Field(description="HMAC-SHA256 key for X-LPX-Signature; shown only once")


@router.get("", response_model=FeedOut, summary="Own state's notifications after a cursor")
def feed(actor: ActorDep, hub: HubDep, after: Annotated[int, Query(ge=0, le=2**62)] = 0,
         limit: Annotated[int, Query(ge=1, le=500)] = 100) -> FeedOut:  # fmt: skip
    items = hub.workflows.notifications.feed(actor, after, limit)
    return FeedOut(items=[NotificationOut(seq=n.seq, kind=n.kind, ref=n.ref, detail=n.detail,
                                          created_at=n.created_at) for n in items],
                   next_cursor=items[-1].seq if items else after)  # fmt: skip


@router.put("/webhook", response_model=WebhookOut, summary="Register the state's webhook")
def set_webhook(body: WebhookIn, actor: ActorDep, hub: HubDep) -> WebhookOut:
    secret = hub.workflows.notifications.set_webhook(actor, body.url)
    return WebhookOut(url=body.url, secret=secret)
