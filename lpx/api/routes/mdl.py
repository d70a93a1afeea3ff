"""Mobile licence publication: the trust list and status lists (public), and the two calls a
state makes (register its IACA root; vouch for a credential batch before issuing it)."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import MEDIA_TYPE, PROBLEM_REF, documented
from lpx.services.mdl_hub import KEY_FILE, MAX_BATCH, STATUS_LIST_SIZE, MdlHubService
from lpx.storage.uow import UnitOfWork

CBOR = "application/cbor"
PEM = "application/x-pem-file"
# Relying parties refetch on a timer; a short shared cache keeps the lists fresh enough.
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}
SIGNED_CBOR = {"content": {CBOR: {}}, "description": "COSE_Sign1 over CBOR"}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The card is not active, the state's IACA is not registered, "
        "or a status index is already in use",
        "content": {MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}

router = APIRouter(tags=["mobile licence"])


def get_mdl(hub: HubDep) -> MdlHubService:
    return MdlHubService(partial(UnitOfWork, hub.engine), hub.settings.data_dir / KEY_FILE,
                         hub.audit.log)  # fmt: skip


MdlDep = Annotated[MdlHubService, Depends(get_mdl)]


def status_list_uri(request: Request, state: str) -> str:
    """A list's ``uri`` is where it is served; issuers put the same URI into each MSO."""
    return f"{str(request.base_url).rstrip('/')}/v1/status-lists/{state}"


class IacaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate: str = Field(max_length=16_000, description="The state's IACA root, PEM")


class IacaOut(BaseModel):
    state: str
    subject: str
    not_after: dt.datetime
    sha256: str


class CredentialBatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")
    status_indices: list[Annotated[int, Field(ge=0, lt=STATUS_LIST_SIZE)]] = Field(
        min_length=1, max_length=MAX_BATCH,
        description="One fresh, uniformly random index per credential in the batch")  # fmt: skip


class CredentialBatchOut(BaseModel):
    pointer_id: str
    state: str
    registered: int
    status_list_uri: str
    list_size: int


@router.get("/v1/trust-list", response_class=Response, summary="Signed trust list (no sign-in)",
            responses={200: SIGNED_CBOR})  # fmt: skip
def trust_list(mdl: MdlDep) -> Response:
    """The participating states' IACA roots, signed with the hub's trust-list key."""
    return Response(mdl.trust_list(), media_type=CBOR, headers=PUBLIC_CACHE)


@router.get("/v1/trust-list/key", response_class=Response,
            summary="The hub's trust-list public key (no sign-in)",
            responses={200: {"content": {PEM: {}}, "description": "SPKI PEM"}})  # fmt: skip
def trust_list_key(mdl: MdlDep) -> Response:
    """Pin this out of band (compare fingerprints with the hub operator) before trusting it."""
    return Response(mdl.public_key_pem(), media_type=PEM, headers=PUBLIC_CACHE)


@router.get("/v1/status-lists/{state}", response_class=Response,
            summary="A state's signed status list (no sign-in)",
            responses={200: SIGNED_CBOR, **documented(404, 422)})  # fmt: skip
def status_list(
    state: Annotated[str, Path(pattern=r"^[A-Z]{2}$", description="Two-letter state code")],
    mdl: MdlDep,
    request: Request,
) -> Response:
    """Whole lists only: a download says nothing about any one credential."""
    body = mdl.status_list(state, status_list_uri(request, state))
    return Response(body, media_type=CBOR, headers=PUBLIC_CACHE)


@router.put("/v1/mdl/iaca", response_model=IacaOut, summary="Register the own state's IACA root",
            responses=documented(401, 403, 422))  # fmt: skip
def put_iaca(body: IacaIn, actor: ActorDep, mdl: MdlDep) -> IacaOut:
    info = mdl.register_iaca(actor, body.certificate)
    return IacaOut(state=info.state, subject=info.subject, not_after=info.not_after,
                   sha256=info.sha256)  # fmt: skip


@router.post("/v1/mdl/credentials", response_model=CredentialBatchOut, status_code=201,
             summary="Vouch for a credential batch on an own active pointer",
             responses={**documented(401, 403, 404, 422), **CONFLICT})  # fmt: skip
def post_credentials(body: CredentialBatchIn, actor: ActorDep, mdl: MdlDep,
                     request: Request) -> CredentialBatchOut:  # fmt: skip
    """The state's issuer calls this, then signs the batch itself with its own keys."""
    result = mdl.register_credentials(actor, body.record_id, body.status_indices)
    return CredentialBatchOut(
        pointer_id=result.pointer_id, state=result.state, registered=result.registered,
        status_list_uri=status_list_uri(request, result.state), list_size=result.list_size,
    )  # fmt: skip
