"""Outside requests: register (legal), notify the states in scope (or hold the notice under
a gag order), let them object, record a decision, and release only what it allows.

The hub resolves the named individuals to pointers with the search matcher (class ``match``
only) and stores the pointer ids, never the names. ``legal`` sees the request's status and,
after a recorded release, the released pointer ids and their states: nothing else.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.errors import FieldError, ValidationFailed
from lpx.domain.outside import (
    DecisionRefused,
    Individual,
    Kind,
    Notice,
    Outcome,
    check_decision,
    check_objection,
    due,
    first_notice,
    validate_request,
    validate_scope,
)
from lpx.domain.profile import MatchProfile
from lpx.domain.records import Identity
from lpx.services.errors import Conflict, NotFound
from lpx.services.matching import probe_keys
from lpx.services.search import SearchService
from lpx.storage.safeguard_repositories import NoticeRow, OutsideRepository, OutsideRow
from lpx.storage.uow import UnitOfWork
from lpx.storage.workflow_repositories import NotificationRepository

Now = Callable[[], datetime]
NOTICE_KIND = "outside_request"  # the kind in the notified states' notification feeds


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(d: datetime | None) -> datetime | None:
    return d if d is None or d.tzinfo else d.replace(tzinfo=UTC)


def _notice(n: NoticeRow) -> Notice:
    return Notice(n.jurisdiction, n.held_until, _aware(n.sent_at), _aware(n.objection_deadline),
                  n.objection)  # fmt: skip


def _tell(conn: Connection, row: OutsideRow, jurisdiction: str, deadline: datetime,
          scope: Sequence[tuple[str, str]]) -> None:  # fmt: skip
    """Put the notice in the state's notification feed (and webhook): who asks, on what
    basis, until when it may object, and how many of its pointers are in scope."""
    detail = {"kind": row.kind, "requester": row.requester, "legal_basis": row.legal_basis,
              "objection_deadline": deadline.isoformat(),
              "pointers": sum(1 for _, j in scope if j == jurisdiction)}  # fmt: skip
    body = json.dumps(detail, sort_keys=True, separators=(",", ":"))
    NotificationRepository(conn).add_many(jurisdiction, [(NOTICE_KIND, row.request_id, body)])


@dataclass(frozen=True, slots=True)
class RequestView:
    """What legal sees: status only, and the release once one was decided."""

    request: OutsideRow
    released: list[tuple[str, str]] | None  # (pointer_id, jurisdiction) after a release


@dataclass(frozen=True, slots=True)
class NoticeView:
    """What a notified state sees: who asks, why, and which of its own pointers."""

    request: OutsideRow
    notice: NoticeRow
    pointer_ids: list[str]


class OutsideService:
    def __init__(self, engine: Engine, uow_factory: Callable[[], UnitOfWork],
                 search: SearchService, index_key: bytes, audit: AuditLog,
                 objection_window: timedelta = timedelta(days=14), max_individuals: int = 25,
                 now: Now = utcnow) -> None:  # fmt: skip
        self._engine = engine
        self._uow = uow_factory
        self._search = search
        self._index_key = index_key
        self._audit = audit
        self.window = objection_window
        self.max_individuals = max_individuals
        self.now = now

    def register(self, actor: Actor, requester: str, legal_basis: str, kind: Kind,
                 individuals: Sequence[Individual],
                 gag_until: date | None = None) -> OutsideRow:  # fmt: skip
        authorize(actor, Permission.OUTSIDE_REGISTER)
        now = self.now()
        gag = gag_until
        validate_request(requester, legal_basis, gag, now.date())
        validate_scope(individuals, self.max_individuals, now.date())
        scope = self._resolve(individuals)
        row = OutsideRow(str(uuid.uuid4()), requester.strip(), legal_basis.strip(), kind.value,
                         len(individuals), gag, actor.user_id, now, Outcome.PENDING.value,
                         None, None, None, ())  # fmt: skip
        notices = [first_notice(j, gag, now, self.window) for j in sorted({j for _, j in scope})]
        with self._engine.begin() as conn:
            OutsideRepository(conn).add(row, scope, [
                NoticeRow(row.request_id, n.jurisdiction, n.held_until, n.sent_at, n.deadline,
                          None, None, None) for n in notices])  # fmt: skip
            sent = frozenset(n.jurisdiction for n in notices if n.sent_at is not None)
            for n in notices:
                if n.deadline is not None:
                    _tell(conn, row, n.jurisdiction, n.deadline, scope)
            self._audit.append(conn, AuditEvent.by(
                actor, Action.OUTSIDE_REQUEST, jurisdictions=sent, refs=(row.request_id,),
                result_count=len(scope)))  # fmt: skip
        return row

    def _resolve(self, individuals: Sequence[Individual]) -> list[tuple[str, str]]:
        """Pointers of class ``match`` for each named person (optionally narrowed to the
        pointer ids the request names); the same matcher as a search inquiry."""
        found: dict[str, str] = {}
        with self._uow() as uow:
            for person in individuals:
                probe = MatchProfile.of(Identity(person.first_name, person.last_name, person.dob))
                scored, where = self._search._match(uow, probe,
                                                    probe_keys(self._index_key, probe))
                for s in scored:
                    if s.match_class == "match" and (
                        not person.pointer_ids or s.key in person.pointer_ids
                    ):
                        found[s.key] = where[s.key]
        return sorted(found.items())

    def release_due_notices(self, now: datetime | None = None) -> int:
        """Send every notice whose gag order has ended (run by the app's background job)."""
        now = now or self.now()
        with self._engine.begin() as conn:
            repo = OutsideRepository(conn)
            sent = 0
            for n in repo.due_notices(now.date()):
                if due(_notice(n), now.date()):
                    repo.send(n.request_id, n.jurisdiction, now, now + self.window)
                    row = self._row(repo, n.request_id)
                    _tell(conn, row, n.jurisdiction, now + self.window,
                          repo.scope(n.request_id, n.jurisdiction))  # fmt: skip
                    sent += 1
        return sent

    def requests(self, actor: Actor) -> list[RequestView]:
        """Every request's status; a released one carries what its decision released."""
        authorize(actor, Permission.OUTSIDE_REGISTER)
        self.release_due_notices()
        with self._engine.connect() as conn:
            repo = OutsideRepository(conn)
            return [RequestView(r, repo.scope(r.request_id)
                                if r.outcome == Outcome.RELEASED else None)
                    for r in repo.all()]  # fmt: skip

    def get(self, actor: Actor, request_id: str) -> RequestView:
        authorize(actor, Permission.OUTSIDE_REGISTER)
        self.release_due_notices()
        with self._engine.connect() as conn:
            repo = OutsideRepository(conn)
            row = self._row(repo, request_id)
            released = repo.scope(request_id) if row.outcome == Outcome.RELEASED else None
        return RequestView(row, released)

    def decide(self, actor: Actor, request_id: str, decision: Outcome, basis: str,
               overrule: Sequence[str] = ()) -> RequestView:  # fmt: skip
        """Record release or denial; nothing is released without this recorded decision."""
        authorize(actor, Permission.OUTSIDE_DECIDE)
        now = self.now()
        self.release_due_notices(now)
        if len(basis.strip()) < 3:
            raise ValidationFailed([FieldError("basis", "must state the decision's basis")])
        with self._engine.begin() as conn:
            repo = OutsideRepository(conn)
            row = self._row(repo, request_id, lock=True)
            notices = repo.notices(request_id)
            try:
                check_decision(Outcome(row.outcome), decision,
                               [_notice(n) for n in notices], overrule, now)  # fmt: skip
            except DecisionRefused as exc:
                raise Conflict(str(exc)) from None
            repo.decide(
                request_id,
                decision.value,
                actor.user_id,
                now,
                basis.strip(),
                [j for j in overrule if any(n.jurisdiction == j for n in notices)],
            )
            scope = repo.scope(request_id)
            self._audit_decision(conn, actor, request_id, decision, notices, scope)
            released = scope if decision is Outcome.RELEASED else None
            updated = self._row(repo, request_id)
        return RequestView(updated, released)

    def _audit_decision(self, conn: Connection, actor: Actor, request_id: str,
                        decision: Outcome, notices: list[NoticeRow],
                        scope: list[tuple[str, str]]) -> None:  # fmt: skip
        released = decision is Outcome.RELEASED
        self._audit.append(conn, AuditEvent.by(
            actor, Action.OUTSIDE_DECISION, purpose=decision.value,
            pointer_ids=tuple(p for p, _ in scope) if released else (),
            jurisdictions=frozenset(n.jurisdiction for n in notices if n.sent_at is not None),
            refs=(request_id,), result_count=len(scope) if released else 0))  # fmt: skip

    def notices(self, actor: Actor) -> list[NoticeView]:
        """The notices sent to the actor's own state (held ones stay invisible)."""
        authorize(actor, Permission.OUTSIDE_NOTICE_OWN, actor.jurisdiction)
        self.release_due_notices()
        with self._engine.connect() as conn:
            repo = OutsideRepository(conn)
            out = []
            for n in repo.notices_for(actor.jurisdiction):
                row = self._row(repo, n.request_id)
                ids = [p for p, _ in repo.scope(n.request_id, actor.jurisdiction)]
                out.append(NoticeView(row, n, ids))
        return out

    def object(self, actor: Actor, request_id: str, reason: str) -> NoticeView:
        """The actor's state objects to a release; the objection blocks it until overruled."""
        authorize(actor, Permission.OUTSIDE_NOTICE_OWN, actor.jurisdiction)
        now = self.now()
        self.release_due_notices(now)
        if len(reason.strip()) < 3:
            raise ValidationFailed([FieldError("reason", "must say why the state objects")])
        with self._engine.begin() as conn:
            repo = OutsideRepository(conn)
            row = repo.get(request_id, lock=True)
            notice = (
                next(
                    (n for n in repo.notices(request_id) if n.jurisdiction == actor.jurisdiction),
                    None,
                )
                if row
                else None
            )
            if row is None or notice is None or notice.sent_at is None:
                raise NotFound(f"Your state has no notice of outside request {request_id}.")
            try:
                check_objection(_notice(notice), Outcome(row.outcome), now)
            except DecisionRefused as exc:
                raise Conflict(str(exc)) from None
            repo.object(request_id, actor.jurisdiction, reason.strip(), actor.user_id, now)
            self._audit.append(
                conn,
                AuditEvent.by(
                    actor,
                    Action.OUTSIDE_DECISION,
                    purpose="objection",
                    jurisdictions=frozenset({actor.jurisdiction}),
                    refs=(request_id,),
                ),
            )
            updated = next(n for n in repo.notices(request_id)
                           if n.jurisdiction == actor.jurisdiction)  # fmt: skip
            ids = [p for p, _ in repo.scope(request_id, actor.jurisdiction)]
        return NoticeView(row, updated, ids)

    @staticmethod
    def _row(repo: OutsideRepository, request_id: str, lock: bool = False) -> OutsideRow:
        row = repo.get(request_id, lock)
        if row is None:
            raise NotFound(f"No outside request has the id {request_id}.")
        return row
