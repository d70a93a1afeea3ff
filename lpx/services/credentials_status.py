"""Revocation on pointer change: a pointer's mDL credentials die with its card.

The hub holds, per state, which status-list indices a state registered for each pointer
(``mdl_status_indices``). When the pointer stops backing a valid card (cancelled,
surrendered, revoked, suspended, expired, deleted) or moves to another state of record, its
indices are marked revoked *in the same transaction* as the pointer change, so the next
status list the hub serves already carries the revocation; no round trip to the state.

Revocation is final: a reinstated card gets a fresh credential batch (credentials live a
week), so a bit never flips back and an old presentation never becomes valid again.
"""

from __future__ import annotations

from sqlalchemy import Connection

from lpx.domain.records import Status
from lpx.storage.mdl_tables import MdlRepository

# The one pointer status that keeps credentials alive.
LIVE = Status.ACTIVE.value


class CredentialStatusService:
    """Flips status bits for pointer changes; called by the services that change pointers."""

    @staticmethod
    def on_pointer_changed(
        conn: Connection, pointer_id: str, status: str | None, transferred: bool = False
    ) -> int:
        """Revoke the pointer's registered credentials unless it is still active and home.

        ``status`` is the pointer's new status, or None when the pointer was deleted.
        ``transferred`` is True when the state of record changed (CSOR): the old state's
        credentials are revoked; the new state registers its own batch afterwards. Returns
        how many indices were newly revoked (0 for the common no-op update).
        """
        if status == LIVE and not transferred:
            return 0
        return MdlRepository(conn).revoke_pointer(pointer_id)
