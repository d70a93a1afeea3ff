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
