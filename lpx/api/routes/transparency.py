"""The public transparency report: JSON for machines, a plain HTML page for people."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from lpx.api.problems import documented
from lpx.services.transparency import TransparencyService, current_quarter

router = APIRouter(tags=["safeguards"], responses=documented(422))
Period = Annotated[
    str | None,
    Query(pattern=r"^(19[7-9]\d|2\d{3})Q[1-4]$",
          description="A quarter, e.g. 2026Q4 (default: this one)"),
]


def _service(request: Request) -> TransparencyService:
    service: TransparencyService = request.app.state.hub.safeguards.transparency
    return service


@router.get("/v1/transparency", summary="Counts for one quarter (no sign-in, no personal data)")
def transparency(request: Request, period: Period = None) -> dict[str, Any]:
    return _service(request).report(period or current_quarter()).to_dict()


@router.get("/transparency", response_class=HTMLResponse, include_in_schema=False)
def transparency_page(request: Request, period: Period = None) -> HTMLResponse:
    return HTMLResponse(_service(request).report(period or current_quarter()).html())
