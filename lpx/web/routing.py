"""What every console route shares: the signed-in actor, the CSRF check, rendering, and the
friendly error page. ``ConsoleRoute`` is the one place POSTs are checked and errors caught."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from lpx.auth.policy import Actor, Forbidden
from lpx.bootstrap import Hub
from lpx.domain.errors import ValidationFailed
from lpx.domain.records import MASKED_TOKEN_COUNT
from lpx.services.errors import ServiceError, Unauthenticated
from lpx.web.access import navigation
from lpx.web.sessions import SessionStore

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEMPLATES.env.globals["masked_token_count"] = MASKED_TOKEN_COUNT
SIGN_IN = "/console/sign-in"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No live console session: the page sends the user to the sign-in form."""


class CsrfRejected(ServiceError):
    status = 403
    title = "Form expired"

    def __init__(self) -> None:
        super().__init__("This form was not sent from your current console session (or it "
                         "expired). Reload the page and try again.")  # fmt: skip


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def store_of(request: Request) -> SessionStore:
    """The hub's sign-ins (in its database: nothing to keep per app or per process)."""
    hub = hub_of(request)
    return SessionStore(hub.engine, hub.settings.console_idle_minutes * 60.0)


def csrf_token(request: Request) -> str:
    """The session's synchronizer token, made on first use (before sign-in too)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str)
            and secrets.compare_digest(sent, expected)):  # fmt: skip
        raise CsrfRejected


def current_actor(request: Request) -> Actor:
    """The signed-in user, authenticated again on every request with the session's key."""
    store = store_of(request)
    sid = request.session.get("sid")
    session = store.get(sid if isinstance(sid, str) else None)
    if session is None:
        raise SignInRequired
    try:
        return hub_of(request).access.authenticate(session.api_key, session.user_id)
    except Unauthenticated:
        store.close(sid if isinstance(sid, str) else None)
        request.session.clear()
        raise SignInRequired from None


ActorDep = Annotated[Actor, Depends(current_actor)]


def optional_actor(request: Request) -> Actor | None:
    try:
        return current_actor(request)
    except SignInRequired:
        return None


def render(request: Request, template: str, actor: Actor | None, status: int = 200,
           headers: dict[str, str] | None = None, **context: Any) -> HTMLResponse:  # fmt: skip
    base = {"me": actor, "nav": navigation(actor), "csrf": csrf_token(request),
            "path": request.url.path}  # fmt: skip
    return TEMPLATES.TemplateResponse(request, template, base | context, status_code=status,
                                      headers=headers)  # fmt: skip


def _problem(exc: Exception) -> tuple[int, str, str, list[str]]:
    """Status, title, message and field reasons for an error a user's input can cause."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.title, exc.detail, []
    if isinstance(exc, Forbidden):
        return 403, "Not allowed", exc.message, []
    if isinstance(exc, ValidationFailed):
        return 422, "Please check the form", "Some fields need attention.", \
            [str(e) for e in exc.errors]  # fmt: skip
    if isinstance(exc, RequestValidationError):
        reasons = [f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'form'}: "
                   f"{e.get('msg', 'is invalid')}" for e in exc.errors()]  # fmt: skip
        return 422, "Please check the form", "Some fields need attention.", reasons
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else "The request was not understood."
    return exc.status_code, "Request not understood", detail, []


HANDLED = (ServiceError, Forbidden, ValidationFailed, RequestValidationError, HTTPException)


def error_page(request: Request, exc: Exception) -> HTMLResponse:
    status, title, message, reasons = _problem(exc)
    headers = {"Retry-After": str(exc.retry_after)} if hasattr(exc, "retry_after") else None
    return render(request, "error.html", optional_actor(request), status, headers,
                  title=title, message=message, reasons=reasons)  # fmt: skip


def sign_in_redirect(request: Request) -> Response:
    target = f"{SIGN_IN}?next={quote(request.url.path, safe='/')}"
    if request.headers.get("HX-Request"):  # htmx: reload the whole page at the sign-in form
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


class ConsoleRoute(APIRoute):
    """Checks the CSRF token of every POST and turns errors into the console's error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                if request.method == "POST":
                    await check_csrf(request)
                return await original(request)
            except SignInRequired:
                return sign_in_redirect(request)
            except HANDLED as exc:
                return await run_in_threadpool(error_page, request, exc)

        return handler
