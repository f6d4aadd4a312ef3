"""`audioguide serve` as a user starts it: the real command, a real socket on 127.0.0.1, Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

import audioguide as ag
from helpers import BIN, run_cli


def start(*args: str, data) -> tuple[subprocess.Popen, str, list[str]]:
    """Start `audioguide serve --port 0 ARGS`; the process, its local link and the lines it printed first."""
    proc = subprocess.Popen([str(BIN / "audioguide"), "serve", "--port", "0", "--data", str(data), *args],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            env={**os.environ, "BROWSER": "true"})
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Ctrl-C stops it" in line:
            break
    link = next(re.search(r"the page is at (\S+)", l).group(1) for l in lines if "the page is at" in l)
    return proc, link, lines


def fetch(url: str, host: str | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGINT)
    rest = proc.stderr.read()
    return proc.wait(timeout=20), rest


def test_serve_answers_on_loopback_and_stops_on_ctrl_c(tmp_path):
    proc, link, lines = start(data=tmp_path / "data")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", link)
        assert f"audioguide: data folder {tmp_path / 'data'}" in lines
        status, body, _ = fetch(link)
        assert status == 200 and "Pick a routine" in body
        status, body, _ = fetch(link, host="evil.example")
        assert status == 400
    finally:
        code, rest = stop(proc)
    assert code in (0, 130) and "Traceback" not in rest


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_serve_stopped_by_sigterm_or_sighup_says_so_and_exits_128_plus_it(tmp_path, sig):
    # A service manager's stop: uvicorn shuts down gracefully, then the signal ends the command as for export.
    proc, link, _ = start(data=tmp_path / "data")
    try:
        assert fetch(link)[0] == 200
        proc.send_signal(sig)
        rest = proc.stderr.read()
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code == 128 + sig
    assert rest.splitlines() == [f"audioguide: stopped by {sig.name}"]


def test_serve_lan_prints_a_token_link_and_a_qr_code_and_asks_for_the_token(tmp_path):
    proc, link, lines = start("--lan", data=tmp_path / "data")
    try:
        token = re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=([\w-]{22})", link).group(1)
        base = link.split("?")[0]
        phone = [l for l in lines if "on a phone on the same network" in l or "no network address" in l]
        assert phone, lines
        if "scan this" in phone[0]:
            assert phone[0].endswith(f"?token={token}")
            assert any("▀" in l or "▄" in l for l in lines)  # the QR code, drawn in the terminal
        assert fetch(base)[0] == 403
        status, _, headers = fetch(link)
        assert status == 303 and headers["location"] == "/" and token in headers["set-cookie"]
    finally:
        code, rest = stop(proc)
    assert code in (0, 130) and "Traceback" not in rest


def test_a_taken_port_or_an_unusable_data_folder_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("serve", "--port", str(port), "--data", str(tmp_path / "d"))
    assert run.returncode == 1
    assert run.stderr == f"audioguide: error: port {port} is in use (is audioguide serve running already? try --port {port + 1})\n"
    assert run_cli("serve", "--port", "70000").returncode == 2


def test_an_unusable_data_folder_is_bad_input_exit_2(tmp_path):
    """What --data names is the person's input, whatever is wrong with it (the port in use is not: exit 1)."""
    (tmp_path / "file").write_text("x")
    run = run_cli("serve", "--port", "0", "--data", str(tmp_path / "file" / "sub"))
    assert run.returncode == 2 and run.stderr.startswith(f"audioguide: error: data folder {tmp_path / 'file' / 'sub'}: cannot write there")
    assert run.stderr.count("\n") == 1
    run = run_cli("serve", "--port", "0", "--data", "/dev/null")
    assert (run.returncode, run.stderr) == (2, "audioguide: error: data folder /dev/null: is not a folder; give a folder's path\n")
    assert run_cli("serve", "--port", "0", "--data", str(tmp_path / "file")).returncode == 2  # click says it is a file


def test_serve_help_names_every_option():
    run = run_cli("serve", "--help")
    for option in ("--port", "--lan", "--open", "--data"):
        assert option in run.stdout


def test_without_the_web_extra_serve_says_what_to_install():
    code = ("import sys; sys.modules['starlette'] = None\n"
            "import audioguide as ag\n"
            "try:\n    ag.serve(port=0)\nexcept ag.ServeError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("the web page needs the web extra (starlette is missing): pip install 'audioguide[web]'")
