"""The clerk at the counter: search for one person, check a card's status, start a transfer.

SSN-5 digits never reach the hub: the form field has no name, and the state-side tokenizer
(configured per state) turns them into tokens in the browser before the form is sent. The
hub accepts only token shapes, as the API does.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import pydantic
from fastapi import APIRouter, Form, Path, Request, Response

from lpx.api.routes.transfers import TransferIn
from lpx.api.schemas import SearchIn
from lpx.auth.policy import Actor
from lpx.domain.errors import FieldError, ValidationFailed
from lpx.domain.records import MASKED_TOKEN_COUNT, CardType, Sex
from lpx.services.transfers import TransferRequest, card
from lpx.web.access import may_transfer, require_search
from lpx.web.routing import ActorDep, ConsoleRoute, hub_of, render
from lpx.web.views import PURPOSES, candidate, when

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
Text = Annotated[str, Form(max_length=64)]


def _form_context(request: Request, actor: Actor) -> dict[str, Any]:
    tokenizer = hub_of(request).settings.console_tokenizer_urls.get(actor.jurisdiction)
    return {"purposes": PURPOSES, "sexes": [s.value for s in Sex], "tokenizer": tokenizer,
            "card_types": [c.value for c in CardType],
            "may_transfer": may_transfer(actor)}  # fmt: skip


def _invalid(exc: pydantic.ValidationError) -> ValidationFailed:
    return ValidationFailed([FieldError(".".join(str(p) for p in e["loc"]) or "form", e["msg"])
                             for e in exc.errors()])  # fmt: skip


@router.get("/search")
def search_form(request: Request, actor: ActorDep) -> Response:
    require_search(actor)
    return render(request, "search.html", actor, form={}, results=None,
                  **_form_context(request, actor))  # fmt: skip


@router.post("/search")
def search(request: Request, actor: ActorDep, last_name: Text, first_name: Text,
           dob: Annotated[date, Form()],
           purpose: Annotated[str, Form(max_length=40)], middle_name: Text = "",
           sex: Annotated[str, Form(max_length=1)] = "",
           ssn_full: Annotated[str, Form(max_length=32)] = "",
           ssn_masked: Annotated[list[str] | None, Form(max_length=MASKED_TOKEN_COUNT)] = None,
           ) -> Response:  # fmt: skip
    ssn = {"full": ssn_full, "masked": ssn_masked or []} if ssn_full else None
    try:
        body = SearchIn(first_name=first_name, last_name=last_name, middle_name=middle_name,
                        dob=dob, sex=sex or None, purpose=purpose, ssn=ssn)
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None
    result = hub_of(request).search.search(actor, body.to_domain())
    form = {"last_name": last_name, "first_name": first_name, "middle_name": middle_name,
            "dob": dob.isoformat(), "sex": sex, "purpose": purpose}  # fmt: skip
    results = [candidate(c, actor.jurisdiction) for c in result.candidates]
    return render(request, "search.html", actor, form=form, results=results,
                  inquiry_id=result.inquiry_id, **_form_context(request, actor))  # fmt: skip


@router.get("/status/{pointer_id}")
def status(request: Request, actor: ActorDep,
           pointer_id: Annotated[str, Path(pattern=UUID)]) -> Response:  # fmt: skip
    s = hub_of(request).search.status(actor, pointer_id)
    return render(request, "status.html", actor, card=s, issued=s.issue_date or "",
                  expires=s.expiry_date or "", other_state=s.jurisdiction != actor.jurisdiction,
                  **_form_context(request, actor))  # fmt: skip


@router.post("/transfers")
def start_transfer(request: Request, actor: ActorDep,
                   pointer_id: Annotated[str, Form(max_length=36)],
                   record_id: Annotated[str, Form(max_length=32)],
                   card_type: Annotated[str, Form(max_length=8)] = "DL",
                   real_id: Annotated[bool, Form()] = False) -> Response:  # fmt: skip
    try:
        body = TransferIn(pointer_id=pointer_id, record_id=record_id.strip(),
                          card_type=card_type, real_id=real_id)
    except pydantic.ValidationError as exc:
        raise _invalid(exc) from None
    req = TransferRequest(body.pointer_id, body.record_id,
                          card(body.card_type.value, body.real_id, body.status.value,
                               body.issue_date, body.expiry_date))  # fmt: skip
    t = hub_of(request).workflows.transfers.request(actor, req)
    return render(request, "transfer_started.html", actor, t=t.row, created=t.created,
                  requested=when(t.row.requested_at))  # fmt: skip
