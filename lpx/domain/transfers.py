"""Change of state of record (a driver moves), as a state machine between the two SORs.

The new state takes the pointer at once (the person is never without, nor with two, active
pointers); the old state must then confirm that its card is cancelled, or dispute the move.
Pure rules only: statuses, allowed transitions, who may make them, when one is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from lpx.domain.errors import DomainError


class TransferStatus(StrEnum):
    PENDING = "pending_confirmation"  # moved; the old SOR has not yet confirmed cancellation
    CONFIRMED = "confirmed"  # final: the old SOR cancelled its card
    DISPUTED = "disputed"  # the old SOR objects; settled between the states, then confirmed


TRANSITIONS: dict[TransferStatus, frozenset[TransferStatus]] = {
    TransferStatus.PENDING: frozenset({TransferStatus.CONFIRMED, TransferStatus.DISPUTED}),
    TransferStatus.DISPUTED: frozenset({TransferStatus.CONFIRMED}),
    TransferStatus.CONFIRMED: frozenset(),
}
DEFAULT_CONFIRM_WITHIN = timedelta(days=14)


class TransferRefused(DomainError):
    """The rules forbid this transfer or this move of a transfer."""


@dataclass(frozen=True, slots=True)
class TransferView:
    status: TransferStatus
    from_jurisdiction: str
    to_jurisdiction: str
    requested_at: datetime


def check_request(current_sor: str, new_sor: str, pointer_status: str,
                  unsettled: bool = False) -> None:  # fmt: skip
    """A state takes over another state's pointer; never its own, never a dead one, and not
    while the pointer's last move still waits for the former SOR's answer (so racing
    requests from two states yield one move, not a chain)."""
    if unsettled:
        raise TransferRefused("The pointer's last transfer awaits the former SOR's answer.")
    if current_sor == new_sor:
        raise TransferRefused(f"The pointer is already {new_sor}'s; update it instead.")
    if pointer_status in ("cancelled", "revoked"):
        raise TransferRefused(f"The pointer's card is {pointer_status}; add a new pointer.")


def check_transition(t: TransferView, target: TransferStatus, jurisdiction: str) -> None:
    """Only the old SOR answers a transfer: it confirms cancellation or disputes the move."""
    if jurisdiction != t.from_jurisdiction:
        raise TransferRefused(
            f"Only {t.from_jurisdiction}, the former state of record, may answer this transfer."
        )
    if target not in TRANSITIONS[t.status]:
        raise TransferRefused(f"A {t.status.value} transfer cannot become {target.value}.")


def is_overdue(t: TransferView, now: datetime,
               within: timedelta = DEFAULT_CONFIRM_WITHIN) -> bool:  # fmt: skip
    """Unconfirmed (pending or disputed) for longer than ``within``."""
    return t.status is not TransferStatus.CONFIRMED and now - t.requested_at > within
