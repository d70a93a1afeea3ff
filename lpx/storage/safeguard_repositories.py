"""Repositories of the safeguard tables (lpx/storage/safeguard_tables.py), on a caller's
connection like the others, so a service's writes commit or roll back together."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, delete, func, insert, select, update

from lpx.storage import safeguard_tables as s
from lpx.storage import tables as t
from lpx.storage.pipeline import PgStatement, run_pipelined

# Statements of the guard that runs before every inquiry, built once: constructing a Core
# statement per call cost more than the database answering it. The counter upsert is plain
# SQL sent with ``exec_driver_sql`` (both dialects share its syntax): even a prebuilt
# multi-row Core insert cost a millisecond of CPU per inquiry to execute.
_EF = s.enumeration_features.c
_EA = s.enumeration_alerts.c
_IQ = t.inquiries.c
_INCREMENT = ("INSERT INTO rate_counters (key, window_start, count) {rows} "
              "ON CONFLICT (key, window_start) DO UPDATE SET count = rate_counters.count + 1 "
              "RETURNING key, window_start, count")  # fmt: skip
_INCREMENT_PG = _INCREMENT.format(
    rows="SELECT k, w, 1 FROM unnest(%(keys)s::varchar[], %(windows)s::bigint[]) AS x(k, w)")


@functools.cache
def _increment_sqlite(n: int) -> str:
    return _INCREMENT.format(rows="VALUES " + ", ".join(["(?, ?, 1)"] * n))


_ADD_FEATURE = insert(s.enumeration_features).values(
    jurisdiction=bindparam("j"), user_id=bindparam("u"), at=bindparam("at"),
    dob_hash=bindparam("dob_hash"), surname_hash=bindparam("surname_hash"),
    off_hours=bindparam("off_hours"))  # fmt: skip
_FEATURES = (
    select(_EF.at, _EF.dob_hash, _EF.surname_hash, _EF.off_hours)
    .where(_EF.jurisdiction == bindparam("j"), _EF.user_id == bindparam("u"),
           _EF.at >= bindparam("since"))
    .order_by(_EF.at)
)  # fmt: skip
_OUTCOMES = select(
    func.count(), func.coalesce(func.sum((_IQ.candidates == 0).cast(Integer)), 0)
).where(_IQ.jurisdiction == bindparam("j"), _IQ.user_id == bindparam("u"),
        _IQ.created_at >= bindparam("since"))  # fmt: skip
# Until when the user, and the whole credential, are paused: each half reads its own index.
_THROTTLED = select(
    select(func.max(_EA.throttled_until)).where(
        _EA.jurisdiction == bindparam("j"), _EA.user_id == bindparam("u"),
        _EA.throttled_until > bindparam("now")).scalar_subquery(),
    select(func.max(_EA.throttled_until)).where(
        _EA.credential_id == bindparam("cred"), _EA.throttled_until > bindparam("now"),
        _EA.patterns.like("%credential%")).scalar_subquery(),
)  # fmt: skip
_PURGE_FEATURES = delete(s.enumeration_features).where(_EF.at < bindparam("before"))
_TAKE_BACK_FEATURE = delete(s.enumeration_features).where(
    _EF.jurisdiction == bindparam("j"), _EF.user_id == bindparam("u"), _EF.at == bindparam("at"))
# The same statements for PostgreSQL's pipeline (lpx/storage/pipeline.py).
_PG = {name: PgStatement(stmt) for name, stmt in (
    ("throttled", _THROTTLED), ("features", _FEATURES), ("outcomes", _OUTCOMES),
    ("add_feature", _ADD_FEATURE),
    ("purge_features", _PURGE_FEATURES), ("increment", _INCREMENT_PG))}  # fmt: skip


class RateCounterRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def increment(self, windows: Sequence[tuple[str, int]]) -> list[int]:
        """Add one to each (key, window start) count and return the counts in order: one
        atomic upsert statement on both backends, however many limits an inquiry meets."""
        if self.conn.dialect.name == "postgresql":
            rows = self.conn.exec_driver_sql(_INCREMENT_PG, {
                "keys": [k for k, _ in windows], "windows": [w for _, w in windows]})  # fmt: skip
        else:
            rows = self.conn.exec_driver_sql(_increment_sqlite(len(windows)),
                                             tuple(v for kw in windows for v in kw))  # fmt: skip
        counts = {(r[0], int(r[1])): int(r[2]) for r in rows}
        return [counts[w] for w in windows]

    def purge_before(self, window_start: int) -> None:
        c = s.rate_counters.c
        self.conn.execute(delete(s.rate_counters).where(c.window_start < window_start))


@dataclass(frozen=True, slots=True)
class FeatureRow:
    at: datetime
    dob_hash: str
    surname_hash: str
    off_hours: bool


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    jurisdiction: str
    user_id: str
    patterns: tuple[str, ...]
    created_at: datetime
    throttled_until: datetime
    states: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Screening:
    """What the guard needs to screen one inquiry (see EnumerationRepository.screen)."""

    jurisdiction: str
    user_id: str
    credential_id: int
    now: datetime
    since: datetime  # the detection window's start
    windows: Sequence[tuple[str, int]]  # rate counters to hit; none when counted elsewhere
    feature: tuple[str, str, bool] | None  # a search's (dob hash, surname hash, off hours)
    purge: bool = False  # also delete features older than ``since``


@dataclass(frozen=True, slots=True)
class Screen:
    throttled_until: tuple[datetime | None, datetime | None]  # the user's, the credential's
    counts: list[int]  # each counter after this hit, in ``Screening.windows`` order
    features: list[FeatureRow]  # the user's recent features, before this inquiry's
    outcomes: tuple[int, int]  # (inquiries, misses) in the window


def _feature_params(q: Screening) -> dict[str, Any]:
    assert q.feature is not None
    dob_hash, surname_hash, off_hours = q.feature
    return {"j": q.jurisdiction, "u": q.user_id, "at": q.now, "dob_hash": dob_hash,
            "surname_hash": surname_hash, "off_hours": int(off_hours)}  # fmt: skip


def screen_batch(q: Screening) -> list[tuple[PgStatement, dict[str, Any]]]:
    """The statements of EnumerationRepository.screen on PostgreSQL, in its order."""
    who = {"j": q.jurisdiction, "u": q.user_id}
    batch = [(_PG["throttled"], {**who, "cred": q.credential_id, "now": q.now})]
    if q.windows:
        batch.append((_PG["increment"], {"keys": [k for k, _ in q.windows],
                                         "windows": [w for _, w in q.windows]}))  # fmt: skip
    if q.feature is not None:
        batch += [(_PG["features"], {**who, "since": q.since}),
                  (_PG["outcomes"], {**who, "since": q.since}),
                  (_PG["add_feature"], _feature_params(q))]  # fmt: skip
        if q.purge:
            batch.append((_PG["purge_features"], {"before": q.since}))
    return batch


class EnumerationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def screen(self, q: Screening) -> Screen:
        """Everything the guard reads and writes before an inquiry, in one round trip on
        PostgreSQL (a pipeline) and statement by statement on SQLite, in the order below:
        the throttle check, the rate counters' hit, the user's recent features and
        outcomes, then the inquiry's own feature (and the purge of expired ones)."""
        if self.conn.dialect.name == "postgresql":
            return self._screen_pg(q)
        until = self.throttled_until(q.jurisdiction, q.user_id, q.credential_id, q.now)
        counts = RateCounterRepository(self.conn).increment(q.windows) if q.windows else []
        if q.feature is None:
            return Screen(until, counts, [], (0, 0))
        features = self.features(q.jurisdiction, q.user_id, q.since)
        outcomes = self.outcomes(q.jurisdiction, q.user_id, q.since)
        self.conn.execute(_ADD_FEATURE, _feature_params(q))
        if q.purge:
            self.conn.execute(_PURGE_FEATURES, {"before": q.since})
        return Screen(until, counts, features, outcomes)

    def _screen_pg(self, q: Screening) -> Screen:
        rows = iter(run_pipelined(self.conn, screen_batch(q)))
        user, credential = next(rows)[0]
        counted = {(r[0], int(r[1])): int(r[2]) for r in next(rows)} if q.windows else {}
        counts = [counted[w] for w in q.windows]
        if q.feature is None:
            return Screen((user, credential), counts, [], (0, 0))
        features = [FeatureRow(r[0], r[1], r[2], bool(r[3])) for r in next(rows)]
        n, misses = next(rows)[0]
        return Screen((user, credential), counts, features, (int(n), int(misses)))

    def take_back_feature(self, jurisdiction: str, user_id: str, at: datetime) -> None:
        """Remove the feature :meth:`screen` recorded for an inquiry refused after all."""
        self.conn.execute(_TAKE_BACK_FEATURE, {"j": jurisdiction, "u": user_id, "at": at})

    def features(self, jurisdiction: str, user_id: str, since: datetime) -> list[FeatureRow]:
        rows = self.conn.execute(_FEATURES, {"j": jurisdiction, "u": user_id, "since": since})
        return [FeatureRow(r.at, r.dob_hash, r.surname_hash, bool(r.off_hours)) for r in rows]

    def outcomes(self, jurisdiction: str, user_id: str, since: datetime) -> tuple[int, int]:
        """(inquiries, misses) of the user since ``since``, from the inquiries table."""
        row = self.conn.execute(_OUTCOMES, {"j": jurisdiction, "u": user_id,
                                            "since": since}).one()  # fmt: skip
        return int(row[0]), int(row[1])

    def throttled_until(self, jurisdiction: str, user_id: str, credential_id: int,
                        now: datetime) -> tuple[datetime | None, datetime | None]:  # fmt: skip
        """Until when the user, and the whole credential, are paused (None: not paused)."""
        row = self.conn.execute(_THROTTLED, {"j": jurisdiction, "u": user_id,
                                             "cred": credential_id, "now": now}).one()  # fmt: skip
        return row[0], row[1]

    def flagged_users(self, credential_id: int, since: datetime) -> int:
        c = s.enumeration_alerts.c
        q = select(func.count(func.distinct(c.user_id))).where(
            c.credential_id == credential_id, c.created_at >= since, ~c.user_id.like("credential:%")
        )
        return int(self.conn.execute(q).scalar_one())

    def add_alert(self, alert_id: str, jurisdiction: str, user_id: str, credential_id: int,
                  patterns: Sequence[str], at: datetime, until: datetime,
                  states: Iterable[str]) -> None:  # fmt: skip
        self.conn.execute(insert(s.enumeration_alerts).values(
            alert_id=alert_id, jurisdiction=jurisdiction, user_id=user_id,
            credential_id=credential_id, patterns=",".join(patterns)[:200], created_at=at,
            throttled_until=until))  # fmt: skip
        codes = sorted(set(states))
        if codes:
            self.conn.execute(
                insert(s.enumeration_alert_states),
                [{"alert_id": alert_id, "jurisdiction": j} for j in codes],
            )

    def alerts_for(self, jurisdiction: str, limit: int = 200) -> list[AlertRow]:
        a, st = s.enumeration_alerts.c, s.enumeration_alert_states.c
        ids = select(st.alert_id).where(st.jurisdiction == jurisdiction)
        rows = self.conn.execute(
            select(s.enumeration_alerts).where(a.alert_id.in_(ids))
            .order_by(a.created_at.desc()).limit(limit)).all()  # fmt: skip
        states: dict[str, list[str]] = {}
        if rows:
            for r in self.conn.execute(
                select(st.alert_id, st.jurisdiction).where(
                    st.alert_id.in_([r.alert_id for r in rows])
                )
            ):
                states.setdefault(r.alert_id, []).append(r.jurisdiction)
        return [AlertRow(r.alert_id, r.jurisdiction, r.user_id, tuple(r.patterns.split(",")),
                         r.created_at, r.throttled_until, tuple(sorted(states.get(r.alert_id, []))))
                for r in rows]  # fmt: skip

    def touched_states(self, jurisdiction: str, user_id: str, since_us: int) -> set[str]:
        """States the user's inquiries touched since ``since_us``, read from the audit log:
        every entry by a user of ``jurisdiction`` is indexed under it."""
        import json

        aj, ae = t.audit_entry_jurisdictions.c, t.audit_entries.c
        rows = self.conn.execute(
            select(ae.leaf_data).join(t.audit_entry_jurisdictions, aj.seq == ae.seq)
            .where(aj.jurisdiction == jurisdiction, ae.time_us >= since_us))  # fmt: skip
        touched: set[str] = set()
        for (leaf,) in rows:
            d = json.loads(leaf)
            actor = d.get("actor", {})
            if (
                actor.get("user") == user_id
                and actor.get("jurisdiction") == jurisdiction
                and d.get("action") == "inquiry.search"
                and d.get("result_count", 0) > 0
            ):
                touched.update(d.get("jurisdictions", {}))
        return touched


@dataclass(frozen=True, slots=True)
class OutsideRow:
    request_id: str
    requester: str
    legal_basis: str
    kind: str
    individuals: int
    gag_until: date | None
    registered_by: str
    registered_at: datetime
    outcome: str
    decided_by: str | None
    decided_at: datetime | None
    decision_basis: str | None
    overruled: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NoticeRow:
    request_id: str
    jurisdiction: str
    held_until: date | None
    sent_at: datetime | None
    objection_deadline: datetime | None
    objection: str | None
    objected_by: str | None
    objected_at: datetime | None


def _outside(r: Any) -> OutsideRow:
    m = r._mapping
    return OutsideRow(
        **{f: m[f] for f in OutsideRow.__dataclass_fields__ if f != "overruled"},
        overruled=tuple(x for x in (m["overruled"] or "").split(",") if x),
    )


def _notice(r: Any) -> NoticeRow:
    m = r._mapping
    return NoticeRow(**{f: m[f] for f in NoticeRow.__dataclass_fields__})


class OutsideRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, row: OutsideRow, scope: Sequence[tuple[str, str]],
            notices: Sequence[NoticeRow]) -> None:  # fmt: skip
        values = {f: getattr(row, f) for f in OutsideRow.__dataclass_fields__}
        values["overruled"] = ",".join(row.overruled)
        self.conn.execute(insert(s.outside_requests).values(**values))
        if scope:
            self.conn.execute(insert(s.outside_scope), [
                {"request_id": row.request_id, "pointer_id": p, "jurisdiction": j}
                for p, j in scope])  # fmt: skip
        if notices:
            self.conn.execute(
                insert(s.outside_notices),
                [{f: getattr(n, f) for f in NoticeRow.__dataclass_fields__} for n in notices],
            )

    def get(self, request_id: str, lock: bool = False) -> OutsideRow | None:
        q = select(s.outside_requests).where(s.outside_requests.c.request_id == request_id)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return _outside(row) if row else None

    def all(self, limit: int = 200) -> list[OutsideRow]:
        q = select(s.outside_requests).order_by(s.outside_requests.c.id.desc()).limit(limit)
        return [_outside(r) for r in self.conn.execute(q)]

    def notices(self, request_id: str) -> list[NoticeRow]:
        c = s.outside_notices.c
        q = select(s.outside_notices).where(c.request_id == request_id).order_by(c.jurisdiction)
        return [_notice(r) for r in self.conn.execute(q)]

    def notices_for(self, jurisdiction: str) -> list[NoticeRow]:
        """Notices actually sent to ``jurisdiction`` (held ones stay invisible to it)."""
        c = s.outside_notices.c
        q = (
            select(s.outside_notices)
            .where(c.jurisdiction == jurisdiction, c.sent_at.is_not(None))
            .order_by(c.sent_at.desc())
        )
        return [_notice(r) for r in self.conn.execute(q)]

    def scope(self, request_id: str, jurisdiction: str | None = None) -> list[tuple[str, str]]:
        c = s.outside_scope.c
        q = select(c.pointer_id, c.jurisdiction).where(c.request_id == request_id)
        if jurisdiction is not None:
            q = q.where(c.jurisdiction == jurisdiction)
        return [(r.pointer_id, r.jurisdiction) for r in self.conn.execute(q.order_by(c.pointer_id))]

    def due_notices(self, today: date) -> list[NoticeRow]:
        c = s.outside_notices.c
        q = select(s.outside_notices).where(c.sent_at.is_(None), c.held_until <= today)
        return [_notice(r) for r in self.conn.execute(q)]

    def send(self, request_id: str, jurisdiction: str, at: datetime, deadline: datetime) -> None:
        c = s.outside_notices.c
        self.conn.execute(update(s.outside_notices)
                          .where(c.request_id == request_id, c.jurisdiction == jurisdiction,
                                 c.sent_at.is_(None))
                          .values(sent_at=at, objection_deadline=deadline))  # fmt: skip

    def object(self, request_id: str, jurisdiction: str, reason: str, by: str,
               at: datetime) -> None:  # fmt: skip
        c = s.outside_notices.c
        self.conn.execute(update(s.outside_notices)
                          .where(c.request_id == request_id, c.jurisdiction == jurisdiction)
                          .values(objection=reason, objected_by=by, objected_at=at))  # fmt: skip

    def decide(self, request_id: str, outcome: str, by: str, at: datetime, basis: str,
               overruled: Sequence[str]) -> None:  # fmt: skip
        c = s.outside_requests.c
        self.conn.execute(update(s.outside_requests).where(c.request_id == request_id).values(
            outcome=outcome, decided_by=by, decided_at=at, decision_basis=basis,
            overruled=",".join(sorted(overruled))))  # fmt: skip


class TransparencyRepository:
    """Counts only: the report is public and carries no personal data."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def inquiries(self, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
        c = t.inquiries.c
        q = (
            select(c.jurisdiction, c.purpose, func.count())
            .where(c.created_at >= start, c.created_at < end)
            .group_by(c.jurisdiction, c.purpose)
            .order_by(c.jurisdiction, c.purpose)
        )
        return [(r[0], r[1], int(r[2])) for r in self.conn.execute(q)]

    def outside(self, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
        c = s.outside_requests.c
        q = (
            select(c.kind, c.outcome, func.count())
            .where(c.registered_at >= start, c.registered_at < end)
            .group_by(c.kind, c.outcome)
            .order_by(c.kind, c.outcome)
        )
        return [(r[0], r[1], int(r[2])) for r in self.conn.execute(q)]

    def gagged_notices(self, start: datetime, end: datetime) -> tuple[int, int]:
        """(notices delayed by a gag order, of which still held) for requests of the period."""
        n, r = s.outside_notices.c, s.outside_requests.c
        q = (
            select(func.count(), func.coalesce(func.sum((n.sent_at.is_(None)).cast(Integer)), 0))
            .select_from(s.outside_notices.join(s.outside_requests, n.request_id == r.request_id))
            .where(n.held_until.is_not(None), r.registered_at >= start, r.registered_at < end)
        )
        row = self.conn.execute(q).one()
        return int(row[0]), int(row[1])

    def alerts(self, start: datetime, end: datetime) -> list[tuple[str, int]]:
        c = s.enumeration_alerts.c
        q = (
            select(c.jurisdiction, func.count())
            .where(c.created_at >= start, c.created_at < end)
            .group_by(c.jurisdiction)
            .order_by(c.jurisdiction)
        )
        return [(r[0], int(r[1])) for r in self.conn.execute(q)]
