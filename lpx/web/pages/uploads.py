"""Onboarding: the progress of the state's file uploads (rows, rejects, cases opened), live.

The page polls itself with htmx while an upload is running; without script it is a page the
user reloads. Counts only: an upload's progress names no person.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from lpx.services.uploads import RUNNING, UploadProgress
from lpx.web.routing import ActorDep, ConsoleRoute, hub_of, render
from lpx.web.views import when

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class UploadView:
    file_name: str
    status: str
    running: bool
    rows_read: int
    rows_sent: int
    written: str
    rejected: int
    reasons: str
    withheld: int
    cases: int
    cases_by_state: str
    started: str
    updated: str


def upload(u: UploadProgress) -> UploadView:
    reasons = ", ".join(f"{field}: {n}" for field, n in sorted(u.rejected_reasons.items()))
    by_state = ", ".join(f"{j}: {n}" for j, n in sorted(u.cases_opened.items()))
    return UploadView(u.file_name or u.upload_id[:8], u.status, u.status == RUNNING,
                      u.rows_read, u.rows_sent,
                      f"{u.added} added, {u.updated} updated, {u.unchanged} unchanged",
                      u.rejected, reasons, u.withheld, sum(u.cases_opened.values()), by_state,
                      f"{when(u.started_at)} by {u.started_by}", when(u.updated_at))  # fmt: skip


@router.get("/uploads")
def uploads(request: Request, actor: ActorDep) -> Response:
    views = [upload(u) for u in hub_of(request).uploads.list_own(actor)]
    return render(request, "uploads.html", actor, uploads=views,
                  live=any(u.running for u in views))  # fmt: skip
