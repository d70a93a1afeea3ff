"""Search inquiries (one person) and status inquiries (one pointer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.api.schemas import (
    CandidateOut,
    CarryIn,
    CarryOut,
    SearchIn,
    SearchOut,
    SsnTokensOut,
    StatusOut,
)

router = APIRouter(tags=["inquiries"], responses=documented(401, 403, 422))
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
PointerId = Annotated[str, Path(pattern=UUID_PATTERN, description="The hub's pointer id (a UUID)")]


@router.post("/v1/inquiries/search", response_model=SearchOut,
             summary="Does this person hold a card anywhere? At most 10 candidates")  # fmt: skip
def search(body: SearchIn, actor: ActorDep, hub: HubDep) -> SearchOut:
    result = hub.search.search(actor, body.to_domain())
    return SearchOut(
        inquiry_id=result.inquiry_id,
        candidates=[CandidateOut(pointer_id=c.pointer_id, jurisdiction=c.jurisdiction,
                                 match_class=c.match_class,
                                 weight=c.weight, probability=c.probability,
                                 evidence=c.evidence) for c in result.candidates],
    )  # fmt: skip


@router.post("/v1/inquiries/carry", response_model=CarryOut,
             summary="At issuance: the SSN tokens of the applicant's confirmed pointer",
             responses=documented(404, 409))  # fmt: skip
def carry(body: CarryIn, actor: ActorDep, hub: HubDep) -> CarryOut:
    """Names the caller's recent issuance inquiry and one of its candidates; 404 alike for
    every refusal, 409 when the inquiry already carried another (docs/privacy.md,
    "Carrying the decoy")."""
    result = hub.search.carry(actor, body.inquiry_id, body.pointer_id)
    ssn = (SsnTokensOut(full=result.ssn.full, masked=list(result.ssn.masked))
           if result.ssn else None)  # fmt: skip
    return CarryOut(inquiry_id=result.inquiry_id, pointer_id=result.pointer_id, ssn=ssn)


@router.get("/v1/pointers/{pointer_id}/status", response_model=StatusOut,
            summary="Card type, status and dates behind one pointer",
            responses=documented(404))  # fmt: skip
def status(pointer_id: PointerId, actor: ActorDep, hub: HubDep) -> StatusOut:
    s = hub.search.status(actor, pointer_id)
    return StatusOut(pointer_id=s.pointer_id, jurisdiction=s.jurisdiction,
                     card_type=s.card_type, real_id=s.real_id,
                     status=s.status, issue_date=s.issue_date,
                     expiry_date=s.expiry_date)  # fmt: skip
