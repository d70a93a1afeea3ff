"""Sign-in with the jurisdiction system's API key and the person's own id; sign-out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from lpx.services.errors import Unauthenticated
from lpx.web.access import navigation
from lpx.web.routing import (
    SIGN_IN,
    ActorDep,
    ConsoleRoute,
    csrf_token,
    hub_of,
    optional_actor,
    render,
    store_of,
)

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a console path of this hub; anything else (another site, //host) goes home."""
    if target and target.startswith("/console/") and "//" not in target and "\\" not in target:
        return target
    return "/console"


@router.get("")
def home(request: Request, actor: ActorDep) -> Response:
    """The first page the user's roles allow (the transparency page for everyone)."""
    return RedirectResponse(navigation(actor)[0].href, status_code=303)


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    return render(request, "sign_in.html", optional_actor(request), next=_safe_next(next))


@router.post("/sign-in")
def sign_in(request: Request, api_key: Annotated[str, Form(max_length=200)],
            user_id: Annotated[str, Form(max_length=200)],
            next: Annotated[str, Form(max_length=500)] = "/console") -> Response:  # fmt: skip
    try:
        actor = hub_of(request).access.authenticate(api_key.strip(), user_id)
    except Unauthenticated as exc:
        message = exc.detail.replace("in the X-LPX-User header", "as your user id")
        return render(request, "sign_in.html", None, 401, next=_safe_next(next), error=message,
                      user_id=user_id)  # fmt: skip
    store = store_of(request)
    old = request.session.get("sid")
    store.close(old if isinstance(old, str) else None)
    request.session.clear()  # a new session id and CSRF token: no fixation across sign-in
    request.session["sid"] = store.open(api_key.strip(), actor.user_id)
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    sid = request.session.get("sid")
    store_of(request).close(sid if isinstance(sid, str) else None)
    request.session.clear()
    return RedirectResponse(f"{SIGN_IN}?next=/console", status_code=303)
