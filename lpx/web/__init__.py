"""The web console: pages for clerks, records staff, state administrators and the public,
served by the hub itself (Jinja2 templates, htmx and pygal SVG charts vendored in the
package; no build step, nothing fetched at run time).

Pages call the same services as the API with the signed-in actor; access is decided by the
services through ``lpx.auth.policy.authorize``. ``install`` is the app's one hook.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from lpx.web.middleware import ConsoleMiddleware
from lpx.web.pages import admin, auth, clerk, public, records, uploads

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the console's routes, its static files and its cookie and header middleware."""
    for pages in (auth, clerk, records, admin, uploads, public):
        app.include_router(pages.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_middleware(ConsoleMiddleware)
