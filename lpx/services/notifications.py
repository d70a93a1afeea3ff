"""Telling states what happened to them: a pull feed and optional signed webhooks.

Every notification is first a row in the state's feed (``GET /v1/notifications?after=``),
numbered without gaps in commit order, so a state that was offline reads on from its last
cursor and loses nothing. A state may also register a webhook: the delivery worker POSTs each
notification with an HMAC-SHA256 signature over ``<timestamp>.<body>`` and retries with
exponential backoff; delivery state lives in the notification row, so a restart resumes, and
rows are claimed under a lease (lpx/storage/webhook_deliveries.py), so several hub processes
never send one notification at the same time. URLs pass the SSRF guard
(lpx/services/webhook_urls.py) when registered and again before each delivery, which goes to
the address the guard approved.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.services.webhook_urls import UnsafeWebhookUrl, WebhookUrlGuard
from lpx.storage.uow import UnitOfWork
from lpx.storage.webhook_deliveries import DeliveryRepository
from lpx.storage.workflow_repositories import NotificationRow

log = logging.getLogger("lpx.notifications")
MAX_PAGE = 500
SIGNATURE_HEADER = "X-LPX-Signature"
TIMESTAMP_HEADER = "X-LPX-Timestamp"
DELIVERY_HEADER = "X-LPX-Delivery"  # <jurisdiction>-<seq>: receivers drop repeats by it


def sign_body(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, timestamp + "." + body); the timestamp lets a
    receiver refuse replays of old deliveries."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign_body(secret, timestamp, body), signature)


def notify(uow: UnitOfWork, jurisdiction: str, kind: str, ref: str,
           detail: dict[str, Any]) -> None:  # fmt: skip
    """Queue one notification in the caller's transaction (it commits with the change)."""
    notify_many(uow, jurisdiction, [(kind, ref, detail)])


def notify_many(uow: UnitOfWork, jurisdiction: str,
                items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:  # fmt: skip
    uow.notifications.add_many(jurisdiction, [(kind, ref, encode(detail))
                                              for kind, ref, detail in items])  # fmt: skip


def encode(detail: dict[str, Any]) -> str:
    """A notification's stored body; encode once when several states get the same detail."""
    return json.dumps(detail, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class Notification:
    seq: int
    kind: str
    ref: str
    detail: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, row: NotificationRow) -> Notification:
        return cls(row.seq, row.kind, row.ref, json.loads(row.body), row.created_at)

    def payload(self, jurisdiction: str) -> bytes:
        return json.dumps({"jurisdiction": jurisdiction, "seq": self.seq, "kind": self.kind,
                           "ref": self.ref, "detail": self.detail,
                           "created_at": self.created_at.isoformat()},
                          sort_keys=True, separators=(",", ":")).encode()  # fmt: skip


class NotificationService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork],
                 http: httpx.Client | None = None, backoff: float = 2.0,
                 max_attempts: int = 8, guard: WebhookUrlGuard | None = None,
                 lease: float = 60.0) -> None:  # fmt: skip
        self._uow = uow_factory
        self._http = http
        self.backoff = backoff
        self.max_attempts = max_attempts
        self.guard = guard or WebhookUrlGuard()  # bootstrap sets the operator's allow-list
        self.lease = lease  # seconds a claimed delivery is ours before others may retry it

    def feed(self, actor: Actor, after: int, limit: int) -> list[Notification]:
        """The actor's state's notifications numbered above ``after``, oldest first."""
        authorize(actor, Permission.NOTIFICATION_READ, actor.jurisdiction)
        with self._uow() as uow:
            rows = uow.notifications.page(actor.jurisdiction, after, max(1, min(limit, MAX_PAGE)))
        return [Notification.of(r) for r in rows]

    def set_webhook(self, actor: Actor, url: str) -> str:
        """Register (or replace) the state's webhook; returns the new signing secret, which
        is shown once. Undelivered notifications are queued for it."""
        authorize(actor, Permission.WEBHOOK_MANAGE, actor.jurisdiction)
        self.guard.check(url)
        secret = secrets.token_hex(32)
        with self._uow() as uow:
            uow.notifications.set_webhook(actor.jurisdiction, url, secret)
            uow.commit()
        return secret

    def deliver_due(self, now: datetime | None = None, limit: int = 100) -> int:
        """Send the due webhook deliveries this process claims; returns how many a receiver
        accepted (2xx). The HTTP calls happen outside any transaction; each outcome is then
        written back while the claim is still ours."""
        now = now or datetime.now(UTC)
        with self._uow() as uow:
            due = DeliveryRepository(uow.conn).claim(now, now + timedelta(seconds=self.lease),
                                                     limit)  # fmt: skip
            hooks = {j: uow.notifications.webhook(j) for j in {r.jurisdiction for r in due}}
            uow.commit()
        delivered = 0
        http = self._http or httpx.Client(timeout=10.0, follow_redirects=False)
        try:
            for row in due:
                hook = hooks.get(row.jurisdiction)
                error = "no webhook registered"
                if hook is not None:
                    error = self._send(http, hook.url, hook.secret, row)
                retry = (now + timedelta(seconds=self.backoff * 2 ** (row.attempts - 1))
                         if error and hook and row.attempts < self.max_attempts else None)
                with self._uow() as uow:
                    settled = DeliveryRepository(uow.conn).settle(
                        row, delivered_at=None if error else datetime.now(UTC),
                        retry_at=retry, error=error)  # fmt: skip
                    uow.commit()
                delivered += 1 if settled and not error else 0
        finally:
            if self._http is None:
                http.close()
        return delivered

    def _send(self, http: httpx.Client, url: str, secret: str, row: NotificationRow) -> str:
        """POST one delivery; "" when accepted, else a short reason (no response bodies)."""
        try:
            target = self.guard.check(url)  # the host may resolve elsewhere than at registration
        except UnsafeWebhookUrl:
            return "refused: unsafe webhook address"
        body = Notification.of(row).payload(row.jurisdiction)
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                   SIGNATURE_HEADER: sign_body(secret, ts, body),
                   DELIVERY_HEADER: f"{row.jurisdiction}-{row.seq}", "Host": target.host}
        tls = {"sni_hostname": target.server_name} if target.server_name else {}
        try:
            response = http.post(target.url, content=body, headers=headers,
                                 follow_redirects=False, extensions=tls)  # fmt: skip
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        if response.is_redirect:
            return f"HTTP {response.status_code}: redirects are not followed"
        return "" if response.is_success else f"HTTP {response.status_code}"


class WebhookWorker:
    """Runs :meth:`NotificationService.deliver_due` every ``interval`` seconds in a thread."""

    def __init__(self, service: NotificationService, interval: float = 2.0) -> None:
        self._service = service
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lpx-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._service.deliver_due()
            except Exception as exc:  # keep delivering; the rows keep their state
                log.warning("webhook delivery round failed: %s", type(exc).__name__)
