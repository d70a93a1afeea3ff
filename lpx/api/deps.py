"""Request dependencies: the hub's services and the authenticated actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from lpx.auth.policy import Actor
from lpx.bootstrap import Hub

bearer = HTTPBearer(auto_error=False, description="The jurisdiction system's API key")


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


HubDep = Annotated[Hub, Depends(get_hub)]


def get_actor(
    hub: HubDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_lpx_user: Annotated[str | None, Header(description="The end user acting (clerk id)")] = None,
) -> Actor:
    return hub.access.authenticate(credentials.credentials if credentials else None, x_lpx_user)


ActorDep = Annotated[Actor, Depends(get_actor)]


def needs_actor(request: Request) -> bool:
    """Whether the route that matched ``request`` depends on an authenticated actor."""
    pending = [getattr(request.scope.get("route"), "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is None:
            continue
        if dependant.call is get_actor:
            return True
        pending.extend(dependant.dependencies)
    return False


def authenticate_request(hub: Hub, request: Request) -> Actor:
    """``get_actor`` for error paths that FastAPI reaches before solving dependencies."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    api_key = key.strip() if scheme.lower() == "bearer" else None
    return hub.access.authenticate(api_key, request.headers.get("x-lpx-user"))
