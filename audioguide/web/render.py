"""What every route shares: the server's state (``Web``), the templates, and page rendering.

Templates are the package's own files, autoescaped; user text (a routine, a
name, an upload) is only ever a value inside them, never a template.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

import audioguide as ag

from .jobs import JobQueue
from .store import DataFolder


@dataclass
class Web:
    """Everything the routes share: the data folder, the job queue, and how the server is reached."""

    data: DataFolder
    jobs: JobQueue = field(default_factory=JobQueue)
    lan: bool = False
    token: str | None = None
    """The access token (with ``lan``); None on 127.0.0.1."""
    phone_url: str | None = None
    """``http://ADDRESS:PORT`` a phone on the same network opens (with ``lan``)."""
    _voices: list[ag.EngineInfo] | None = None
    _voices_lock: threading.Lock = field(default_factory=threading.Lock)

    def voices(self) -> list[ag.EngineInfo]:
        """The installed engines and voices, looked up once (starting an engine takes about a second)."""
        with self._voices_lock:
            if self._voices is None:
                self._voices = ag.list_voices()
            return self._voices

    def link(self, path: str) -> str | None:
        """The full link a phone opens for ``path`` (with the token), or None without ``lan``."""
        if self.phone_url is None:
            return None
        return f"{self.phone_url}{path}?token={self.token}" if self.token else f"{self.phone_url}{path}"


def templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("audioguide.web", "templates"),
        autoescape=True,  # every value is escaped: user text never becomes markup
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["fmt_clock"] = ag.fmt_clock
    env.filters["when"] = lambda t: time.strftime("%Y-%m-%d %H:%M", time.localtime(t))
    env.globals["version"] = ag.__version__
    return Jinja2Templates(env=env)


TEMPLATES = templates()


def page(request: Request, name: str, status_code: int = 200, **context: object) -> Response:
    """Render template ``name`` for ``request``."""
    web: Web = request.app.state.web
    return TEMPLATES.TemplateResponse(request, name, {"web": web, **context}, status_code=status_code)


async def error_page(request: Request, status: int, title: str, message: str) -> Response:
    """A clear page for a refused or failed request: a title, one line, and the way back."""
    return page(request, "error.html", status_code=status, title=title, message=message)


def web_of(request: Request) -> Web:
    """The server state behind ``request``."""
    return request.app.state.web
