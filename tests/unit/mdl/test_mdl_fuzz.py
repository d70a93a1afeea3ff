"""Malformed input of every kind ends in ``VerificationError``, never another exception.

``verify`` keeps a last-resort net that turns an unexpected exception into a
``VerificationError`` whose reason says "unexpected"; these tests fail if the net is ever
needed, so every path has its own explicit check. Set LPX_MDL_FUZZ_EXAMPLES for a long run.
The coverage-guided fuzzer is fuzz/fuzz_mdl_verify.py (atheris), run by test_mdl_fuzz_atheris.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from typing import Any

import cbor2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdl_helpers import World

from lpx.mdl import StatusList, TrustStore, VerificationError, verify
from lpx.mdl.transcript import web_session_transcript

EXAMPLES = int(os.environ.get("LPX_MDL_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TRANSCRIPT = web_session_transcript("https://bar.example", "fuzz")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=True),
    st.binary(max_size=80),
    st.text(max_size=30),
    st.sampled_from(
        [
            "1.0",
            "SHA-256",
            "org.iso.18013.5.1",
            "org.iso.18013.5.1.mDL",
            "digestID",
            "elementValue",
            "deviceSignature",
            "deviceMac",
        ]
    ),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
)
cbor_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.one_of(st.text(max_size=12), st.integers(-40, 40)), inner, max_size=5),
        inner.map(lambda v: cbor2.CBORTag(24, cbor2.dumps(v))),
        st.builds(cbor2.CBORTag, st.sampled_from([0, 1, 24, 1004, 18, 99]), inner),
    ),
    max_leaves=12,
)


def assert_only_verification_error(call: Any) -> None:
    """A mutation may leave the input valid (it hit an ignored byte); else a named check."""
    error: VerificationError | None = None
    try:
        call()
    except VerificationError as exc:
        error = exc
    assert error is None or "unexpected" not in error.reason, error


_SAMPLES: dict[int, bytes] = {}


def sample(world: World) -> bytes:
    """One valid two-element response per world, made once (presenting spends)."""
    if id(world) not in _SAMPLES:
        wallet = world.wallet(1)
        _SAMPLES[id(world)] = wallet.present(
            ["age_over_21", "age_over_18"], TRANSCRIPT, at=world.now
        )
    return _SAMPLES[id(world)]


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every container position in a decoded tree, descending into tag-24 payloads."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    elif isinstance(node, cbor2.CBORTag) and node.tag == 24 and isinstance(node.value, bytes):
        with contextlib.suppress(Exception):
            found += paths(cbor2.loads(node.value), (*prefix, "<24>"))
    return found


def replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if head == "<24>":
        return cbor2.CBORTag(24, cbor2.dumps(replace(cbor2.loads(node.value), rest, value)))
    node = dict(node) if isinstance(node, dict) else list(node)
    node[head] = replace(node[head], rest, value)
    return node


@FUZZ
@given(data=st.binary(max_size=600))
def test_random_bytes(world: World, data: bytes) -> None:
    assert_only_verification_error(lambda: verify(data, TRANSCRIPT, world.trust(), world.now))


@FUZZ
@given(data=st.data())
def test_byte_mutations_of_a_valid_response(world: World, data: st.DataObject) -> None:
    raw = bytearray(sample(world))
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(raw) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            raw[position] ^= data.draw(st.integers(1, 255))
        elif action == "cut":
            del raw[position:]
            if not raw:
                raw.append(0)
        else:
            raw[position:position] = data.draw(st.binary(min_size=1, max_size=9))
    assert_only_verification_error(lambda: verify(bytes(raw), TRANSCRIPT, world.trust(), world.now))


@FUZZ
@given(data=st.data(), value=cbor_values)
def test_structural_replacement_anywhere(world: World, data: st.DataObject, value: Any) -> None:
    tree = cbor2.loads(sample(world))
    path = data.draw(st.sampled_from(paths(tree)))
    mutated = cbor2.dumps(replace(tree, path, value))
    assert_only_verification_error(lambda: verify(mutated, TRANSCRIPT, world.trust(), world.now))


@FUZZ
@given(data=st.data(), value=cbor_values)
def test_structural_replacement_inside_a_validly_signed_mso(
    world: World, data: st.DataObject, value: Any
) -> None:
    """An issuer bug (or insider) must not crash verifiers either: fuzz the MSO, re-sign it."""
    tree = cbor2.loads(sample(world))
    auth = tree["documents"][0]["issuerSigned"]["issuerAuth"]
    mso = cbor2.loads(cbor2.loads(auth[2]).value)
    path = data.draw(st.sampled_from(paths(mso)))
    payload = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(replace(mso, path, value))))
    tree["documents"][0]["issuerSigned"]["issuerAuth"] = world.ca.sign1(payload)
    mutated = cbor2.dumps(tree)
    assert_only_verification_error(lambda: verify(mutated, TRANSCRIPT, world.trust(), world.now))


@FUZZ
@given(data=st.binary(max_size=300), transcript=st.binary(max_size=100))
def test_trust_list_status_list_and_transcript_parsers(
    world: World, data: bytes, transcript: bytes
) -> None:
    key = world.hub_key.public_key()
    assert_only_verification_error(lambda: TrustStore.from_signed(data, key))
    assert_only_verification_error(lambda: StatusList.from_signed(data, world.trust(), world.now))
    assert_only_verification_error(
        lambda: verify(sample(world), transcript, world.trust(), world.now)
    )


def test_naive_time_is_a_usage_error(world: World) -> None:
    with pytest.raises(VerificationError) as caught:
        verify(sample(world), TRANSCRIPT, world.trust(), dt.datetime(2024, 1, 1))
    assert caught.value.check == "usage"
