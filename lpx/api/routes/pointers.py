"""A state of record's own pointers: add, update, delete, read and list (own only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.api.schemas import BatchOut, PointerBatchIn, PointerIn, PointerOut, PointerPage
from lpx.services.codec import parse_identity
from lpx.storage.repositories import PointerRow

router = APIRouter(prefix="/v1/pointers", tags=["pointers"],
                   responses=documented(401, 403, 422))  # fmt: skip
RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$"
RecordId = Annotated[
    str, Path(pattern=RECORD_ID_PATTERN, description="1-32 letters, digits or hyphens")
]


def _out(row: PointerRow) -> PointerOut:
    identity, _ = parse_identity(row.identity)
    return PointerOut(
        pointer_id=row.pointer_id, jurisdiction=row.jurisdiction, record_id=row.record_id,
        card_type=row.card_type, real_id=row.real_id, status=row.status,
        first_name=identity.first_name, middle_name=identity.middle_name,
        last_name=identity.last_name, suffix=identity.suffix,
        aka_names=list(identity.aka_names), dob=identity.dob, sex=identity.sex,
        issue_date=row.issue_date, expiry_date=row.expiry_date, version=row.version,
    )  # fmt: skip


@router.post("/batch", response_model=BatchOut, summary="Add or update up to 1000 own pointers",
             response_model_exclude_defaults=True)  # fmt: skip
def upsert_batch(body: PointerBatchIn, actor: ActorDep, hub: HubDep) -> BatchOut:
    """All or nothing: one invalid pointer rejects the batch. Idempotent on record_id."""
    records = [p.to_domain(actor.jurisdiction) for p in body.pointers]
    result = hub.pointers.upsert_batch(actor, records)
    return BatchOut(added=result.added, updated=result.updated, unchanged=result.unchanged,
                    cases_opened=result.cases_opened)  # fmt: skip


@router.put("/records/{record_id}", response_model=PointerOut, summary="Add or update one",
            responses={201: {"model": PointerOut, "description": "Added"}})  # fmt: skip
def put_pointer(record_id: RecordId, body: PointerIn, actor: ActorDep, hub: HubDep,
                response: Response) -> PointerOut:  # fmt: skip
    if body.record_id != record_id:
        from lpx.domain.errors import FieldError, ValidationFailed

        raise ValidationFailed([FieldError("record_id", "must equal the record id in the URL")])
    result = hub.pointers.upsert_batch(actor, [body.to_domain(actor.jurisdiction)])
    response.status_code = 201 if result.added else 200
    return _out(hub.pointers.get_own(actor, record_id))


@router.get("/records/{record_id}", response_model=PointerOut, summary="Read one own pointer",
            responses=documented(404))  # fmt: skip
def get_pointer(record_id: RecordId, actor: ActorDep, hub: HubDep) -> PointerOut:
    return _out(hub.pointers.get_own(actor, record_id))


@router.delete("/records/{record_id}", status_code=204, summary="Delete one own pointer",
               responses=documented(404))  # fmt: skip
def delete_pointer(record_id: RecordId, actor: ActorDep, hub: HubDep) -> Response:
    hub.pointers.delete(actor, record_id)
    return Response(status_code=204)


@router.get("", response_model=PointerPage, summary="List own pointers (never another state's)")
def list_pointers(
    actor: ActorDep,
    hub: HubDep,
    after: Annotated[
        str, Query(pattern=r"^[A-Za-z0-9-]{0,32}$", description="Cursor from the last page")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> PointerPage:
    rows = hub.pointers.list_own(actor, after, limit)
    next_cursor = rows[-1].record_id if len(rows) == limit else None
    return PointerPage(items=[_out(r) for r in rows], next_cursor=next_cursor)
