"""A pointer that shares a single blocking key with an inquiry is fetched only while that
key's block is small: a crowded block's lone hits are namesakes, not matches, and opening
them is what made inquiries slow down as the hub grew (README, "Blocking at scale")."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pytest
from sqlalchemy import Engine

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.domain.blocking import hash_key
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.storage.repositories import PointerRepository

DOB = date(1980, 5, 6)
# Ten people born the same day whose given names start "Wi" but differ in root, with
# unrelated surnames: each shares the key A|WI|1980-05-06 with the others and nothing else.
FIRST = ("Wilbur", "Winston", "Wiley", "Wilfred", "Wirt", "Wiebke", "Wilhelmina", "Winona",
         "Wiremu", "Wistan")  # fmt: skip
LAST = ("Okafor", "Brandt", "Quispe", "Haddad", "Lindqvist", "Tanaka", "Mbeki", "Ferreira",
        "Novak", "Zielinski")  # fmt: skip
CLERK = Actor("CA", "clerk-7", frozenset({Role.CLERK, Role.RECORDS}), 0)


def _load(hub: Hub) -> None:
    hub.pointers.upsert_batch(CLERK, [
        PointerRecord("CA", f"W{i}", Identity(first_name=f, last_name=last, dob=DOB),
                      Card(CardType.DL, True, Status.ACTIVE))
        for i, (f, last) in enumerate(zip(FIRST, LAST, strict=True))])  # fmt: skip


def _ids(rows: list[tuple[str, str, str]], hub: Hub) -> set[str]:
    with hub.engine.connect() as conn:
        repo = PointerRepository(conn)
        return {r.record_id for pid, _, _ in rows if (r := repo.by_pointer_id(pid))}


def test_lone_hits_in_a_crowded_block_are_left_out(hub: Hub) -> None:
    _load(hub)
    key = hub.settings.index_key()
    crowded = hash_key(key, f"A|wi|{DOB.isoformat()}")
    own = hash_key(key, f"L|OKFR|{DOB.isoformat()}")  # Okafor, born that day: W0 alone
    with hub.engine.connect() as conn:
        repo = PointerRepository(conn)
        assert len(repo.candidates([crowded], 500, 10)) == 10, "the block holds all ten"
        assert repo.candidates([crowded], 500, 9) == []
        # A second shared key corroborates the lone hit; a small block needs none.
        assert _ids(repo.candidates([crowded, own], 500, 9), hub) == {"W0"}
        assert _ids(repo.candidates([own], 500, 1), hub) == {"W0"}
        assert repo.candidates([own], 500, 0) == []
        assert len(repo.candidates([crowded], 4, 10)) == 4, "the candidate limit still holds"


def test_the_search_sends_the_configured_limit(settings: Settings, clean_engine: Engine,
                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    sent: list[int] = []
    real = PointerRepository.candidates_ahead

    def spy(self: PointerRepository, keys: Sequence[int], limit: int, lone: int
            ) -> Callable[[], list[tuple[str, str, str]]]:  # fmt: skip
        sent.append(lone)
        return real(self, keys, limit, lone)

    monkeypatch.setattr(PointerRepository, "candidates_ahead", spy)
    hub = build_hub(settings.model_copy(update={"lone_key_block_limit": 3}), clean_engine)
    hub.access.add_jurisdiction("CA", "California")
    _load(hub)
    inquiry = SearchInquiry(Identity(first_name="Wilbur", last_name="Okafor", dob=DOB),
                            Purpose.LICENSE_ISSUANCE)  # fmt: skip
    [shown] = hub.search.search(CLERK, inquiry).candidates
    assert shown.match_class == "match", "many shared keys: found in any block"
    assert sent == [3]
