"""The FastAPI application: versioned routes, OpenAPI 3.1, problem+json errors."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI

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
    withdrawal,
)
from lpx.api.routes import policy as policy_routes
from lpx.audit.sealer import BackgroundSealer
from lpx.bootstrap import Hub, build_hub
from lpx.services.enumeration import AlertService, DetectionPolicy, InquiryGuard
from lpx.services.limits import RateGuard, RatePolicy, build_limiter
from lpx.services.outside import OutsideService
from lpx.services.transparency import TransparencyService
from lpx.storage.uow import UnitOfWork

log = logging.getLogger("lpx.api")
DESCRIPTION = """\
LPX, the License Pointer Exchange. States of record keep pointers to the cards they issue;
any participating state searches for one person at a time, with a permissible purpose and an
attributed user. Authenticate with `Authorization: Bearer <API key>` and name the person
acting in `X-LPX-User`. Errors are RFC 9457 problem details.
"""


def create_app(hub: Hub | None = None) -> FastAPI:
    hub = hub or build_hub()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Tree heads are sealed in batches off the request path (and on demand by the route).
        sealer = BackgroundSealer(hub.audit)
        sealer.start()
        job = SafeguardJob(_app.state.safeguards)  # held notices out the day a gag order ends
        job.start()
        try:
            yield
        finally:
            job.stop()
            sealer.stop()

    app = FastAPI(title="LPX hub", version="1", description=DESCRIPTION, lifespan=lifespan,
                  openapi_url="/v1/openapi.json", docs_url="/docs", redoc_url=None)  # fmt: skip
    app.state.hub = hub
    install_safeguards(app, hub)  # rate limits, enumeration guard, outside requests, report
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


# --- Privacy safeguards (docs/privacy.md). The composition lives here until bootstrap.Hub
# carries these services; a hub-less app (route listing in tests) gets none.


@dataclass
class Safeguards:
    guard: InquiryGuard | None
    alerts: AlertService | None
    outside: OutsideService | None
    transparency: TransparencyService | None


def install_safeguards(app: FastAPI, hub: Hub) -> None:
    if not isinstance(hub, Hub):
        app.state.safeguards = Safeguards(None, None, None, None)
        return
    s, engine, log = hub.settings, hub.engine, hub.audit.log
    limiter = build_limiter(s.redis_url, engine)
    rates = RateGuard(limiter, RatePolicy(s.rate_user_per_minute, s.rate_user_per_hour,
                                          s.rate_jurisdiction_per_hour))  # fmt: skip
    policy = DetectionPolicy(timedelta(hours=s.enumeration_window_hours),
                             timedelta(hours=s.enumeration_cooldown_hours),
                             s.off_hours_utc)  # fmt: skip
    guard = InquiryGuard(engine, s.index_key(), rates, log, policy)
    hub.search.guard = guard
    outside = OutsideService(engine, partial(UnitOfWork, engine), hub.search, s.index_key(), log,
                             timedelta(days=s.outside_objection_days),
                             s.outside_max_individuals)  # fmt: skip
    app.state.safeguards = Safeguards(guard, AlertService(engine), outside,
                                      TransparencyService(engine))  # fmt: skip


class SafeguardJob:
    """Sends held notices the day their gag order ends and purges old inquiry features."""

    def __init__(self, safeguards: Safeguards, every_s: float = 60.0) -> None:
        self._s = safeguards
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lpx-safeguards", daemon=True)

    def start(self) -> None:
        if self._s.outside is not None:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                if self._s.outside is not None:
                    self._s.outside.release_due_notices()
            except Exception as exc:  # keep running; the next round retries the same rows
                log.error("safeguard job failed: %s", type(exc).__name__)


def guarded_routes_answer_429(schema: dict[str, Any]) -> None:
    """Searches and status inquiries pass the rate and enumeration guard: document its 429."""
    why = problems.documented(429)
    for path, method in (("/v1/inquiries/search", "post"),
                         ("/v1/pointers/{pointer_id}/status", "get")):  # fmt: skip
        op = schema.get("paths", {}).get(path, {}).get(method)
        if op is not None:
            op.setdefault("responses", {}).update({str(k): v for k, v in why.items()})
