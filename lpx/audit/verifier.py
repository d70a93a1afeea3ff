"""The state's independent audit verifier: trusts nothing the hub says without a proof.

It remembers (in a small JSON state file) the hub's public key (pinned on first use), the
last signed tree head it accepted, and where it stopped in its jurisdiction's feed. Each run:

1. fetches the signed tree head and checks the signature with the pinned key;
2. checks the new head extends the remembered one (consistency proof): a failure is a fork,
   i.e. the hub rewrote, deleted or reordered history it had already signed;
3. fetches the entries touching the state since last time and checks each one: its leaf
   hash is the hash of its bytes, it is included in the signed tree at its position, it
   names that position, its per-jurisdiction position follows the previous one (a gap means
   a deleted entry), and its time never goes back (back-dating);
4. stores the new head only if everything passed, so a failure is reported again next run.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from lpx.audit.entries import AuditEntry, InvalidEntry
from lpx.audit.merkle import EMPTY_ROOT, ProofError, leaf_hash, verify_consistency
from lpx.audit.merkle import verify_inclusion as check_inclusion
from lpx.audit.signing import BadSignature, TreeHead, verify_head

PAGE = 500


@dataclass
class VerifierState:
    jurisdiction: str
    public_key: str | None = None
    head: dict[str, Any] | None = None  # size, root_hash, time_us, signature (hex)
    last_seq: int = -1
    next_position: int = 0
    last_time_us: int = 0

    @classmethod
    def load(cls, path: Path, jurisdiction: str) -> VerifierState:
        if not path.exists():
            return cls(jurisdiction)
        state = cls(**json.loads(path.read_text()))
        if state.jurisdiction != jurisdiction:
            raise ValueError(f"{path} belongs to {state.jurisdiction}, not {jurisdiction}")
        return state

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2, sort_keys=True))
        os.replace(tmp, path)

    def tree_head(self) -> TreeHead | None:
        if self.head is None:
            return None
        h = self.head
        return TreeHead(h["size"], bytes.fromhex(h["root_hash"]), h["time_us"],
                        bytes.fromhex(h["signature"]))  # fmt: skip


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # key-changed, bad-signature, rollback, fork, altered, not-included, reordered,
    # deleted, back-dated, future-dated, foreign, malformed, hub-error
    message: str
    seq: int | None = None


@dataclass
class Report:
    jurisdiction: str
    head: TreeHead | None = None
    previous: TreeHead | None = None
    pinned_now: bool = False
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class HubRefused(Exception):
    pass


def _head_from(body: dict[str, Any]) -> tuple[TreeHead, bytes]:
    head = TreeHead(int(body["size"]), bytes.fromhex(body["root_hash"]), int(body["time_us"]),
                    bytes.fromhex(body["signature"]))  # fmt: skip
    return head, bytes.fromhex(body["public_key"])


class Verifier:
    def __init__(self, http: httpx.Client, jurisdiction: str, state_file: Path,
                 headers: dict[str, str] | None = None) -> None:  # fmt: skip
        self.http = http
        self.headers = headers or {}
        self.jurisdiction = jurisdiction
        self.state_file = state_file

    def _get(self, path: str, **params: Any) -> dict[str, Any]:
        try:
            resp = self.http.get(path, params=params, headers=self.headers)
        except httpx.HTTPError as exc:
            raise HubRefused(f"could not reach the hub: {type(exc).__name__}") from None
        if resp.status_code != 200:
            try:
                detail = resp.json().get("detail", "")
            except ValueError:
                detail = resp.text[:200]
            raise HubRefused(f"GET {path} answered {resp.status_code}: {detail}")
        body: dict[str, Any] = resp.json()
        return body

    def run(self) -> Report:
        state = VerifierState.load(self.state_file, self.jurisdiction)
        report = Report(self.jurisdiction, previous=state.tree_head())
        try:
            self._run(state, report)
        except HubRefused as exc:
            report.findings.append(Finding("hub-error", str(exc)))
        except (KeyError, ValueError, TypeError, binascii.Error) as exc:
            report.findings.append(Finding("malformed", f"the hub's answer is malformed: {exc}"))
        if report.ok:
            state.save(self.state_file)
        return report

    def _run(self, state: VerifierState, report: Report) -> None:
        head, public = _head_from(self._get("/v1/audit/tree-head"))
        if state.public_key is None:
            state.public_key, report.pinned_now = public.hex(), True
        elif state.public_key != public.hex():
            report.findings.append(Finding("key-changed", (
                f"the hub's signing key changed (pinned {state.public_key[:16]}..., now "
                f"{public.hex()[:16]}...); if the hub rotated its key, confirm out of band "
                "and delete the pinned key from the state file")))  # fmt: skip
            return
        try:
            verify_head(head, bytes.fromhex(state.public_key))
        except BadSignature:
            report.findings.append(Finding("bad-signature",
                                           f"the tree head of size {head.size} is not signed "
                                           "by the hub's key"))  # fmt: skip
            return
        report.head = head
        if not self._extends(report.previous, head, report):
            return
        self._check_feed(state, head, report)
        if report.ok:
            state.head = {"size": head.size, "root_hash": head.root_hash.hex(),
                          "time_us": head.time_us, "signature": head.signature.hex()}  # fmt: skip

    def _extends(self, old: TreeHead | None, new: TreeHead, report: Report) -> bool:
        if new.size == 0 and new.root_hash != EMPTY_ROOT:
            report.findings.append(Finding("fork", "the empty tree's root hash is wrong"))
            return False
        if old is None:
            return True
        if new.size < old.size:
            report.findings.append(Finding("rollback", (
                f"the tree shrank from {old.size} to {new.size} entries: "
                "entries were removed after being signed")))  # fmt: skip
            return False
        if new.time_us < old.time_us:
            report.findings.append(
                Finding("back-dated", "the new tree head is dated before the last one")
            )
        if new.size == old.size:
            proof: list[bytes] = []
        else:
            body = self._get("/v1/audit/consistency", **{"from": old.size, "to": new.size})
            proof = [bytes.fromhex(p) for p in body["proof"]]
        try:
            verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
        except ProofError as exc:
            report.findings.append(Finding("fork", (
                f"the hub's tree of size {new.size} does not extend the one of size "
                f"{old.size} it signed before ({exc}): history was rewritten, deleted or "
                "reordered")))  # fmt: skip
            return False
        return True

    def _check_feed(self, state: VerifierState, head: TreeHead, report: Report) -> None:
        old = report.previous
        after: int | None = state.last_seq
        while after is not None:
            page = self._get("/v1/audit/entries", jurisdiction=self.jurisdiction, after=after,
                             limit=PAGE, tree_size=head.size)  # fmt: skip
            if page["tree_head"]["size"] != head.size:
                raise HubRefused("the feed answered against a different tree head")
            for item in page["items"]:
                self._check_entry(state, head, old, item, report)
                report.checked += 1
            after = page["next_cursor"]

    def _check_entry(self, state: VerifierState, head: TreeHead, old: TreeHead | None,
                     item: dict[str, Any], report: Report) -> None:  # fmt: skip
        seq = int(item["seq"])
        found = report.findings

        def flag(kind: str, message: str) -> None:
            found.append(Finding(kind, f"entry {seq}: {message}", seq))

        if seq <= state.last_seq:
            flag("reordered", f"the feed repeats or goes back (after entry {state.last_seq})")
        data = base64.b64decode(item["leaf_data"], validate=True)
        computed = leaf_hash(data)
        if computed.hex() != item["leaf_hash"]:
            flag("altered", "its data does not hash to its leaf hash: the entry was changed")
        try:
            check_inclusion(seq, head.size, computed, [bytes.fromhex(p) for p in item["proof"]],
                            head.root_hash)  # fmt: skip
        except ProofError:
            flag("not-included", f"it is not in the signed tree of size {head.size} at this "
                                 "position: altered, moved or inserted after signing")  # fmt: skip
        try:
            entry = AuditEntry.from_leaf(data)
        except InvalidEntry as exc:
            flag("malformed", str(exc))
            state.last_seq = max(state.last_seq, seq)
            return
        if entry.seq != seq:
            flag("reordered", f"it says it is entry {entry.seq}: entries were moved")
        position = entry.positions.get(self.jurisdiction)
        if position is None:
            flag("foreign", f"it does not touch {self.jurisdiction}")
        elif position > state.next_position:
            flag("deleted", f"{self.jurisdiction}'s entries #{state.next_position}.."
                            f"#{position - 1} are missing from the log")  # fmt: skip
        elif position < state.next_position:
            flag("reordered", f"it is {self.jurisdiction}'s entry #{position}, expected "
                              f"#{state.next_position}")  # fmt: skip
        if entry.time_us < state.last_time_us:
            flag("back-dated", f"dated {entry.time.isoformat()}, before the entry preceding it")
        if old is not None and seq >= old.size and entry.time_us < old.time_us:
            flag("back-dated", f"appended after the tree head of size {old.size} was signed "
                               "but dated before it")  # fmt: skip
        if entry.time_us > head.time_us:
            flag("future-dated", "dated after the tree head that includes it")
        state.last_seq = max(state.last_seq, seq)
        state.next_position = max(state.next_position, (position or 0) + 1)
        state.last_time_us = max(state.last_time_us, entry.time_us)
