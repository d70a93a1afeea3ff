"""The default key provider's first key, made by many threads at once."""

from __future__ import annotations

import threading
from pathlib import Path

from lpx.keys.file_provider import FileKeyProvider


def _race(directory: Path, threads: int) -> tuple[list[bytes], list[BaseException]]:
    """Have each thread wrap a key with its own provider at the same instant."""
    barrier = threading.Barrier(threads)
    wrapped: list[bytes] = []
    errors: list[BaseException] = []

    def make(provider: FileKeyProvider) -> None:
        barrier.wait()
        try:
            wrapped.append(provider.wrap("CA", b"k" * 32, b"ctx"))
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=make, args=(FileKeyProvider(directory),))
            for _ in range(threads)]  # fmt: skip
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    return wrapped, errors


def test_threads_making_a_states_first_key_all_use_one_whole_key(tmp_path: Path) -> None:
    """A thread that loses the race to create the key file must read the winner's key,
    never a file still being written (seen once as a failed transfer under load)."""
    for attempt in range(25):
        directory = tmp_path / str(attempt)
        wrapped, errors = _race(directory, 8)
        assert errors == []
        reader = FileKeyProvider(directory)
        assert all(reader.unwrap("CA", w, b"ctx") == b"k" * 32 for w in wrapped)
        assert [p.name for p in directory.iterdir()] == ["CA.kek"]  # no draft left behind
