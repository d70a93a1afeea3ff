"""The state administrator: who searched the state's records, alerts, outside requests and
their deadlines, inquiries over time, and whether the audit log verifies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response

from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.web.audit_view import inquiry_charts, inquiry_entries, inquiry_rows, verify
from lpx.web.routing import ActorDep, ConsoleRoute, hub_of, render
from lpx.web.views import purpose_label, when

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True)
class AlertView:
    when: str
    user: str
    patterns: str
    throttled_until: str
    states: str


@dataclass(frozen=True, slots=True)
class NoticeView:
    request_id: str
    requester: str
    kind: str
    legal_basis: str
    received: str
    deadline: str
    objection: str
    outcome: str
    pointers: int


def _watch(hub: Hub, actor: Actor) -> dict[str, Any]:
    """Alerts and outside-request notices: the part of the page that is polled."""
    alerts = [AlertView(when(a.created_at), a.user_id, ", ".join(p.replace("_", " ")
                        for p in a.patterns), when(a.throttled_until), ", ".join(a.states))
              for a in hub.safeguards.alerts.alerts(actor)]  # fmt: skip
    notices = [NoticeView(n.request.request_id, n.request.requester,
                          purpose_label(n.request.kind), n.request.legal_basis,
                          when(n.notice.sent_at), when(n.notice.objection_deadline),
                          n.notice.objection or "", purpose_label(n.request.outcome),
                          len(n.pointer_ids))
               for n in hub.safeguards.outside.notices(actor)]  # fmt: skip
    return {"alerts": alerts, "notices": notices}


@router.get("/admin")
def dashboard(request: Request, actor: ActorDep) -> Response:
    hub = hub_of(request)
    watch = _watch(hub, actor)
    entries = inquiry_entries(hub.audit, actor)
    return render(request, "admin.html", actor, **watch, inquiries=inquiry_rows(entries),
                  charts=inquiry_charts(entries),
                  verification=verify(hub.audit, actor, hub.settings.data_dir))  # fmt: skip


@router.get("/admin/watch")
def watch(request: Request, actor: ActorDep) -> Response:
    """The alerts and notices fragment that the dashboard polls (htmx)."""
    return render(request, "admin_watch.html", actor, **_watch(hub_of(request), actor))
