"""Every error leaves the API as RFC 9457 problem+json with a message a clerk can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from lpx.api.deps import authenticate_request, needs_actor
from lpx.api.schemas import Problem
from lpx.auth.policy import Forbidden
from lpx.domain.errors import ValidationFailed
from lpx.services.errors import BatchRejected, ServiceError

log = logging.getLogger("lpx.api")
MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's detail, see fastapi.routing
_WHY = {
    401: "No valid API key, or no X-LPX-User naming the person acting",
    403: "The credential's roles do not allow this action",
    404: "Nothing with that id (for your jurisdiction)",
    422: "The request is invalid; `errors` names each field and, in a batch, the item",
}
# Safeguards (docs/privacy.md): rate limits and enumeration throttles; outside-request rules.
_WHY.setdefault(409, "The request conflicts with the current state; `detail` says why")
_WHY[429] = "Too many inquiries, or searches paused after a harvesting pattern; see Retry-After"


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the problem+json errors a route can answer with."""
    return {
        status: {"description": _WHY[status],
                 "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}}
        for status in statuses
    }  # fmt: skip


def add_problem_schemas(openapi: dict[str, Any]) -> dict[str, Any]:
    """Put the Problem model (referenced by ``documented``) into the schema's components."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    components.update(schema.pop("$defs", {}))
    components["Problem"] = schema
    return openapi


def problem(status: int, title: str, detail: str, slug: str, request: Request,
            errors: list[dict[str, Any]] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:  # fmt: skip
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Pydantic locations become an item index (in batches) and a dotted field name."""
    out = []
    for err in exc.errors():
        loc = [p for p in err.get("loc", ()) if p != "body"]
        item: dict[str, Any] = {}
        if len(loc) >= 2 and loc[0] == "pointers" and isinstance(loc[1], int):
            item["index"] = loc[1]
            loc = loc[2:]
        item["field"] = ".".join(str(p) for p in loc) or "body"
        item["message"] = str(err.get("msg", "is invalid"))
        out.append(item)
    return out


def install(app: FastAPI) -> None:
    async def sign_in_first(request: Request) -> JSONResponse | None:
        """Only a signed-in caller learns why a request is invalid; FastAPI reads and checks
        the body before it authenticates, so do it here for routes that need an actor."""
        if not needs_actor(request):
            return None
        try:
            await run_in_threadpool(authenticate_request, request.app.state.hub, request)
        except ServiceError as exc:
            return await _service(request, exc)
        return None

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        if denied := await sign_in_first(request):
            return denied
        errors = _field_errors(exc)
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(422, "Invalid request", f"Check these fields: {fields}.", "validation",
                       request, errors)  # fmt: skip

    @app.exception_handler(ValidationFailed)
    async def _domain(request: Request, exc: ValidationFailed) -> JSONResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        return problem(422, "Invalid request", str(exc), "validation", request, errors)

    @app.exception_handler(BatchRejected)
    async def _batch(request: Request, exc: BatchRejected) -> JSONResponse:
        errors = [{"index": e.index, "field": e.field, "message": e.message} for e in exc.errors]
        return problem(422, exc.title, exc.detail, "batch-rejected", request, errors)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        slug = exc.title.lower().replace(" ", "-")
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429:
            headers = {"Retry-After": str(getattr(exc, "retry_after", 60))}
        return problem(exc.status, exc.title, exc.detail, slug, request, headers=headers)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Not allowed", exc.message, "forbidden", request)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:
            if denied := await sign_in_first(request):
                return denied
            # FastAPI's answer to a body it cannot decode (e.g. not UTF-8): as bad as bad JSON.
            return problem(422, "Invalid request", "The request body could not be read; send "
                           "JSON encoded as UTF-8.", "validation", request,
                           [{"field": "body", "message": "is not UTF-8 encoded JSON"}])  # fmt: skip
        detail = exc.detail if isinstance(exc.detail, str) else "The request was not understood."
        return problem(exc.status_code, detail, detail, f"http-{exc.status_code}", request,
                       headers=getattr(exc, "headers", None))  # fmt: skip

    @app.exception_handler(SQLAlchemyError)
    async def _storage(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # A statement or commit the database refused: the transaction rolled back whole (a
        # deferred audit entry that cannot be written fails the commit, lpx/storage/pipeline.py).
        log.error("storage %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem(503, "Storage unavailable", "The hub could not store this request, so "
                       "it was refused and nothing was changed. Try again later; the hub "
                       "operator has been alerted.", "storage-unavailable", request)  # fmt: skip

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The exception class only: messages may carry personal data.
        log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem(500, "Internal error", "The hub failed; the operator has been alerted.",
                       "internal", request)  # fmt: skip
