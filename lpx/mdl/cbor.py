"""Defensive CBOR helpers shared by issuer, wallet and verifier.

Everything a verifier reads from the outside world passes through :func:`loads`, which turns
every decoder failure (bad bytes, recursion, duplicate keys, bad tags) into a
:class:`VerificationError`, so malformed input can never escape as another exception type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NoReturn

import cbor2

from lpx.mdl.errors import VerificationError

MAX_DEPTH = 24


def loads(data: object, check: str) -> Any:
    """Decode untrusted CBOR; any failure is a ``VerificationError`` for ``check``."""
    if not isinstance(data, bytes | bytearray | memoryview):
        fail(check, "expected a byte string")
    try:
        return cbor2.loads(bytes(data), max_depth=MAX_DEPTH, allow_duplicate_keys=False)
    except Exception as exc:  # the decoder raises many types; all mean "malformed"
        raise VerificationError(check, f"malformed CBOR ({type(exc).__name__})") from None


def dumps(obj: object) -> bytes:
    """Encode our own structures (never untrusted ones)."""
    return cbor2.dumps(obj)


def tag24(data: bytes) -> cbor2.CBORTag:
    """``#6.24(bstr .cbor X)``: embedded CBOR, so digests are over exact bytes."""
    return cbor2.CBORTag(24, data)


def tag24_bytes(data: bytes) -> bytes:
    """The encoding of ``#6.24(bstr)``, built by hand to stay byte-exact."""
    return b"\xd8\x18" + _head(2, len(data)) + data


def array_head(length: int) -> bytes:
    """CBOR array header, for splicing already-encoded items together byte-exactly."""
    return _head(4, length)


def _head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([(major << 5) | length])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if length < 1 << (8 * size):
            return bytes([(major << 5) | info]) + length.to_bytes(size, "big")
    raise ValueError("too long")


def fail(check: str, reason: str) -> NoReturn:
    raise VerificationError(check, reason)


def as_map(value: object, check: str, what: str) -> dict[Any, Any]:
    if not isinstance(value, dict):
        fail(check, f"{what} must be a map")
    return value


def as_list(value: object, check: str, what: str) -> list[Any]:
    if not isinstance(value, list):
        fail(check, f"{what} must be an array")
    return value


def as_str(value: object, check: str, what: str) -> str:
    if not isinstance(value, str):
        fail(check, f"{what} must be a text string")
    return value


def as_bytes(value: object, check: str, what: str) -> bytes:
    if not isinstance(value, bytes):
        fail(check, f"{what} must be a byte string")
    return value


def as_int(value: object, check: str, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        fail(check, f"{what} must be an integer")
    return value


def as_tag24(value: object, check: str, what: str) -> bytes:
    """The raw embedded bytes of a ``#6.24(bstr)``."""
    if (
        not isinstance(value, cbor2.CBORTag)
        or value.tag != 24
        or not isinstance(value.value, bytes)
    ):
        fail(check, f"{what} must be tag 24 embedded CBOR")
    return value.value


def as_tdate(value: object, check: str, what: str) -> datetime:
    """A ``tdate`` (tag 0) with a time zone; naive times are ambiguous, so rejected."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        fail(check, f"{what} must be a tdate with a time zone")
    return value


def get(mapping: dict[Any, Any], key: object, check: str, what: str) -> Any:
    if key not in mapping:
        fail(check, f"missing {what}")
    return mapping[key]
