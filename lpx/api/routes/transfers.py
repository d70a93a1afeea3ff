"""Change of state of record: the new SOR takes over a pointer found by inquiry; the old SOR
confirms that its card is cancelled, or disputes the move."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.domain.records import CardType, Status
from lpx.domain.transfers import TransferStatus
from lpx.services.transfers import Transfer, TransferRequest, card

router = APIRouter(prefix="/v1/transfers", tags=["transfers"],
                   responses=documented(401, 403, 422))  # fmt: skip
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TransferId = Annotated[str, Path(pattern=UUID_PATTERN, description="The transfer id")]
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "Not allowed now (already moved, record id taken, ...)"}}


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pointer_id: Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
    record_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")]
    card_type: CardType
    real_id: bool
    status: Status = Status.ACTIVE
    issue_date: date | None = None
    expiry_date: date | None = None


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: Literal["confirmed", "disputed"] = Field(
        description="confirmed: our card is cancelled; disputed: we object to the move")


class TransferOut(BaseModel):
    transfer_id: str
    pointer_id: str
    from_jurisdiction: str
    from_record_id: str
    to_jurisdiction: str
    to_record_id: str
    status: TransferStatus
    overdue: bool
    requested_at: datetime
    answered_at: datetime | None


class TransferPage(BaseModel):
    items: list[TransferOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (same filters) for the next page; null at the end")


def _out(t: Transfer) -> TransferOut:
    r = t.row
    return TransferOut(transfer_id=r.transfer_id, pointer_id=r.pointer_id,
                       from_jurisdiction=r.from_jurisdiction, from_record_id=r.from_record_id,
                       to_jurisdiction=r.to_jurisdiction, to_record_id=r.to_record_id,
                       status=TransferStatus(r.status), overdue=t.overdue,
                       requested_at=r.requested_at, answered_at=r.answered_at)  # fmt: skip


@router.post("", response_model=TransferOut, status_code=201,
             summary="Take over another state's pointer (idempotent: a repeat answers 200)",
             responses={**documented(404), **CONFLICT})  # fmt: skip
def request_transfer(body: TransferIn, actor: ActorDep, hub: HubDep,
                     response: Response) -> TransferOut:  # fmt: skip
    req = TransferRequest(body.pointer_id, body.record_id,
                          card(body.card_type.value, body.real_id, body.status.value,
                               body.issue_date, body.expiry_date))  # fmt: skip
    t = hub.workflows.transfers.request(actor, req)
    response.status_code = 201 if t.created else 200
    return _out(t)


@router.get("", response_model=TransferPage, summary="Transfers from or to the own state")
def list_transfers(
    actor: ActorDep,
    hub: HubDep,
    status: Annotated[list[TransferStatus] | None, Query()] = None,
    overdue: Annotated[bool, Query(description="Only unconfirmed past the deadline")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200,
                                        description="next_cursor of the previous page")] = None,
) -> TransferPage:
    page = hub.workflows.transfers.list_own(actor, status, overdue, limit, cursor)
    return TransferPage(items=[_out(t) for t in page.items], next_cursor=page.next_cursor)


@router.get("/{transfer_id}", response_model=TransferOut, summary="One transfer",
            responses=documented(404))  # fmt: skip
def get_transfer(transfer_id: TransferId, actor: ActorDep, hub: HubDep) -> TransferOut:
    return _out(hub.workflows.transfers.get(actor, transfer_id))


@router.post("/{transfer_id}/answer", response_model=TransferOut,
             summary="The former SOR confirms its card is cancelled, or disputes",
             responses={**documented(404), **CONFLICT})  # fmt: skip
def answer_transfer(transfer_id: TransferId, body: AnswerIn, actor: ActorDep,
                    hub: HubDep) -> TransferOut:  # fmt: skip
    target = TransferStatus(body.answer)
    return _out(hub.workflows.transfers.answer(actor, transfer_id, target))
