"""Audit entries and their canonical bytes, which are the Merkle leaves (pure: no I/O).

An entry says who did what, why, and which pointers and jurisdictions it touched, never
whose data: identifiers must look like pointer ids or keyed references, so a name, a birth
date or an SSN token cannot be slipped into the log by mistake.

The leaf is canonical JSON (sorted keys, no spaces, ASCII), so any state can re-derive the
leaf hash from what the feed sends with a few lines in any language. ``positions`` numbers
the entries touching each jurisdiction (0, 1, 2, ...) inside the signed leaf, so a state
that sees only its own entries can still tell that one was deleted or moved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from lpx.auth.policy import Actor

VERSION = 1
MAX_IDS = 1000
_JURISDICTION = re.compile(r"[A-Z]{2}")
_POINTER_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,79}")
_TOKEN = re.compile(r"[a-z][a-z0-9_-]{0,39}")


class Action(StrEnum):
    INQUIRY_SEARCH = "inquiry.search"
    INQUIRY_STATUS = "inquiry.status"
    CANDIDATE_SHOWN = "candidate.shown"
    POINTER_READ = "pointer.read"
    POINTER_WRITE = "pointer.write"
    POINTER_DELETE = "pointer.delete"
    CASE_TRANSITION = "case.transition"
    TRANSFER = "transfer"
    EXPORT = "export"
    OUTSIDE_REQUEST = "outside.request"
    OUTSIDE_DECISION = "outside.decision"
    KEY_EVENT = "key.event"
    POLICY_CHANGE = "policy.change"
    ENUMERATION_ALERT = "enumeration.alert"  # a user (or credential) throttled as harvesting
    MODEL_TRAIN = "model.train"  # the operator read a state's identities to re-estimate the model
    INDEX_REBUILD = "index.rebuild"  # the operator read a state's identities to re-key the index


class InvalidEntry(ValueError):
    """An audit event or leaf breaks the entry rules; the message names the field."""


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """What a service reports: the log adds the sequence number, time and positions.

    ``jurisdictions`` are the states whose records were touched; the actor's own is always
    added, so a state sees what its own users did as well as what was done to its records.
    ``refs`` are keyed references (inquiry, case, request ids), never personal data.
    """

    actor_jurisdiction: str
    user_id: str
    roles: tuple[str, ...]
    action: Action
    purpose: str | None = None
    pointer_ids: tuple[str, ...] = ()
    jurisdictions: frozenset[str] = frozenset()
    refs: tuple[str, ...] = ()
    result_count: int = 0

    @classmethod
    def by(cls, actor: Actor, action: Action, *, purpose: str | None = None,
           pointer_ids: tuple[str, ...] = (), jurisdictions: frozenset[str] = frozenset(),
           refs: tuple[str, ...] = (), result_count: int = 0) -> AuditEvent:  # fmt: skip
        return cls(actor.jurisdiction, actor.user_id, tuple(sorted(r.value for r in actor.roles)),
                   action, purpose, pointer_ids, jurisdictions, refs, result_count)  # fmt: skip

    def touched(self) -> tuple[str, ...]:
        return tuple(sorted(self.jurisdictions | {self.actor_jurisdiction}))

    def validate(self) -> None:
        _check_code("actor_jurisdiction", self.actor_jurisdiction)
        for code in self.jurisdictions:
            _check_code("jurisdictions", code)
        if not self.user_id or len(self.user_id) > 100 or not self.user_id.isprintable():
            raise InvalidEntry("user_id must be 1-100 printable characters")
        for name, values, pattern in (("roles", self.roles, _TOKEN),
                                      ("pointer_ids", self.pointer_ids, _POINTER_ID),
                                      ("refs", self.refs, _REF)):  # fmt: skip
            if len(values) > MAX_IDS:
                raise InvalidEntry(f"{name} holds more than {MAX_IDS} items")
            if any(not pattern.fullmatch(v) for v in values):
                raise InvalidEntry(f"{name} must hold identifiers only")
        if self.purpose is not None and not _TOKEN.fullmatch(self.purpose):
            raise InvalidEntry("purpose must be a purpose code")
        if self.result_count < 0:
            raise InvalidEntry("result_count must not be negative")
        Action(self.action)


def _check_code(name: str, code: str) -> None:
    if not _JURISDICTION.fullmatch(code):
        raise InvalidEntry(f"{name} must hold two-letter jurisdiction codes")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One leaf of the log. ``time_us`` is microseconds since the Unix epoch, UTC."""

    seq: int
    time_us: int
    event: AuditEvent
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.time_us / 1_000_000, UTC)

    def to_dict(self) -> dict[str, Any]:
        e = self.event
        return {
            "v": VERSION, "seq": self.seq, "time_us": self.time_us,
            "actor": {"jurisdiction": e.actor_jurisdiction, "user": e.user_id,
                      "roles": list(e.roles)},
            "action": e.action.value, "purpose": e.purpose,
            "pointer_ids": list(e.pointer_ids), "refs": list(e.refs),
            "jurisdictions": dict(sorted(self.positions.items())),
            "result_count": e.result_count,
        }  # fmt: skip

    def leaf(self) -> bytes:
        """The canonical bytes that are hashed into the tree."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"),
                          ensure_ascii=True).encode()  # fmt: skip

    @classmethod
    def from_leaf(cls, data: bytes) -> AuditEntry:
        """Parse a leaf, refusing any that is not exactly in canonical form."""
        try:
            d = json.loads(data)
            if d["v"] != VERSION:
                raise InvalidEntry(f"unknown entry version {d['v']!r}")
            a = d["actor"]
            positions = {str(k): int(v) for k, v in d["jurisdictions"].items()}
            event = AuditEvent(
                a["jurisdiction"], a["user"], tuple(a["roles"]), Action(d["action"]),
                d["purpose"], tuple(d["pointer_ids"]), frozenset(positions), tuple(d["refs"]),
                int(d["result_count"]),
            )  # fmt: skip
            entry = cls(int(d["seq"]), int(d["time_us"]), event, positions)
        except InvalidEntry:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InvalidEntry(f"not an audit entry: {type(exc).__name__}") from None
        event.validate()
        if entry.leaf() != data:
            raise InvalidEntry("entry is not in canonical form")
        return entry
