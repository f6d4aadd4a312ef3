"""The web page in a real browser: Debian's chromium, headless, driven by Playwright.

One server (uvicorn on 127.0.0.1, a free port, in --lan mode so the access
token and the QR codes are part of it) and one browser for the module. A
person uploads a routine, changes a setting, reads the script, makes the
session (waiting in the queue behind another), plays it for a few seconds,
jumps to a chapter and downloads the MP3. Each page is photographed at phone
and desktop width into build/screenshots/. Only loopback is ever connected to;
the phone link in the QR codes is drawn, never opened.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from audioguide.web.app import create_app
from audioguide.web.server import bind, lan_address
from helpers import TINY_ROUTINE
from test_web_access import blocking_job
from webtools import ESPEAK, make_web

CHROMIUM = "/usr/bin/chromium"
#: Our pages' Content-Security-Policy stays on: waits are functions ("() => ..."), never strings to eval.
#: Flags for a sandboxed, offline headless chromium (it must fetch nothing: no updates, no sync).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
TOKEN = "browser-test-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, Web) of a real uvicorn server on 127.0.0.1 serving a temp data folder."""
    import uvicorn

    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    address = lan_address()
    web = make_web(tmp_path_factory.mktemp("data"), lan=True, token=TOKEN,
                   phone_url=f"http://{address}:{port}" if address else None)
    server = uvicorn.Server(uvicorn.Config(create_app(web), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", web
    server.should_exit = True
    thread.join(10)
    web.jobs.close()
    sock.close()


@pytest.fixture(scope="module")
def page(server):
    """One chromium page, already holding the access token's cookie."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: ./scripts/setup piper,web,dev installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="audioguide-chromium-")  # a new, empty --user-data-dir
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=FLAGS, accept_downloads=True,
            viewport=SIZES["desktop"])
        page = context.new_page()
        page.set_default_timeout(30_000)
        base, _web = server
        page.goto(f"{base}/?token={TOKEN}")
        assert page.url == f"{base}/"  # the token moved into a cookie and out of the address bar
        yield page
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def shoot(page, name: str) -> None:
    """A full-page screenshot at phone and at desktop width: build/screenshots/NAME-{phone,desktop}.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.screenshot(path=SHOTS / f"{name}-{label}.png", full_page=True)
    page.set_viewport_size(SIZES["desktop"])


def current_time(page) -> float:
    return page.evaluate("document.getElementById('player').currentTime")


def test_a_person_makes_a_session_listens_jumps_to_a_chapter_and_downloads_it(page, server, tmp_path):
    base, web = server
    shoot(page, "1-routines")
    upload = tmp_path / "tiny.yaml"
    upload.write_text(TINY_ROUTINE)
    page.set_input_files("input[name=file]", str(upload))
    page.click("form[action='/upload'] button")
    page.wait_for_url(f"{base}/routines/tiny?note=uploaded")

    page.fill("#f-hold", "3")  # change a setting
    page.select_option("#f-voice", ESPEAK)
    shoot(page, "2-routine")
    page.click("#preview")
    page.wait_for_url("**/routines/tiny/script?*")
    table = page.inner_text("#script")
    assert "Press your left heel." in table and "pause 2.4 s (fixed)" in table  # hold 3 s: its chime, then 2.4 s
    shoot(page, "3-script")

    release = threading.Event()
    web.jobs.submit("someone else's session", blocking_job(release))  # ours waits behind it
    page.click("#generate")
    page.wait_for_url("**/jobs/*")
    page.wait_for_function("() => document.getElementById('stage').textContent.includes('1 ahead of this one')")
    shoot(page, "4-job")
    release.set()
    page.wait_for_url("**/sessions/*", timeout=120_000)  # the page follows the job to the player by itself
    assert page.evaluate("navigator.mediaSession.metadata.title") == "Tiny massage"
    chapters = [text.split(" ", 1)[1] for text in page.locator("#chapters button").all_inner_texts()]
    assert chapters == ["Start", "Right foot", "Left foot", "End"]

    page.click("#chapters li:first-child button")  # plays from the start
    right_heel = int(page.locator("#transcript li").nth(1).get_attribute("data-start")) / 1000
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {max(3.0, right_heel + 0.3)}",
                           timeout=20_000)
    assert page.evaluate("document.getElementById('player').paused") is False
    assert page.inner_text("#transcript li.now").endswith("Press your right heel.")
    shoot(page, "5-player")

    left = page.locator("#chapters button", has_text="Left foot")
    start = int(left.get_attribute("data-start")) / 1000
    left.click()  # a chapter jump: the browser seeks with a Range request
    page.wait_for_function(f"() => Math.abs(document.getElementById('player').currentTime - {start}) < 1.5")
    page.wait_for_selector("#chapters button[aria-current='true']:has-text('Left foot')", timeout=5_000)
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {start + 2}", timeout=20_000)
    assert page.inner_text("#transcript li.now").endswith("Press your left heel.")

    with page.expect_download() as download:
        page.click("#downloads a:has-text('MP3')")
    saved = tmp_path / "download.mp3"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "tiny.mp3"
    session = web.data.list_sessions()[0]
    assert saved.read_bytes() == (web.data.sessions / session.id / "tiny.mp3").read_bytes()


def test_the_other_pages_at_phone_and_desktop_width(page, server):
    base, _web = server
    page.goto(f"{base}/sessions")
    assert page.locator("#sessions li").count() >= 1
    shoot(page, "6-sessions")
    page.goto(f"{base}/routines/foot-massage")
    shoot(page, "7-foot-massage")
    response = page.goto(f"{base}/routines/no-such-routine")
    assert response.status == 404 and page.inner_text("h1") == "Not found"
    shoot(page, "8-not-found")
    for name in SIZES:
        for shot in ("1-routines", "2-routine", "3-script", "4-job", "5-player", "6-sessions", "7-foot-massage"):
            assert (SHOTS / f"{shot}-{name}.png").stat().st_size > 10_000
