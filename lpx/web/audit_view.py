"""The state administrator's view of the audit log: who searched the state's records, and
whether the log the hub shows them is intact (checked with the state's own verifier).

Both read the same feed the API serves (``AuditService.feed``, authorized for the actor).
The verifier is ``lpx.audit.verifier.Verifier`` unchanged; its HTTP calls are answered in
process by the audit service with the signed-in actor, so it checks exactly what
``GET /v1/audit/*`` would return. This is the hub's own check, shown for convenience: a
state's independent assurance is ``lpx audit verify`` run on the state's machines.
"""

from __future__ import annotations

import base64
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx

from lpx.audit.entries import Action, AuditEntry, InvalidEntry
from lpx.audit.service import AuditService
from lpx.audit.signing import TreeHead
from lpx.audit.verifier import Report, Verifier
from lpx.auth.policy import Actor
from lpx.services.errors import ServiceError
from lpx.web.charts import Chart, stacked_bars
from lpx.web.views import purpose_label

PAGE = 500
MAX_PAGES = 40  # a console page reads at most 20,000 entries; older ones via the API
CHART_DAYS = 14
INQUIRIES = (Action.INQUIRY_SEARCH, Action.INQUIRY_STATUS)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class InquiryRow:
    when: str
    requesting_state: str
    user: str
    kind: str
    purpose: str
    results: int


def inquiry_entries(audit: AuditService, actor: Actor) -> list[AuditEntry]:
    """Inquiries (searches and status checks) among the entries touching the actor's state."""
    page = audit.feed(actor, actor.jurisdiction, -1, PAGE)
    size = page.head.size
    found: list[AuditEntry] = []
    for _ in range(MAX_PAGES):
        for item in page.items:
            try:
                entry = AuditEntry.from_leaf(item.leaf_data)
            except InvalidEntry:  # a damaged entry: the verifier on the same page reports it
                continue
            if entry.event.action in INQUIRIES:
                found.append(entry)
        if page.next_cursor is None:
            break
        page = audit.feed(actor, actor.jurisdiction, page.next_cursor, PAGE, size)
    return found


def inquiry_rows(entries: list[AuditEntry], limit: int = 100) -> list[InquiryRow]:
    """The most recent first."""
    return [InquiryRow(e.time.strftime("%Y-%m-%d %H:%M UTC"), e.event.actor_jurisdiction,
                       e.event.user_id,
                       "search" if e.event.action is Action.INQUIRY_SEARCH else "status",
                       purpose_label(e.event.purpose) or "—", e.event.result_count)
            for e in reversed(entries[-limit:])]  # fmt: skip


def inquiry_charts(entries: list[AuditEntry], today: date | None = None) -> list[Chart]:
    """Searches per day over the last two weeks, by purpose and by requesting state."""
    today = today or datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in range(CHART_DAYS - 1, -1, -1)]
    searches = [e for e in entries if e.event.action is Action.INQUIRY_SEARCH
                and e.time.date() >= days[0]]  # fmt: skip
    labels = [d.strftime("%m-%d") for d in days]
    charts = []
    for what, key in (("purpose", lambda e: purpose_label(e.event.purpose)),
                      ("requesting state", lambda e: e.event.actor_jurisdiction)):
        counts = Counter((key(e), e.time.date()) for e in searches)
        names = sorted({k for k, _ in counts}) or ["none"]
        series = {n: [counts.get((n, d), 0) for d in days] for n in names}
        charts.append(stacked_bars(
            f"Searches touching your records by {what}",
            f"Searches per day (UTC) over the last {CHART_DAYS} days, stacked by {what}; "
            f"{len(searches)} in all. The table below gives the same numbers.",
            "day", labels, series))  # fmt: skip
    return charts


class InProcessHub(httpx.BaseTransport):
    """Answers the verifier's three GETs from the audit service, as the API routes would."""

    def __init__(self, audit: AuditService, actor: Actor) -> None:
        self._audit = audit
        self._actor = actor

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        q = request.url.params
        try:
            if request.url.path == "/v1/audit/tree-head":
                return httpx.Response(200, json=self._head(self._audit.tree_head(self._actor)))
            if request.url.path == "/v1/audit/consistency":
                proof = self._audit.consistency(self._actor, int(q["from"]), int(q["to"]))
                return httpx.Response(200, json={"proof": [p.hex() for p in proof]})
            if request.url.path == "/v1/audit/entries":
                page = self._audit.feed(self._actor, q["jurisdiction"], int(q["after"]),
                                        int(q["limit"]), int(q["tree_size"]))  # fmt: skip
                return httpx.Response(200, json={
                    "tree_head": self._head(page.head),
                    "items": [{"seq": i.seq, "leaf_data": base64.b64encode(i.leaf_data).decode(),
                               "leaf_hash": i.leaf_hash.hex(), "proof": [p.hex() for p in i.proof]}
                              for i in page.items],
                    "next_cursor": page.next_cursor})  # fmt: skip
        except ServiceError as exc:
            return httpx.Response(exc.status, json={"detail": exc.detail})
        return httpx.Response(404, json={"detail": "not an audit route"})

    def _head(self, head: TreeHead) -> dict[str, object]:
        return {"size": head.size, "root_hash": head.root_hash.hex(), "time_us": head.time_us,
                "signature": head.signature.hex(),
                "public_key": self._audit.public_key().hex()}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    size: int | None
    checked: int
    pinned_now: bool
    findings: list[str]


def verify(audit: AuditService, actor: Actor, data_dir: Path) -> Verification:
    """Run the state's verifier; it remembers the last head it accepted per state, so each
    run checks the new entries and that the log only grew since."""
    state_file = data_dir / "console" / f"audit-verifier-{actor.jurisdiction}.json"
    with _locks_guard:
        lock = _locks.setdefault(actor.jurisdiction, threading.Lock())
    with lock, httpx.Client(transport=InProcessHub(audit, actor), base_url="http://hub") as http:
        report: Report = Verifier(http, actor.jurisdiction, state_file).run()
    return Verification(report.ok, report.head.size if report.head else None, report.checked,
                        report.pinned_now, [f.message for f in report.findings])  # fmt: skip
