"""Outside requests: legal registers and decides; notified states read and object.

Nothing personal leaves through these routes except to the state that holds the records:
legal gets status and, after a recorded release, pointer ids and their states.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import Field, StringConstraints

from lpx.api.deps import ActorDep
from lpx.api.problems import documented
from lpx.api.schemas import Strict
from lpx.domain.outside import Individual, Kind, Outcome
from lpx.services.outside import NoticeView, OutsideService, RequestView

router = APIRouter(tags=["safeguards"], responses=documented(401, 403, 422))
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
RequestId = Annotated[str, StringConstraints(pattern=UUID)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class IndividualIn(Strict):
    first_name: Name
    last_name: Name
    dob: date
    pointer_ids: Annotated[list[RequestId], Field(default_factory=list, max_length=10)]


class OutsideIn(Strict):
    requester: Short
    legal_basis: Text
    kind: Kind
    individuals: Annotated[list[IndividualIn], Field(min_length=1, max_length=100)]
    gag_until: date | None = None


class DecisionIn(Strict):
    request_id: RequestId
    outcome: Annotated[Outcome, Field(description="released or denied")]
    basis: Text
    overrule: Annotated[list[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]],
                        Field(default_factory=list, max_length=60)]  # fmt: skip


class ObjectionIn(Strict):
    request_id: RequestId
    reason: Text


class ReleasedOut(Strict):
    pointer_id: str
    jurisdiction: str


class RequestOut(Strict):
    request_id: str
    requester: str
    kind: str
    individuals: int
    gag_until: date | None
    registered_at: datetime
    outcome: str
    decided_by: str | None
    decided_at: datetime | None
    decision_basis: str | None
    released: list[ReleasedOut] | None = None


class NoticeOut(Strict):
    request_id: str
    requester: str
    kind: str
    legal_basis: str
    sent_at: datetime | None
    objection_deadline: datetime | None
    objection: str | None
    outcome: str
    pointer_ids: list[str]


def _service(request: Request) -> OutsideService:
    service: OutsideService = request.app.state.hub.safeguards.outside
    return service


def _out(v: RequestView) -> RequestOut:
    r = v.request
    released = None if v.released is None else [
        ReleasedOut(pointer_id=p, jurisdiction=j) for p, j in v.released]  # fmt: skip
    return RequestOut(request_id=r.request_id, requester=r.requester, kind=r.kind,
                      individuals=r.individuals, gag_until=r.gag_until,
                      registered_at=r.registered_at, outcome=r.outcome,
                      decided_by=r.decided_by, decided_at=r.decided_at,
                      decision_basis=r.decision_basis, released=released)  # fmt: skip


def _notice(v: NoticeView) -> NoticeOut:
    r, n = v.request, v.notice
    return NoticeOut(request_id=r.request_id, requester=r.requester, kind=r.kind,
                     legal_basis=r.legal_basis, sent_at=n.sent_at,
                     objection_deadline=n.objection_deadline, objection=n.objection,
                     outcome=r.outcome, pointer_ids=v.pointer_ids)  # fmt: skip


@router.post(
    "/v1/outside-requests",
    response_model=RequestOut,
    status_code=201,
    summary="Register a subpoena, court order or agency request naming individuals",
)
def register(body: OutsideIn, actor: ActorDep, request: Request) -> RequestOut:
    people = [Individual(i.first_name, i.last_name, i.dob, tuple(i.pointer_ids))
              for i in body.individuals]  # fmt: skip
    row = _service(request).register(actor, body.requester, body.legal_basis, body.kind,
                                     people, body.gag_until)  # fmt: skip
    return _out(RequestView(row, None))


@router.get(
    "/v1/outside-requests",
    response_model=list[RequestOut],
    summary="Outside requests and their status (legal)",
)
def requests(actor: ActorDep, request: Request) -> list[RequestOut]:
    return [_out(v) for v in _service(request).requests(actor)]


@router.post(
    "/v1/outside-decisions",
    response_model=RequestOut,
    responses=documented(404, 409),
    summary="Record release or denial; release only after every objection window",
)
def decide(body: DecisionIn, actor: ActorDep, request: Request) -> RequestOut:
    view = _service(request).decide(actor, body.request_id, body.outcome, body.basis,
                                    body.overrule)  # fmt: skip
    return _out(view)


@router.get(
    "/v1/outside-notices",
    response_model=list[NoticeOut],
    summary="Outside requests touching your state's records (state administrators)",
)
def notices(actor: ActorDep, request: Request) -> list[NoticeOut]:
    return [_notice(v) for v in _service(request).notices(actor)]


@router.post(
    "/v1/outside-objections",
    response_model=NoticeOut,
    responses=documented(404, 409),
    summary="Object, for your state, to releasing records in an outside request",
)
def object_(body: ObjectionIn, actor: ActorDep, request: Request) -> NoticeOut:
    return _notice(_service(request).object(actor, body.request_id, body.reason))
