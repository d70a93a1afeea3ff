"""Revocation without calling home: per-state status lists, fetched in bulk, checked locally.

A status list is a zlib-compressed bit array (one bit per credential, bit ``i`` is bit
``i % 8`` of byte ``i // 8``, as in the IETF Token Status List) signed as COSE_Sign1, either
by the state's document signer (x5chain in the header) or by the hub's trust-list key (no
x5chain: the hub keeps each state's list from pointer changes, see ``docs/mdl.md``).
Every credential in a batch gets its own random index, so a list
fetched every few hours says nothing about any one presentation, and two credentials of one
holder cannot be tied together by their indices. States revoke by setting the bits of all
of a holder's indices (:class:`StatusRegistry`).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.asymmetric import ec

from lpx.mdl import cbor, cose

if TYPE_CHECKING:
    from lpx.mdl.pki import IssuerKeys
    from lpx.mdl.trust import Anchor, TrustStore

STATUS = "status"
DEFAULT_SIZE = 1 << 17  # large enough that one holder's indices hide among many
MAX_BYTES = 1 << 24


@dataclass(frozen=True)
class StatusList:
    """A verified status list: its bits and the trust anchor whose DS signed it."""

    uri: str
    state: str
    bits: bytes
    expires: dt.datetime
    anchor: Anchor
    hub_signed: bool = False

    def revoked(self, index: int) -> bool:
        if not 0 <= index < len(self.bits) * 8:
            return True  # an index outside the list is not a valid credential
        return bool(self.bits[index // 8] >> (index % 8) & 1)

    @classmethod
    def from_signed(
        cls,
        data: bytes,
        trust: TrustStore,
        at: dt.datetime,
        hub_key: ec.EllipticCurvePublicKey | None = None,
    ) -> StatusList:
        """Verify a signed list: a state-signed one's DS must chain to an anchor; one without
        x5chain must verify under ``hub_key`` (the key that signed the trust list) and name a
        state the trust store holds an anchor for."""
        sign1 = cbor.loads(data, STATUS)
        _, unprotected, _, _ = cose.parts(sign1, STATUS)
        if unprotected.get(cose.X5CHAIN) is None and hub_key is not None:
            _, payload = cose.verify_sign1(sign1, hub_key, STATUS)
            body = cbor.as_map(cbor.loads(payload, STATUS), STATUS, "status list")
            state = cbor.as_str(body.get("state"), STATUS, "state")
            anchor = next((a for a in trust.anchors if a.state == state), None)
            if anchor is None:
                cbor.fail(STATUS, f"no trusted IACA for the status list's state {state[:8]!r}")
            return cls._parse(body, anchor, hub_signed=True)
        signer = trust.signer(unprotected.get(cose.X5CHAIN), at)
        _, payload = cose.verify_sign1(sign1, signer.key, STATUS)
        body = cbor.as_map(cbor.loads(payload, STATUS), STATUS, "status list")
        return cls._parse(body, signer.anchor, hub_signed=False)

    @classmethod
    def _parse(cls, body: dict[object, object], anchor: Anchor, *, hub_signed: bool) -> StatusList:
        compressed = cbor.as_bytes(body.get("lst"), STATUS, "lst")
        inflater = zlib.decompressobj()
        try:
            bits = inflater.decompress(compressed, MAX_BYTES)
        except zlib.error:
            cbor.fail(STATUS, "status list does not decompress")
        if inflater.unconsumed_tail:
            cbor.fail(STATUS, "status list too large")
        return cls(
            uri=cbor.as_str(body.get("uri"), STATUS, "uri"),
            state=cbor.as_str(body.get("state"), STATUS, "state"),
            bits=bits,
            expires=cbor.as_tdate(body.get("expires"), STATUS, "expires"),
            anchor=anchor,
            hub_signed=hub_signed,
        )


class StatusLists:
    """The lists a relying party holds, by URI (the MSO's ``status.status_list.uri``)."""

    def __init__(self, lists: Iterable[StatusList]) -> None:
        self.by_uri = {status.uri: status for status in lists}

    @classmethod
    def load(
        cls,
        signed: Iterable[bytes],
        trust: TrustStore,
        at: dt.datetime,
        hub_key: ec.EllipticCurvePublicKey | None = None,
    ) -> StatusLists:
        return cls(StatusList.from_signed(data, trust, at, hub_key) for data in signed)

    def check(self, uri: str, index: int, anchor: Anchor, at: dt.datetime) -> None:
        """Raise unless the credential at ``uri``/``index`` is known and not revoked."""
        status = self.by_uri.get(uri)
        if status is None:
            cbor.fail(STATUS, "no status list held for this credential's issuer")
        if status.hub_signed:  # the hub vouches per state; the state may hold several IACAs
            if status.state != anchor.state:
                cbor.fail(STATUS, "status list is for another state than the credential")
        elif status.anchor.der != anchor.der:
            cbor.fail(STATUS, "status list signed by another issuer than the credential")
        if at > status.expires:
            cbor.fail(STATUS, "status list is stale; fetch a fresh one")
        if status.revoked(index):
            cbor.fail(STATUS, "credential is revoked")


def build_status_list(
    keys: IssuerKeys,
    uri: str,
    bits: bytes,
    *,
    issued: dt.datetime | None = None,
    ttl: dt.timedelta = dt.timedelta(days=2),
) -> bytes:
    """The signed list a state publishes (the hub serves it next to the trust list)."""
    issued = (issued or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    body = {
        "version": 1,
        "state": keys.state,
        "uri": uri,
        "issued": issued,
        "expires": issued + ttl,
        "bits": 1,
        "lst": zlib.compress(bits, 9),
    }
    return cbor.dumps(keys.sign1(cbor.dumps(body)))


def build_hub_status_list(
    hub_key: ec.EllipticCurvePrivateKey,
    state: str,
    uri: str,
    bits: bytes,
    *,
    issued: dt.datetime | None = None,
    ttl: dt.timedelta = dt.timedelta(days=2),
) -> bytes:
    """A state's list as the hub keeps and signs it (same body; the trust-list key signs).

    The hub revokes on a pointer change in the same transaction, with no round trip to the
    state; relying parties already trust this key for the trust list.
    """
    issued = (issued or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    body = {
        "version": 1,
        "state": state,
        "uri": uri,
        "issued": issued,
        "expires": issued + ttl,
        "bits": 1,
        "lst": zlib.compress(bits, 9),
    }
    return cbor.dumps(cose.sign1(hub_key, cbor.dumps(body), {}))


class StatusRegistry:
    """The issuing state's record of which indices belong to which holder (a JSON file).

    The registry stays with the state; only the bit array leaves it.
    """

    def __init__(self, path: Path, size: int = DEFAULT_SIZE) -> None:
        self.path = path
        data = json.loads(path.read_text()) if path.exists() else {}
        self.size: int = data.get("size", size)
        self.owner: dict[str, str] = data.get("owner", {})
        self.revoked: set[int] = set(data.get("revoked", []))

    def allocate(self, holder: str, count: int) -> list[int]:
        """``count`` fresh random indices for ``holder``, never reused."""
        if len(self.owner) + count > self.size:
            raise ValueError("status list is full")
        picked: list[int] = []
        while len(picked) < count:
            index = secrets.randbelow(self.size)
            if str(index) not in self.owner:
                self.owner[str(index)] = holder
                picked.append(index)
        return picked

    def revoke_holder(self, holder: str) -> int:
        """Revoke every credential issued to ``holder``; returns how many bits were set."""
        indices = {int(i) for i, owner in self.owner.items() if owner == holder}
        self.revoked |= indices
        return len(indices)

    def bits(self) -> bytes:
        array = bytearray(self.size // 8 + (1 if self.size % 8 else 0))
        for index in self.revoked:
            array[index // 8] |= 1 << (index % 8)
        return bytes(array)

    def save(self) -> None:
        self.path.write_text(
            json.dumps({"size": self.size, "owner": self.owner, "revoked": sorted(self.revoked)})
        )
