"""Signed webhooks against a real HTTP receiver on 127.0.0.1: signature, retry after a 500,
no redirects, no double sending by two workers, the pull feed as the lossless fallback, the
SSRF refusals, and delivery over TLS to the address the guard approved (DNS rebinding)."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from helpers import auth, pointer
from sqlalchemy import Engine, select

from lpx.api.app import create_app
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub, build_hub
from lpx.config import Settings
from lpx.services.notifications import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    NotificationService,
    notify,
    verify_signature,
)
from lpx.services.webhook_urls import UnsafeWebhookUrl, WebhookUrlGuard
from lpx.storage import workflow_tables as w
from lpx.storage.uow import UnitOfWork

PUBLIC_IP = "93.184.215.14"  # a global address; registering it needs no DNS and sends nothing


class Receiver:
    """A tiny webhook receiver: records every request, answers from a script (then 200)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.script: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append((self.path, dict(self.headers), body))
                    status = receiver.script.pop(0) if receiver.script else 200
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.requests]


def _serve(r: Receiver) -> Iterator[Receiver]:
    thread = threading.Thread(target=r.server.serve_forever, daemon=True)
    thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    yield from _serve(Receiver())


HOOK_HOST = "hooks.lpx.test"  # resolves nowhere: only a pinned delivery can reach it


def _certificate(tmp_path: Path, name: str) -> Path:
    """A self-signed certificate (and its key) for ``name``, as one PEM file."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))  # fmt: skip
    pem = tmp_path / f"{name}.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))  # fmt: skip
    return pem


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[tuple[Receiver, Path]]:
    """A receiver over https whose certificate names HOOK_HOST, with that certificate."""
    pem = _certificate(tmp_path, HOOK_HOST)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    for r in _serve(Receiver(context)):
        yield r, pem


@pytest.fixture
def webhook_hub(clean_engine: Engine, tmp_path: Path) -> Hub:
    """A hub whose operator allow-lists 127.0.0.1 (the receiver), as tests need."""
    settings = Settings(database_url=str(clean_engine.url), data_dir=tmp_path / "hub",
                        webhook_allow_hosts="127.0.0.1", webhook_interval=0.05)  # fmt: skip
    hub = build_hub(settings, engine=clean_engine)
    for code in ("CA", "NY"):
        hub.access.add_jurisdiction(code, code)
    return hub


def register(client: TestClient, hub: Hub, url: str, code: str = "CA") -> Any:
    admin = hub.access.issue_credential(code, "admin", [Role.STATE_ADMIN])
    return client.put("/v1/notifications/webhook", json={"url": url}, headers=auth(admin))


def queue(hub: Hub, count: int, code: str = "CA") -> None:
    with UnitOfWork(hub.engine) as uow:
        for i in range(count):
            notify(uow, code, "test.event", f"ref-{i}", {"n": i})
        uow.commit()


def test_signed_delivery_retried_after_a_500(webhook_hub: Hub, receiver: Receiver) -> None:
    svc = webhook_hub.workflows.notifications
    with TestClient(create_app(webhook_hub)) as client:
        secret = register(client, webhook_hub, receiver.url).json()["secret"]
    queue(webhook_hub, 2)
    receiver.script = [500, 500]
    now = datetime.now(UTC)
    assert svc.deliver_due(now) == 0
    assert len(receiver.requests) == 2
    assert svc.deliver_due(now) == 0  # backing off: nothing is due yet
    assert len(receiver.requests) == 2
    assert svc.deliver_due(now + timedelta(hours=1)) == 2
    assert [b["seq"] for b in receiver.bodies()] == [1, 2, 1, 2]
    for path, headers, body in receiver.requests:
        assert path == "/hook"
        assert verify_signature(secret, headers[TIMESTAMP_HEADER], body,
                                headers[SIGNATURE_HEADER])  # fmt: skip
        assert not verify_signature("0" * 64, headers[TIMESTAMP_HEADER], body,
                                    headers[SIGNATURE_HEADER])  # fmt: skip
        assert headers[DELIVERY_HEADER] == f"CA-{json.loads(body)['seq']}"
    assert svc.deliver_due(now + timedelta(days=1)) == 0  # delivered once, not again


def test_redirects_are_not_followed(webhook_hub: Hub, receiver: Receiver) -> None:
    with TestClient(create_app(webhook_hub)) as client:
        register(client, webhook_hub, receiver.url)
    queue(webhook_hub, 1)
    receiver.script = [302]
    assert webhook_hub.workflows.notifications.deliver_due() == 0
    assert [path for path, _, _ in receiver.requests] == ["/hook"]
    assert _last_error(webhook_hub) == "HTTP 302: redirects are not followed"


def test_the_app_runs_the_worker_when_enabled(webhook_hub: Hub, receiver: Receiver) -> None:
    """LPX_WEBHOOKS=1: the lifespan starts the worker; a transfer reaches CA's receiver."""
    webhook_hub.settings.webhooks = True
    ca = webhook_hub.access.issue_credential("CA", "records", [Role.RECORDS])
    ny = webhook_hub.access.issue_credential("NY", "records", [Role.RECORDS])
    with TestClient(create_app(webhook_hub)) as client:
        register(client, webhook_hub, receiver.url)
        old = client.put("/v1/pointers/records/C1", json=pointer("C1"), headers=auth(ca)).json()
        moved = client.post("/v1/transfers", headers=auth(ny), json={
            "pointer_id": old["pointer_id"], "record_id": "N1", "card_type": "DL",
            "real_id": True})  # fmt: skip
        assert moved.status_code == 201, moved.text
        deadline = time.monotonic() + 30
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [(b["jurisdiction"], b["kind"]) for b in receiver.bodies()] == \
        [("CA", "transfer.requested")]  # fmt: skip


def test_two_workers_never_send_one_notification_twice(
    webhook_hub: Hub, receiver: Receiver
) -> None:
    """Two hub processes' workers (two services over the database) share the queue."""
    with TestClient(create_app(webhook_hub)) as client:
        register(client, webhook_hub, receiver.url)
    queue(webhook_hub, 30)
    receiver.delay = 0.01
    guard = WebhookUrlGuard(frozenset({"127.0.0.1"}))
    workers = [NotificationService(lambda: UnitOfWork(webhook_hub.engine), guard=guard)
               for _ in range(2)]  # fmt: skip
    counts: list[int] = []

    def run(svc: NotificationService) -> None:
        for _ in range(5):
            counts.append(svc.deliver_due(limit=5))

    threads = [threading.Thread(target=run, args=(svc,)) for svc in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seqs = sorted(b["seq"] for b in receiver.bodies())
    assert seqs == list(range(1, 31))  # every one, each exactly once
    assert sum(counts) == 30


def test_an_offline_state_catches_up_from_the_feed(webhook_hub: Hub, receiver: Receiver) -> None:
    """Deliveries to a state that is down give up after max_attempts; the pull feed, read
    on from a cursor, still has every notification in order."""
    svc = webhook_hub.workflows.notifications
    svc.max_attempts = 2
    records = webhook_hub.access.issue_credential("CA", "records", [Role.RECORDS])
    with TestClient(create_app(webhook_hub)) as client:
        register(client, webhook_hub, receiver.url.replace("/hook", "/down"))
        receiver.script = [503] * 20
        queue(webhook_hub, 7)
        now = datetime.now(UTC)
        assert svc.deliver_due(now) == 0
        assert svc.deliver_due(now + timedelta(hours=1)) == 0
        assert svc.deliver_due(now + timedelta(days=1)) == 0  # given up: nothing due
        assert len(receiver.requests) == 14
        seen: list[int] = []
        cursor = 0
        while True:
            page = client.get(f"/v1/notifications?after={cursor}&limit=3",
                              headers=auth(records)).json()  # fmt: skip
            if not page["items"]:
                break
            seen += [n["seq"] for n in page["items"]]
            cursor = page["next_cursor"]
    assert seen == list(range(1, 8))


@pytest.mark.parametrize("url", [
    "http://example.com/hook",  # not https, host not allow-listed
    "https://127.0.0.1/hook",  # loopback (allow-listed only over http here: see below)
    "https://localhost/hook",
    "https://10.1.2.3/hook",
    "https://169.254.169.254/latest/meta-data",  # cloud metadata, link-local
    "https://[::1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    f"https://user:secret@{PUBLIC_IP}/hook",
    "https://no-such-host.invalid/hook",
])  # fmt: skip
def test_unsafe_webhook_urls_are_refused(hub: Hub, url: str) -> None:
    with TestClient(create_app(hub)) as client:
        resp = register(client, hub, url)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["title"] == "Webhook URL refused"


def test_public_https_is_accepted_and_loopback_only_when_allow_listed(hub: Hub) -> None:
    with TestClient(create_app(hub)) as client:
        assert register(client, hub, f"https://{PUBLIC_IP}/hook").status_code == 200
        assert register(client, hub, "http://127.0.0.1:9/hook").status_code == 422


def test_an_allow_listed_host_may_use_http(webhook_hub: Hub) -> None:
    with TestClient(create_app(webhook_hub)) as client:
        assert register(client, webhook_hub, "http://127.0.0.1:9/hook").status_code == 200


def test_a_host_that_turns_private_after_registration_is_not_called() -> None:
    """The check runs again before each delivery: DNS may answer differently by then."""
    answers = {"hooks.example.org": ["203.0.113.7"]}
    guard = WebhookUrlGuard(resolver=lambda host, port: answers[host])
    with pytest.raises(UnsafeWebhookUrl):  # 203.0.113.0/24 is documentation, not global
        guard.check("https://hooks.example.org/x")
    answers["hooks.example.org"] = [PUBLIC_IP]
    guard.check("https://hooks.example.org/x")
    answers["hooks.example.org"] = [PUBLIC_IP, "192.168.1.5"]
    with pytest.raises(UnsafeWebhookUrl, match=r"192\.168\.1\.5"):
        guard.check("https://hooks.example.org/x")


def test_a_delivery_goes_to_the_address_the_guard_approved(
    webhook_hub: Hub, tls_receiver: tuple[Receiver, Path]
) -> None:
    """The name is resolved once, by the guard, and the delivery connects to that answer:
    a second lookup by the HTTP client could get another (DNS rebinding). HOOK_HOST has no
    DNS answer at all here, so only a pinned delivery arrives; the name still goes in the
    Host header and in TLS, whose certificate check it must pass."""
    receiver, pem = tls_receiver
    port = receiver.server.server_address[1]
    url = f"https://{HOOK_HOST}:{port}/hook"
    looked_up: list[str] = []

    def resolver(host: str, _port: int) -> list[str]:
        looked_up.append(host)
        return ["127.0.0.1"]

    guard = WebhookUrlGuard(frozenset({HOOK_HOST}), resolver=resolver)
    target = guard.check(url)
    assert (target.url, target.host, target.server_name) == \
        (f"https://127.0.0.1:{port}/hook", f"{HOOK_HOST}:{port}", HOOK_HOST)  # fmt: skip
    looked_up.clear()
    with httpx.Client(verify=ssl.create_default_context(cafile=pem)) as http:
        svc = NotificationService(lambda: UnitOfWork(webhook_hub.engine), http=http,
                                  guard=guard)  # fmt: skip
        admin = Actor("CA", "admin", frozenset({Role.STATE_ADMIN}), 0)
        secret = svc.set_webhook(admin, url)
        queue(webhook_hub, 1)
        assert svc.deliver_due() == 1, _last_error(webhook_hub)
        # A certificate for another name is refused: TLS checks the name, not the address.
        other = WebhookUrlGuard(frozenset({"elsewhere.lpx.test"}), resolver=resolver)
        svc.guard = other
        svc.set_webhook(admin, url.replace(HOOK_HOST, "elsewhere.lpx.test"))
        queue(webhook_hub, 1)
        assert svc.deliver_due() == 0
        assert _last_error(webhook_hub) == "ConnectError"
    [(path, headers, body)] = receiver.requests
    assert path == "/hook"
    assert headers["Host"] == f"{HOOK_HOST}:{port}"
    assert verify_signature(secret, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert looked_up == [HOOK_HOST] * 2 + ["elsewhere.lpx.test"] * 2  # registration, delivery


def _last_error(hub: Hub) -> str | None:
    with hub.engine.connect() as conn:
        return conn.execute(select(w.notifications.c.last_error)
                            .order_by(w.notifications.c.seq.desc()).limit(1)).scalar_one()
