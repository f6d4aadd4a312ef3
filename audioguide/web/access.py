"""Who may talk to the server: the Host header, the LAN access token, same-site forms, request size.

- Host: only this machine's own names. On 127.0.0.1 that is ``127.0.0.1``,
  ``localhost`` or ``[::1]``; with ``--lan`` also any IP address literal. A
  DNS-rebinding page reaches the server under its own domain name, which is
  refused, so it can never read a response.
- With ``--lan``, every request needs the random token: in the URL once (the
  link and the QR code carry ``?token=``), then in an HttpOnly cookie; the
  token is removed from the address bar at once by a redirect.
- A form posted from another site (``Origin`` or ``Sec-Fetch-Site`` say so) is
  refused, so a web page cannot make this server queue sessions or delete presets.
- A POST must declare its length, at most ``max_body`` bytes (413 otherwise).

Every response gets a strict Content-Security-Policy (scripts, styles and
media only from this server), ``nosniff``, and referrers kept to this server.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Awaitable, Callable
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders, QueryParams
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_PARAM = "token"
COOKIE = "audioguide_token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # no-referrer would make browsers send "Origin: null" on our own forms
    "x-frame-options": "DENY",
}
ErrorPage = Callable[[Request, int, str, str], Awaitable[Response]]


def new_token() -> str:
    """A fresh access token: 128 random bits, URL-safe."""
    return secrets.token_urlsafe(16)


def host_name(host_header: str) -> str:
    """The name or address of a Host header, without its port or IPv6 brackets."""
    if host_header.startswith("["):
        return host_header[1:].partition("]")[0]
    return host_header.rpartition(":")[0] if host_header.count(":") == 1 else host_header


def allowed_host(host_header: str, lan: bool) -> bool:
    """True for this machine's loopback names, and with ``lan`` for any IP address literal."""
    name = host_name(host_header).lower()
    if name in LOOPBACK_NAMES:
        return True
    if not lan:
        return False
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def cross_site(headers: Headers) -> bool:
    """True when a browser says the request comes from a page of another site."""
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    return origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()


class Guard:
    """ASGI middleware applying the rules above before any route runs."""

    def __init__(self, app: ASGIApp, *, lan: bool, token: str | None, max_body: int, error_page: ErrorPage) -> None:
        self.app, self.lan, self.token, self.max_body, self.error_page = app, lan, token, max_body, error_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in SECURITY_HEADERS.items():
                    headers.setdefault(key, value)
            await send(message)

        response = await self.check(Request(scope))
        if response is not None:
            await response(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)

    async def check(self, request: Request) -> Response | None:
        """The refusal (or the token redirect) for ``request``, or None to let it through."""
        headers = request.headers
        if not allowed_host(headers.get("host", ""), self.lan):
            return await self.error_page(request, 400, "Wrong address",
                                         "This page answers only at this computer's own address.")
        if self.token is not None:
            given = request.query_params.get(TOKEN_PARAM)
            if given is not None and secrets.compare_digest(given.encode(), self.token.encode()):
                query = QueryParams([(k, v) for k, v in request.query_params.multi_items() if k != TOKEN_PARAM])
                target = request.url.path + (f"?{query}" if str(query) else "")
                redirect = RedirectResponse(target, status_code=303)
                redirect.set_cookie(COOKIE, self.token, httponly=True, samesite="lax", path="/")
                return redirect
            cookie = request.cookies.get(COOKIE, "")
            if not secrets.compare_digest(cookie.encode(), self.token.encode()):
                return await self.error_page(request, 403, "This page needs its link",
                                             "Open it with the full link or scan the QR code shown where "
                                             "audioguide serve was started (the link carries an access code).")
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            if cross_site(headers):
                return await self.error_page(request, 403, "Not from another site",
                                             "A page on another site cannot send forms to audioguide.")
            length = headers.get("content-length")
            if length is None or not length.isdigit():
                return await self.error_page(request, 411, "Length required",
                                             "Send the form from the page itself (its length is needed).")
            if int(length) > self.max_body:
                return await self.error_page(request, 413, "Too large",
                                             f"At most {self.max_body // 1000:,} kB can be sent at once.")
        return None
