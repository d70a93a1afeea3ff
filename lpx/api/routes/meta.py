"""Health and the list of participating jurisdictions."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.api.schemas import JurisdictionOut

router = APIRouter(tags=["hub"])


@router.get("/v1/health", summary="Liveness and database reachability (no sign-in)")
def health(hub: HubDep) -> dict[str, str]:
    with hub.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/v1/jurisdictions", response_model=list[JurisdictionOut],
            summary="The participating jurisdictions", responses=documented(401, 403))  # fmt: skip
def jurisdictions(actor: ActorDep, hub: HubDep) -> list[JurisdictionOut]:
    return [JurisdictionOut(code=c, name=n) for c, n in hub.access.jurisdictions(actor)]
