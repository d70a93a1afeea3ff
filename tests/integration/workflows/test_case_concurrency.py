"""Two states writing the same person at the same moment still get their duplicate case.

Each write looks for candidates inside its own transaction, so without serializing case
opening two writers that both insert before either looks would each miss the other's
uncommitted pointer. The test holds both writers at a barrier after their pointers are in
and before they look, which is exactly that interleaving.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from helpers import pointer
from sqlalchemy import func, select

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.services.codec import IdentityCodec
from lpx.services.matching import Probe
from lpx.storage import workflow_tables as w
from lpx.storage.uow import UnitOfWork


@pytest.mark.postgres
def test_two_states_writing_one_person_at_once_open_one_case(
    hub: Hub, credentials: dict[str, str]
) -> None:
    if hub.engine.dialect.name != "postgresql":
        pytest.skip("SQLite's write lock keeps the second writer out until the first commits")
    opener = hub.pointers.cases
    assert opener is not None
    both_in = threading.Barrier(2, timeout=20)
    real_after_write = opener.after_write

    def after_write(uow: UnitOfWork, actor: Actor, probes: Sequence[Probe],
                    codec: IdentityCodec) -> dict[str, int]:  # fmt: skip
        both_in.wait()  # both states' pointers are written, neither is committed
        return real_after_write(uow, actor, probes, codec)

    opener.after_write = after_write  # type: ignore[method-assign]
    results: dict[str, dict[str, int]] = {}
    errors: list[BaseException] = []

    def write(state: str, record_id: str) -> None:
        actor = Actor(state, "clerk-1", frozenset({Role.RECORDS}), 0)
        record = PointerIn.model_validate(pointer(record_id)).to_domain(state)
        try:
            results[state] = hub.pointers.upsert_batch(actor, [record]).cases_opened
        except BaseException as exc:  # the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=write, args=args) for args in (("CA", "C1"),
                                                                      ("NY", "N1"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not errors, errors
    with hub.engine.connect() as conn:
        cases = conn.execute(select(func.count()).select_from(w.cases)).scalar_one()
    assert cases == 1
    # Whichever committed second found the first one's pointer and opened the case.
    assert sorted(results.values(), key=len) == [{}, {"CA": 1} if results["NY"] else {"NY": 1}]
