"""Which webhook URLs the hub may call: https to public addresses only (SSRF protection).

A state registers a URL and the hub POSTs to it from inside its own network, so an unchecked
URL would let a state make the hub reach internal services (cloud metadata at 169.254.169.254,
an admin port on localhost). The URL must be https, carry no credentials, and its host must
resolve only to global addresses. The operator's allow-list (``LPX_WEBHOOK_ALLOW_HOSTS``)
admits named hosts over http and at private addresses (a receiver on 127.0.0.1 in tests). The
check runs at registration and again before every delivery, since DNS answers change; the
delivery client follows no redirects.

A delivery connects to the address the check approved (:class:`WebhookTarget`), never to a
second answer for the name: otherwise a host whose DNS answers a public address to the check
and 169.254.169.254 a moment later (DNS rebinding) would pass. The name still goes in the
Host header and in TLS, so the receiver's certificate is verified against it.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from lpx.services.errors import InvalidRequest

Resolver = Callable[[str, int], Sequence[str]]


class UnsafeWebhookUrl(InvalidRequest):
    """A webhook URL the hub refuses to call (answered as a 422 problem)."""

    title = "Webhook URL refused"


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (IP literals resolve to themselves)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where a checked URL is delivered: ``url`` with its host replaced by the approved
    address, the ``host`` header it named, and the ``server_name`` its TLS certificate must
    carry (None over http)."""

    url: str
    host: str
    server_name: str | None


def _pinned(parts: SplitResult, host: str, address: str) -> WebhookTarget:
    ip = f"[{address}]" if ":" in address else address
    netloc = f"{ip}:{parts.port}" if parts.port else ip
    return WebhookTarget(parts._replace(netloc=netloc).geturl(), parts.netloc,
                         host if parts.scheme == "https" else None)  # fmt: skip


class WebhookUrlGuard:
    def __init__(self, allow_hosts: frozenset[str] = frozenset(),
                 resolver: Resolver = resolve) -> None:  # fmt: skip
        self.allow_hosts = frozenset(h.lower() for h in allow_hosts)
        self._resolve = resolver

    def check(self, url: str) -> WebhookTarget:
        """The URL pinned to an address it resolves to; :class:`UnsafeWebhookUrl` with a
        reason a state administrator can act on when any of its addresses is refused."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeWebhookUrl(f"The webhook URL is malformed ({exc}).") from None
        host = (parts.hostname or "").lower()
        if not host:
            raise UnsafeWebhookUrl("The webhook URL names no host.")
        allowed = host in self.allow_hosts
        if parts.scheme != "https" and not (parts.scheme == "http" and allowed):
            raise UnsafeWebhookUrl("The webhook URL must use https.")
        if parts.username is not None or parts.password is not None:
            raise UnsafeWebhookUrl("The webhook URL must not carry a user name or password.")
        try:
            addresses = self._resolve(host, port or (443 if parts.scheme == "https" else 80))
        except (OSError, UnicodeError):
            raise UnsafeWebhookUrl(f"The webhook host {host} does not resolve.") from None
        if not addresses:
            raise UnsafeWebhookUrl(f"The webhook host {host} does not resolve.")
        refused = [a for a in addresses if a.lower() not in self.allow_hosts and not _public(a)]
        if refused and not allowed:
            raise UnsafeWebhookUrl(
                f"The webhook host {host} resolves to a private, loopback or link-local "
                f"address ({refused[0]}); the hub calls public addresses only."
            )
        return _pinned(parts, host, addresses[0])
