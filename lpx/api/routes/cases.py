"""Duplicate cases between states of record: the queue, one case with its history, and its
transitions (same person, different people, under investigation, closed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.domain.cases import CaseStatus
from lpx.services.cases import Case

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=documented(401, 403, 422))
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
CaseId = Annotated[str, Path(pattern=UUID_PATTERN, description="The case id (a UUID)")]


class CaseEventOut(BaseModel):
    from_status: CaseStatus | None
    to_status: CaseStatus
    jurisdiction: str
    user_id: str
    at: datetime


class CaseOut(BaseModel):
    case_id: str
    jurisdiction_a: str
    record_id_a: str
    pointer_a: str
    jurisdiction_b: str
    record_id_b: str
    pointer_b: str
    weight: float
    match_class: str
    evidence: dict[str, str] = Field(description="Comparison level each field reached")
    real_id_conflict: bool = Field(description="Both cards are active REAL ID cards")
    status: CaseStatus
    overdue: bool
    opened_at: datetime
    updated_at: datetime
    history: list[CaseEventOut] = []


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(
        description="Pass as ?cursor= (same filters) for the next page; null at the end")


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: CaseStatus = Field(description="under_investigation, same_person, "
                                           "different_people or closed")


def case_out(c: Case) -> CaseOut:
    import json

    r = c.row
    evidence: dict[str, Any] = json.loads(r.evidence)
    return CaseOut(
        case_id=r.case_id, jurisdiction_a=r.jurisdiction_a, record_id_a=r.record_id_a,
        pointer_a=r.pointer_a, jurisdiction_b=r.jurisdiction_b, record_id_b=r.record_id_b,
        pointer_b=r.pointer_b, weight=r.weight, match_class=r.match_class,
        evidence={str(k): str(v) for k, v in evidence.items()},
        real_id_conflict=r.real_id_conflict, status=CaseStatus(r.status), overdue=c.overdue,
        opened_at=r.opened_at, updated_at=r.updated_at,
        history=[CaseEventOut(from_status=e.from_status, to_status=e.to_status,
                              jurisdiction=e.jurisdiction, user_id=e.user_id, at=e.at)
                 for e in c.history],
    )  # fmt: skip


@router.get("", response_model=CasePage, summary="Own state's cases, REAL ID conflicts first")
def list_cases(
    actor: ActorDep,
    hub: HubDep,
    status: Annotated[list[CaseStatus] | None, Query(description="Default: the active ones")]
    = None,
    older_than_days: Annotated[int | None, Query(ge=0, le=3650)] = None,
    overdue: Annotated[bool, Query(description="Only cases past the configured age")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200,
                                        description="next_cursor of the previous page")] = None,
) -> CasePage:
    age = timedelta(days=older_than_days) if older_than_days is not None else None
    page = hub.workflows.cases.list_own(actor, status, age, overdue, limit, cursor)
    return CasePage(items=[case_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get("/{case_id}", response_model=CaseOut, summary="One case with its history",
            responses=documented(404))  # fmt: skip
def get_case(case_id: CaseId, actor: ActorDep, hub: HubDep) -> CaseOut:
    return case_out(hub.workflows.cases.get(actor, case_id))


@router.post("/{case_id}/transitions", response_model=CaseOut, summary="Move a case on",
             responses={**documented(404), 409: {"description": "Not allowed from its status"}})
def transition(case_id: CaseId, body: TransitionIn, actor: ActorDep, hub: HubDep) -> CaseOut:
    return case_out(hub.workflows.cases.transition(actor, case_id, body.status))
