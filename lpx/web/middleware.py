"""The console's cookie and response headers, applied to ``/console`` paths only.

The API is untouched: its callers send a key per request and get no cookie. The cookie is
signed (itsdangerous), HttpOnly, SameSite=Strict, scoped to ``/console`` and Secure when the
request came over https (``uvicorn --proxy-headers`` behind a TLS terminator).
"""

from __future__ import annotations

import secrets
import threading

from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PREFIX = "/console"
COOKIE = "lpx_console"


def content_security_policy(connect: tuple[str, ...] = ()) -> str:
    """Scripts and styles from the hub only (no inline script anywhere); charts are SVG
    images in data: URLs; forms post back to the hub; no framing."""
    extra = "".join(f" {origin}" for origin in connect)
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{extra}; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'none'")  # fmt: skip


class ConsoleMiddleware:
    """Session cookie plus security headers for the console; other paths pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._plain: SessionMiddleware | None = None
        self._secure: SessionMiddleware | None = None
        self._csp = content_security_policy()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_console(scope["path"]):
            await self.app(scope, receive, send)
            return
        plain, secure = self._sessions(scope)
        inner = secure if scope.get("scheme") == "https" else plain
        await inner(scope, receive, self._with_headers(send))

    def _sessions(self, scope: Scope) -> tuple[SessionMiddleware, SessionMiddleware]:
        """Built on first use: the secret comes from the hub's settings, which a hub-less
        app (the route inventory in tests) never reads."""
        with self._lock:
            if self._plain is None or self._secure is None:
                settings = scope["app"].state.hub.settings
                configured = settings.console_session_secret
                secret = configured.get_secret_value() if configured else secrets.token_hex(32)
                origins = tuple(sorted({_origin(u) for u in
                                        settings.console_tokenizer_urls.values()}))  # fmt: skip
                self._csp = content_security_policy(origins)
                common = {"secret_key": secret, "session_cookie": COOKIE, "max_age": None,
                          "path": PREFIX, "same_site": "strict"}  # fmt: skip
                self._plain = SessionMiddleware(self.app, https_only=False, **common)  # type: ignore[arg-type]
                self._secure = SessionMiddleware(self.app, https_only=True, **common)  # type: ignore[arg-type]
            return self._plain, self._secure

    def _with_headers(self, send: Send) -> Send:
        csp = self._csp

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = csp
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["X-Content-Type-Options"] = "nosniff"
                headers.setdefault("Cache-Control", "no-store")  # pages hold personal data
            await send(message)

        return send_with_headers


def _is_console(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
