"""Upload sessions of a state's file: start or resume, send numbered batches, follow progress.

``lpx load`` uses these so a load killed part-way resumes from its last committed batch; a
console shows the same progress. Own state only; counts, never records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field, StringConstraints

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.api.schemas import BatchOut, PointerBatchIn, Strict
from lpx.services.uploads import BatchStats, UploadProgress

router = APIRouter(prefix="/v1/uploads", tags=["uploads"],
                   responses=documented(401, 403, 422))  # fmt: skip
UploadId = Annotated[str, Path(pattern=r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$",
                               description="The upload id POST /v1/uploads returned")]  # fmt: skip
Count = Annotated[int, Field(ge=0, le=10**12)]
Reason = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]


class UploadStartIn(Strict):
    fingerprint: Annotated[str, StringConstraints(pattern=r"^sha256:[0-9a-f]{64}:[0-9]{1,15}$")] \
        = Field(description="sha256:<hex digest of the file>:<size in bytes>")  # fmt: skip
    file_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._ -]{0,200}$")] = ""


class StatsIn(Strict):
    seq: Annotated[int, Field(ge=0, le=2**62,
                              description="File rows read through the end of this batch")]
    rows_read: Annotated[int, Field(ge=0, le=10**12,
                                    description="File rows since the last committed batch")]
    rejected: Count = 0
    rejected_reasons: Annotated[dict[Reason, Annotated[int, Field(ge=1, le=10**12)]],
                                Field(max_length=50,
                                      description="Errors per field name")] \
        = Field(default_factory=dict)  # fmt: skip
    withheld: Count = 0
    held_back: Count = 0

    def to_stats(self) -> BatchStats:
        return BatchStats(self.seq, self.rows_read, self.rejected, dict(self.rejected_reasons),
                          self.withheld, self.held_back)  # fmt: skip


class UploadBatchIn(PointerBatchIn, StatsIn):
    """A batch of pointers with the state's counts for the rows it covers."""


class UploadBatchOut(BatchOut):
    replayed: bool = Field(False, description="This batch was committed before; not rewritten")


class UploadOut(BaseModel):
    upload_id: str
    jurisdiction: str
    fingerprint: str
    file_name: str
    status: str = Field(description="running, complete or aborted")
    last_seq: int = Field(description="File rows covered by committed batches")
    batches: int
    rows_read: int
    rows_sent: int
    added: int
    updated: int
    unchanged: int
    rejected: int
    rejected_reasons: dict[str, int]
    withheld: int
    held_back: int
    cases_opened: dict[str, int] = Field(description="Duplicate cases, per counterpart state")
    started_by: str
    started_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: UploadProgress) -> UploadOut:
        return cls(**{name: getattr(row, name) for name in cls.model_fields})


class UploadPage(BaseModel):
    items: list[UploadOut]


@router.post("", response_model=UploadOut, summary="Start an upload, or resume the same file's",
             responses={201: {"model": UploadOut, "description": "Started"}})  # fmt: skip
def start_upload(body: UploadStartIn, actor: ActorDep, hub: HubDep,
                 response: Response) -> UploadOut:  # fmt: skip
    row, created = hub.uploads.start(actor, body.fingerprint, body.file_name)
    response.status_code = 201 if created else 200
    return UploadOut.of(row)


@router.get("", response_model=UploadPage, summary="Own state's uploads, newest first")
def list_uploads(actor: ActorDep, hub: HubDep) -> UploadPage:
    return UploadPage(items=[UploadOut.of(r) for r in hub.uploads.list_own(actor)])


@router.get("/{upload_id}", response_model=UploadOut, summary="One upload's progress",
            responses=documented(404))  # fmt: skip
def get_upload(upload_id: UploadId, actor: ActorDep, hub: HubDep) -> UploadOut:
    return UploadOut.of(hub.uploads.progress(actor, upload_id))


@router.post("/{upload_id}/batches", response_model=UploadBatchOut,
             response_model_exclude_defaults=True, responses=documented(404, 409),
             summary="Write a numbered batch; a replayed number is acknowledged, not rewritten")
def upload_batch(upload_id: UploadId, body: UploadBatchIn, actor: ActorDep,
                 hub: HubDep) -> UploadBatchOut:  # fmt: skip
    records = [p.to_domain(actor.jurisdiction) for p in body.pointers]
    result = hub.uploads.write_batch(actor, upload_id, body.to_stats(), records)
    return UploadBatchOut(added=result.added, updated=result.updated, unchanged=result.unchanged,
                          cases_opened=result.cases_opened, replayed=result.replayed)  # fmt: skip


@router.post("/{upload_id}/complete", response_model=UploadOut, responses=documented(404, 409),
             summary="Close the upload with the counts of the rows after its last batch")
def complete_upload(upload_id: UploadId, body: StatsIn, actor: ActorDep,
                    hub: HubDep) -> UploadOut:  # fmt: skip
    return UploadOut.of(hub.uploads.complete(actor, upload_id, body.to_stats()))


@router.post("/{upload_id}/abort", response_model=UploadOut, responses=documented(404, 409),
             summary="Mark a stopped load; starting the same file again resumes it")
def abort_upload(upload_id: UploadId, actor: ActorDep, hub: HubDep) -> UploadOut:
    return UploadOut.of(hub.uploads.abort(actor, upload_id))
