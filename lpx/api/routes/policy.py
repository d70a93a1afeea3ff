"""A state's upload policy: which of its cards, and which optional fields, reach the hub."""

from __future__ import annotations

from fastapi import APIRouter

from lpx.api.deps import ActorDep, HubDep
from lpx.api.problems import documented
from lpx.api.schemas import Strict
from lpx.domain.policy import ALL_CARD_TYPES, ALL_FIELDS, ALL_STATUSES, OptionalField, UploadPolicy
from lpx.domain.records import CardType, Status

router = APIRouter(prefix="/v1/policy", tags=["policy"], responses=documented(401, 403, 422))


class PolicyIn(Strict):
    """Omitted lists keep the default: every card type, every status, every optional field."""

    card_types: list[CardType] = sorted(ALL_CARD_TYPES)
    real_id_only: bool = False
    statuses: list[Status] = sorted(ALL_STATUSES)
    fields: list[OptionalField] = sorted(ALL_FIELDS)

    def to_domain(self) -> UploadPolicy:
        return UploadPolicy(frozenset(self.card_types), self.real_id_only,
                            frozenset(self.statuses), frozenset(self.fields))  # fmt: skip


class PolicyOut(PolicyIn):
    jurisdiction: str

    @classmethod
    def of(cls, jurisdiction: str, policy: UploadPolicy) -> PolicyOut:
        return cls(jurisdiction=jurisdiction, **policy.to_dict())


@router.get("", response_model=PolicyOut, summary="Your state's upload policy")
def get_policy(actor: ActorDep, hub: HubDep) -> PolicyOut:
    """What your loader must apply; the hub refuses records outside it."""
    return PolicyOut.of(actor.jurisdiction, hub.policies.get(actor))


@router.put("", response_model=PolicyOut, summary="Declare your state's upload policy")
def put_policy(body: PolicyIn, actor: ActorDep, hub: HubDep) -> PolicyOut:
    """Applies to later uploads; pointers already stored are not changed by it."""
    return PolicyOut.of(actor.jurisdiction, hub.policies.put(actor, body.to_domain()))
