"""Enumeration alerts for the states whose records a flagged user's inquiries touched."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from lpx.api.deps import ActorDep
from lpx.api.problems import documented
from lpx.services.enumeration import AlertService

router = APIRouter(tags=["safeguards"], responses=documented(401, 403))


class AlertOut(BaseModel):
    alert_id: str
    jurisdiction: str  # the flagged user's state
    user_id: str
    patterns: list[str]
    created_at: datetime
    throttled_until: datetime
    states_touched: list[str]


def alert_service(request: Request) -> AlertService:
    service: AlertService = request.app.state.hub.safeguards.alerts
    return service


@router.get(
    "/v1/alerts",
    response_model=list[AlertOut],
    summary="Enumeration alerts touching your state's records (state administrators)",
)
def alerts(actor: ActorDep, request: Request) -> list[AlertOut]:
    return [AlertOut(alert_id=a.alert_id, jurisdiction=a.jurisdiction, user_id=a.user_id,
                     patterns=list(a.patterns), created_at=a.created_at,
                     throttled_until=a.throttled_until, states_touched=list(a.states))
            for a in alert_service(request).alerts(actor)]  # fmt: skip
