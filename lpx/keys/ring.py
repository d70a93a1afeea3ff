"""A state's data keys: created on first use, wrapped at rest, cached unwrapped, destroyed.

The ring works on its own short transactions (not the caller's unit of work), so a key it
creates is committed before any row is sealed under it: a rolled-back upload can never
leave rows sealed under a key the database does not hold. Services therefore ask for the
key before they open their unit of work.

The cache of unwrapped keys is bounded (least recently used goes first) and entries expire
after ``ttl`` seconds, which is how a destruction or rotation made by another process (the
operator's CLI) reaches a running hub; one made through this ring takes effect at once.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from lpx.keys.envelope import KEY_BYTES, DataKey
from lpx.keys.provider import KeyDestroyed, KeyProvider
from lpx.storage.key_tables import DataKeyRepository, DataKeyRow


def wrap_context(jurisdiction: str, version: int) -> bytes:
    """Bound to each wrapped key, so it cannot be moved to another state or version."""
    return f"lpx:data-key:v1|{jurisdiction}|{version}".encode()


class DataKeyRing:
    def __init__(
        self,
        engine: Engine,
        provider: KeyProvider,
        cache_size: int = 256,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self.provider = provider
        self._cache_size = cache_size
        self._ttl = ttl
        self._clock = clock
        self._keys: OrderedDict[tuple[str, int], tuple[float, DataKey]] = OrderedDict()
        self._current: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    # -- reading ---------------------------------------------------------------------------

    def current(self, jurisdiction: str) -> DataKey:
        """The key new rows of ``jurisdiction`` are sealed under; made on first use."""
        now = self._clock()
        with self._lock:
            hit = self._current.get(jurisdiction)
        if hit is not None and now - hit[0] < self._ttl:
            return self.get(jurisdiction, hit[1])
        with self._engine.begin() as conn:
            row = DataKeyRepository(conn).current(jurisdiction)
        if row is None:
            row = self._create(jurisdiction, first=True)
        key = self._unwrap(row)
        with self._lock:
            self._current[jurisdiction] = (now, row.version)
        return key

    def get(self, jurisdiction: str, version: int) -> DataKey:
        """Version ``version`` of the state's key; :class:`KeyDestroyed` if it was shredded."""
        now = self._clock()
        with self._lock:
            hit = self._keys.get((jurisdiction, version))
            if hit is not None and now - hit[0] < self._ttl:
                self._keys.move_to_end((jurisdiction, version))
                return hit[1]
        with self._engine.connect() as conn:
            row = DataKeyRepository(conn).get(jurisdiction, version)
        if row is None or row.wrapped_key is None:
            raise KeyDestroyed(jurisdiction)
        return self._unwrap(row)

    def _unwrap(self, row: DataKeyRow) -> DataKey:
        if row.wrapped_key is None:
            raise KeyDestroyed(row.jurisdiction)
        secret = self.provider.unwrap(row.jurisdiction, row.wrapped_key,
                                      wrap_context(row.jurisdiction, row.version))  # fmt: skip
        key = DataKey.of(row.jurisdiction, row.version, secret)
        with self._lock:
            self._keys[(row.jurisdiction, row.version)] = (self._clock(), key)
            self._keys.move_to_end((row.jurisdiction, row.version))
            while len(self._keys) > self._cache_size:
                self._keys.popitem(last=False)
        return key

    def cached(self) -> list[tuple[str, int]]:
        """Which (jurisdiction, version) keys this process holds unwrapped (for tests, ops)."""
        with self._lock:
            return list(self._keys)

    def invalidate(self, jurisdiction: str | None = None) -> None:
        with self._lock:
            for k in [k for k in self._keys if jurisdiction in (None, k[0])]:
                del self._keys[k]
            for j in [j for j in self._current if jurisdiction in (None, j)]:
                del self._current[j]

    # -- changing --------------------------------------------------------------------------

    def rotate(self, jurisdiction: str) -> int:
        """Add a new version; new rows use it, old rows stay readable until re-encrypted."""
        row = self._create(jurisdiction)
        self.invalidate(jurisdiction)
        return row.version

    def destroy(self, jurisdiction: str) -> int:
        """Crypto-shred: destroy the state's KEK, then drop every wrapped data key version.

        The KEK goes first: if marking the rows fails, the keys are unreadable already.
        Returns how many versions were live.
        """
        self.provider.destroy(jurisdiction)
        self.invalidate(jurisdiction)
        with self._engine.begin() as conn:
            return DataKeyRepository(conn).mark_destroyed(jurisdiction)

    def versions(self, jurisdiction: str) -> list[DataKeyRow]:
        with self._engine.connect() as conn:
            return DataKeyRepository(conn).versions(jurisdiction)

    def _create(self, jurisdiction: str, first: bool = False) -> DataKeyRow:
        """A new key version; with ``first``, the state's current key if another request
        made one meanwhile (two first writes at once must not leave two versions)."""
        for _ in range(5):
            try:
                with self._engine.begin() as conn:
                    repo = DataKeyRepository(conn)
                    if first and (made := repo.current(jurisdiction)) is not None:
                        return made
                    version = repo.next_version(jurisdiction)
                    secret = secrets.token_bytes(KEY_BYTES)
                    wrapped = self.provider.wrap(jurisdiction, secret,
                                                 wrap_context(jurisdiction, version))  # fmt: skip
                    row = DataKeyRow(
                        jurisdiction, version, str(uuid.uuid4()), self.provider.name,
                        wrapped, datetime.now(UTC), None,
                    )  # fmt: skip
                    if not first:
                        repo.add(row)
                    elif not repo.add_first(row):
                        continue  # another request's first key committed after the look
                return row
            except IntegrityError:
                continue  # another process added this version first: take the next look
        raise RuntimeError(f"could not create a data key for {jurisdiction}")
