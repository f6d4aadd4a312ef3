"""The ASGI application: routes, the access guard, static files and error pages.

``create_app(Web(...))`` gives a Starlette app; ``server.run`` serves it with
uvicorn and tests drive it with Starlette's TestClient.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

import audioguide as ag

from . import pages, sessions
from .access import SECURITY_HEADERS, Guard
from .render import Web, error_page
from .store import MAX_UPLOAD_BYTES

log = logging.getLogger("audioguide.web")
PACKAGE = resources.files("audioguide.web")
#: The largest request body: one upload plus its form's few fields.
MAX_BODY = MAX_UPLOAD_BYTES + 64_000


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    titles = {404: "Not found", 405: "Not allowed", 400: "Bad request"}
    # Starlette's own detail is the bare status phrase ("Not Found"); ours says what is missing.
    own = exc.detail and exc.detail != HTTPStatus(exc.status_code).phrase
    message = exc.detail if own else "There is no such page here."
    if exc.status_code == 405:
        message = "This address does not take that kind of request."
    return await error_page(request, exc.status_code, titles.get(exc.status_code, "Refused"), str(message))


async def library_error(request: Request, exc: Exception) -> Response:
    """An ``AudioguideError`` nobody caught: bad input is a 400, the rest a 500, both one line."""
    assert isinstance(exc, ag.AudioguideError)
    bad = isinstance(exc, ag.BadInputError)
    return await error_page(request, 400 if bad else 500, "That did not work" if bad else "Something failed", str(exc))


async def internal_error(request: Request, exc: Exception) -> Response:
    log.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    page = await error_page(request, 500, "Something went wrong",
                            "The server could not answer this request; the details are in its console.")
    # Starlette answers an unhandled exception outside every middleware, Guard's
    # headers included, so this page sets them itself.
    page.headers.update(SECURITY_HEADERS)
    return page


def create_app(web: Web) -> Starlette:
    """The application serving ``web``'s data folder."""
    routes = pages.routes() + sessions.routes()
    routes.append(Mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static"))
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, lan=web.lan, token=web.token, max_body=MAX_BODY, error_page=error_page)],
        exception_handlers={HTTPException: http_error, ag.AudioguideError: library_error,
                            Exception: internal_error},
    )
    app.state.web = web
    return app
