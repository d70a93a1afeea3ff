"""Records staff: the duplicate-case queue, one case side by side, its resolution, and the
transfers waiting for the state's answer.

Side by side shows the state's own record in full (read through the pointer service, which
audits the read) and, for the other state's record, what the hub may show: its state,
record id and pointer id, with the per-field evidence between the two. The other state's
identity fields are that state's to show.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from lpx.domain.cases import CaseStatus
from lpx.domain.transfers import TransferStatus
from lpx.web.access import may_check_status, may_read_own_records, may_resolve_cases, may_transfer
from lpx.web.routing import ActorDep, ConsoleRoute, hub_of, render
from lpx.web.views import RecordView, case, own_record, transfer, when

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
CaseId = Annotated[str, Path(pattern=UUID)]
PAGE = 50
OPEN_TRANSFERS = [TransferStatus.PENDING, TransferStatus.DISPUTED]


@router.get("/cases")
def case_queue(request: Request, actor: ActorDep, overdue: bool = False,
               cursor: Annotated[str | None, Query(max_length=200)] = None,
               ) -> Response:  # fmt: skip
    """Active cases, REAL ID conflicts first, then oldest first (the service's order)."""
    page = hub_of(request).workflows.cases.list_own(actor, overdue_only=overdue, limit=PAGE,
                                                     cursor=cursor)  # fmt: skip
    keep = {"overdue": "true"} if overdue else {}
    more = urlencode(keep | {"cursor": page.next_cursor}) if page.next_cursor else None
    return render(request, "cases.html", actor, overdue_only=overdue, next_page=more,
                  cases=[case(c, actor.jurisdiction) for c in page.items])  # fmt: skip


@router.get("/cases/{case_id}")
def case_detail(request: Request, actor: ActorDep, case_id: CaseId) -> Response:
    hub = hub_of(request)
    c = hub.workflows.cases.get(actor, case_id)
    view = case(c, actor.jurisdiction)
    records: dict[str, RecordView] = {}
    if may_read_own_records(actor):
        for side in (view.ours, view.theirs):
            if side.own:
                records[side.record_id] = own_record(hub.pointers.get_own(actor, side.record_id))
    history = [(when(e.at), e.jurisdiction, e.user_id, (e.from_status or "—").replace("_", " "),
                e.to_status.replace("_", " ")) for e in c.history]  # fmt: skip
    return render(request, "case.html", actor, c=view, records=records, history=history,
                  may_resolve=may_resolve_cases(actor),
                  may_check_status=may_check_status(actor))  # fmt: skip


@router.post("/cases/{case_id}/transitions")
def resolve(request: Request, actor: ActorDep, case_id: CaseId,
            status: Annotated[CaseStatus, Form()]) -> Response:  # fmt: skip
    hub_of(request).workflows.cases.transition(actor, case_id, status)
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303)


@router.get("/transfers")
def transfers(request: Request, actor: ActorDep) -> Response:
    items = hub_of(request).workflows.transfers.list_own(actor, OPEN_TRANSFERS, limit=200).items
    views = [transfer(t, actor.jurisdiction) for t in items]
    return render(request, "transfers.html", actor,
                  to_answer=[t for t in views if t.ours_to_answer],
                  requested=[t for t in views if not t.ours_to_answer],
                  may_answer=may_transfer(actor))  # fmt: skip


@router.post("/transfers/{transfer_id}/answer")
def answer(request: Request, actor: ActorDep, transfer_id: Annotated[str, Path(pattern=UUID)],
           answer: Annotated[TransferStatus, Form()]) -> Response:  # fmt: skip
    hub_of(request).workflows.transfers.answer(actor, transfer_id, answer)
    return RedirectResponse("/console/transfers", status_code=303)
