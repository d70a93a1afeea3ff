"""The FastAPI application: versioned routes, OpenAPI 3.1, problem+json errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from lpx import web
from lpx.api import problems
from lpx.api.routes import (
    age_demo,
    alerts,
    audit,
    cases,
    inquiries,
    mdl,
    meta,
    notifications,
    outside,
    pointers,
    transfers,
    transparency,
    uploads,
    withdrawal,
)
from lpx.api.routes import policy as policy_routes
from lpx.audit.sealer import BackgroundSealer
from lpx.bootstrap import Hub, build_hub, tune_gc
from lpx.services.notifications import WebhookWorker
from lpx.services.safeguards import SafeguardJob

DESCRIPTION = """\
LPX, the License Pointer Exchange. States of record keep pointers to the cards they issue;
any participating state searches for one person at a time, with a permissible purpose and an
attributed user. Authenticate with `Authorization: Bearer <API key>` and name the person
acting in `X-LPX-User`. Errors are RFC 9457 problem details.
"""


def create_app(hub: Hub | None = None) -> FastAPI:
    """The app over ``hub``; without one (``uvicorn --factory``, ``lpx serve``, the demo),
    over a hub built from the environment in a process that serves it: then tuned as one."""
    if hub is None:
        hub = build_hub()
        tune_gc()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Tree heads are sealed in batches off the request path (and on demand by the route).
        sealer = BackgroundSealer(hub.audit)
        sealer.start()
        job = SafeguardJob(hub.safeguards)  # held notices out the day a gag order ends
        job.start()
        # Signed webhook deliveries (LPX_WEBHOOKS=1; lpx serve turns it on).
        webhooks = (WebhookWorker(hub.workflows.notifications, hub.settings.webhook_interval)
                    if hub.settings.webhooks else None)  # fmt: skip
        if webhooks is not None:
            webhooks.start()
        try:
            yield
        finally:
            if webhooks is not None:
                webhooks.stop()
            job.stop()
            sealer.stop()

    app = FastAPI(title="LPX hub", version="1", description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/v1/openapi.json", docs_url="/docs", redoc_url=None)  # fmt: skip
    app.state.hub = hub
    problems.install(app)
    app.include_router(meta.router)
    app.include_router(pointers.router)
    app.include_router(inquiries.router)
    app.include_router(audit.router)
    app.include_router(cases.router)
    app.include_router(transfers.router)
    app.include_router(notifications.router)
    app.include_router(withdrawal.router)
    app.include_router(policy_routes.router)  # upload policy (docs/privacy.md)
    app.include_router(mdl.router)
    app.include_router(age_demo.router)
    app.include_router(alerts.router)
    app.include_router(outside.router)
    app.include_router(transparency.router)
    web.install(app)  # the web console (lpx/web): pages, static files, session cookie
    app.include_router(uploads.router)  # resumable state-file loads (lpx load)
    _document_problems(app)
    return app


def _document_problems(app: FastAPI) -> None:
    """Routes reference the Problem schema for their errors; put it into the components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.add_problem_schemas(generate())
            guarded_routes_answer_429(app.openapi_schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def guarded_routes_answer_429(schema: dict[str, Any]) -> None:
    """Searches (a carry is one) and status inquiries pass the rate and enumeration guard:
    document its 429."""
    why = problems.documented(429)
    for path, method in (("/v1/inquiries/search", "post"), ("/v1/inquiries/carry", "post"),
                         ("/v1/pointers/{pointer_id}/status", "get")):  # fmt: skip
        op = schema.get("paths", {}).get(path, {}).get(method)
        if op is not None:
            op.setdefault("responses", {}).update({str(k): v for k, v in why.items()})
