"""A state withdraws from the hub: all its pointers removed, a signed receipt returned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented

router = APIRouter(tags=["withdrawal"], responses=documented(401, 403, 422))


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="Your own state's code, to confirm: the removal is final")


class ReceiptOut(BaseModel):
    receipt: dict[str, Any] = Field(description="jurisdiction, user, withdrawn_at, removed")
    signature: str = Field(description="Ed25519 over b'lpx-withdrawal-v1' || canonical JSON "
                                       "of receipt (sorted keys, no spaces); hex")
    public_key: str = Field(description="The hub's Ed25519 public key, raw, hex")


@router.post("/v1/withdrawal", response_model=ReceiptOut,
             summary="Remove every pointer of the own state, for good")  # fmt: skip
def withdraw(body: WithdrawIn, actor: ActorDep, hub: HubDep) -> ReceiptOut:
    r = hub.workflows.withdrawal.withdraw(actor, body.confirm)
    return ReceiptOut(receipt=r.body, signature=r.signature.hex(), public_key=r.public_key.hex())
