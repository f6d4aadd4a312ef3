"""``audioguide serve``: bind, say where the page is (a link, a QR code), serve with uvicorn until Ctrl-C."""

from __future__ import annotations

import errno
import io
import ipaddress
import signal
import socket
import threading
import time
import webbrowser
from typing import Callable

import psutil
import segno
import uvicorn

import audioguide as ag

from .access import new_token
from .app import create_app
from .render import Web
from .store import DataFolder


def run(*, port: int, lan: bool, open_browser: bool, data_dir: object, announce: Callable[[str], None] | None) -> None:
    """Serve until interrupted; ServeError when the port is taken or the data folder unusable."""
    say = announce or (lambda _line: None)
    data = DataFolder(data_dir)  # type: ignore[arg-type]
    sock = bind("0.0.0.0" if lan else "127.0.0.1", port)
    port = sock.getsockname()[1]
    token = new_token() if lan else None
    address = lan_address() if lan else None
    web = Web(data, lan=lan, token=token, phone_url=f"http://{address}:{port}" if address else None)
    local = f"http://127.0.0.1:{port}/" + (f"?token={token}" if token else "")
    say(f"audioguide: the page is at {local}")
    say(f"audioguide: data folder {data.root}")
    if lan:
        link = web.link("/")
        if link is None:
            say("audioguide: no network address found: only this computer can open the page")
        else:
            say(f"audioguide: on a phone on the same network, scan this or open {link}")
            say(terminal_qr(link))
    say("audioguide: Ctrl-C stops it")
    server = uvicorn.Server(uvicorn.Config(create_app(web), log_level="warning", lifespan="off"))
    if open_browser:
        threading.Thread(target=open_when_started, args=(server, local), daemon=True).start()
    # uvicorn shuts down gracefully on SIGINT and SIGTERM only; a hang-up (a closed terminal) goes the
    # same way. Raising the stop inside its event loop instead could leave its shutdown waiting for ever.
    hung_up: list[int] = []

    def hang_up(signum: int, _frame: object) -> None:
        hung_up.append(signum)
        server.handle_exit(signum, None)

    sighup = getattr(signal, "SIGHUP", None)
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(sighup, hang_up) if sighup is not None and main else None
    try:
        server.run(sockets=[sock])
    finally:
        if previous is not None:
            signal.signal(sighup, previous)
        web.jobs.close()
        sock.close()
    if hung_up:
        raise ag.Stopped(hung_up[0])  # the line and exit 129, as for every command


def bind(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``; ServeError naming the port when it is taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # from here on a browser's connection waits in the backlog until uvicorn accepts it
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ag.ServeError(f"port {port} is in use (is audioguide serve running already? "
                                f"try --port {port + 1})") from None
        raise ag.ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def lan_address() -> str | None:
    """This machine's IPv4 address on the local network (a private address first), or None."""
    up = {name for name, stats in psutil.net_if_stats().items() if stats.isup}
    found = []
    for name, addresses in psutil.net_if_addrs().items():
        for address in addresses:
            if name not in up or address.family != socket.AF_INET:
                continue
            ip = ipaddress.ip_address(address.address)
            if not (ip.is_loopback or ip.is_link_local):
                found.append((not ip.is_private, address.address))
    return min(found)[1] if found else None


def terminal_qr(link: str) -> str:
    """``link`` as a QR code drawn with block characters, for the terminal that started the server."""
    out = io.StringIO()
    segno.make(link, error="m").terminal(out=out, compact=True, border=2)
    return out.getvalue().rstrip("\n")


def open_when_started(server: uvicorn.Server, url: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    if server.started:
        webbrowser.open(url)
