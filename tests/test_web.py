"""The web page through Starlette's TestClient: every route, its form, its errors.

Generation uses the real pipeline with espeak-ng (pyttsx3), which speaks the
tiny routine in a second or two. The browser tests (real chromium) are in
test_web_browser.py; access rules (Host, token, cross-site forms, sizes) in
test_web_access.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from mutagen.id3 import ID3

import audioguide as ag
from audioguide.web import store
from webtools import ESPEAK, TINY, client_for, make_web, upload, wait_for_job


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    web = make_web(tmp_path_factory.mktemp("data"))
    yield web
    web.jobs.close()


@pytest.fixture(scope="module")
def client(web):
    with client_for(web) as client:
        yield client


@pytest.fixture(scope="module")
def tiny(client):
    """The tiny routine, uploaded once for the module."""
    assert upload(client, "tiny.yaml", TINY).status_code == 303
    return "tiny"


def error_of(html: str) -> str:
    match = re.search(r'role="alert"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no error shown on the page"
    return match.group(1).strip().replace("&#39;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


def test_the_routine_list_shows_every_bundled_routine_and_the_upload_form(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for summary in ag.list_routines():
        assert f'href="/routines/{summary.name}"' in page.text
        assert summary.title in page.text and ag.fmt_clock(summary.total_ms) in page.text
    assert 'action="/upload"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert "audioguide serve --lan" in page.text  # how to reach it from a phone


def test_the_routine_form_is_made_from_its_declared_options_and_settings(client):
    page = client.get("/routines/foot-massage").text
    routine = ag.load_routine("foot-massage")
    for name, spec in routine.options.items():
        select = re.search(rf'<select id="f-{name}" name="{name}">(.*?)</select>', page, re.S).group(1)
        assert re.findall(r'<option value="([^"]+)"', select) == list(spec.choices)
        assert f'<option value="{spec.default}" selected>' in select
    for name, spec in routine.settings.items():
        field = re.search(rf'<input id="f-{name}" name="{name}" type="number"[^>]*>', page, re.S).group(0)
        assert f'min="{spec.min:g}"' in field and f'max="{spec.max:g}"' in field
        assert ('step="1"' if spec.unit == "count" else 'step="any"') in field
        assert f'value="{spec.default:g}"' in field
        assert spec.help.replace("'", "&#39;") in page
    for name in ("pace", "length", "chimes", "voice", "format", "listener", "preset_name"):
        assert f'name="{name}"' in page
    assert "<optgroup label=\"pyttsx3\">" in page and f'value="{ESPEAK}"' in page
    assert re.search(r"About 1[0-9]:\d\d with these settings", page)


def test_the_form_keeps_values_from_the_address_and_shows_a_bad_one_with_its_field(client):
    page = client.get("/routines/foot-massage?tender_hold=20&feet=left&pace=slow")
    assert page.status_code == 200
    assert re.search(r'name="tender_hold" type="number" inputmode="decimal" value="20"', page.text)
    assert '<option value="left" selected>' in page.text and '<option value="slow" selected>' in page.text
    bad = client.get("/routines/foot-massage?tender_hold=2000")
    assert bad.status_code == 400
    assert error_of(bad.text) == "tender_hold: must be 10..120 seconds, got 2000"
    assert re.search(r'<div class="field bad">\s*<label for="f-tender_hold">', bad.text)
    words = client.get("/routines/foot-massage?tender_hold=long")
    assert words.status_code == 400 and "tender_hold: must be a number of seconds" in error_of(words.text)


def test_unknown_pages_are_clear_404_pages(client):
    for url in ("/routines/no-such-routine", "/nothing/here", "/sessions/0123456789abcdef", "/jobs/nope"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "<h1>Not found</h1>" in page.text and "Traceback" not in page.text
    assert client.get("/upload").status_code == 405
    assert "does not take that kind of request" in client.get("/upload").text


def test_the_script_preview_lists_every_cue_and_can_make_that_session(client):
    page = client.get("/routines/foot-massage/script?tender_hold=20&chimes=false")
    assert page.status_code == 200
    routine = ag.load_routine("foot-massage")
    script = ag.compile_script(routine, ag.resolve_settings(routine, sets=["tender_hold=20"], chimes=False))
    rows = re.findall(r'<tr class="(say|pause|chime|chapter)">', page.text)
    assert len(rows) == len(list(script)) + 1  # every cue, and the end
    assert "chime</td>" not in page.text  # chimes off
    assert ag.fmt_clock(script.total_ms) in page.text
    assert '<input type="hidden" name="tender_hold" value="20">' in page.text
    back = re.search(r'href="(/routines/foot-massage\?[^"]+)">Change the settings', page.text).group(1)
    assert "tender_hold=20" in back and "chimes=false" in back
    bad = client.get("/routines/foot-massage/script?pace=warp")
    assert bad.status_code == 400 and error_of(bad.text).startswith("pace: must be slow, normal, fast")


def test_an_uploaded_routine_is_listed_shown_and_its_source_served_as_text(client, tiny):
    assert 'href="/routines/tiny"' in client.get("/").text
    page = client.get("/routines/tiny?note=uploaded")
    assert "Tiny massage" in page.text and "Uploaded." in page.text
    source = client.get("/routines/tiny/source")
    assert source.text == TINY.decode() and source.headers["content-type"].startswith("text/plain")
    assert client.get("/routines/foot-massage/source").status_code == 404
    again = upload(client, "Tiny.YAML", TINY)
    assert again.headers["location"] == "/routines/tiny?note=replaced"
    accented = upload(client, "Ünïcødé 🦵 name.yaml", TINY)  # letters transliterated, not dropped
    assert accented.headers["location"] == "/routines/unicode-name?note=uploaded"
    assert client.post("/routines/unicode-name/delete").status_code == 303


def test_a_broken_upload_shows_the_loaders_own_located_message(client, tmp_path, monkeypatch):
    broken = TINY.replace(b"max: 20, unit: seconds, help: Hold.", b"max: 20, unit: minutes, help: Hold.")
    page = upload(client, "broken.yaml", broken)
    assert page.status_code == 400
    (tmp_path / "broken.yaml").write_bytes(broken)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ag.BadInputError) as cli_error:
        ag.load_routine("broken.yaml")  # what `audioguide script broken.yaml` says
    assert error_of(page.text) == str(cli_error.value) == "broken.yaml:8: settings.hold.unit: must be seconds or count, got 'minutes'"
    assert 'href="/routines/broken"' not in client.get("/").text


@pytest.mark.parametrize("name, data, status, message", [
    ("binary.yaml", b"title: x\x00\x01", 400, "binary.yaml: is a binary file, not YAML text"),
    ("latin.yaml", "title: caf\u00e9".encode("latin-1"), 400, "latin.yaml:1: not valid UTF-8 text"),
    ("alias.yaml", b"a: &x [1]\nb: *x\n", 400, "alias.yaml:2"),
    ("notes.pdf", b"%PDF-1.4", 400, "upload a routine (.yaml or .yml) or a plain-text guide (.txt or .md, or a saved web page: .html)"),
    ("empty.txt", b"", 400, "empty.txt: is empty"),
    ("blob.md", b"\x89PNG\r\n\x1a\n\x00\x00", 400, "blob.md:"),
    ("big.txt", b"Press your thumb. " * 20_000, 400, "big.txt: 360,000 bytes is too big for a guide"),
    ("chatter.txt", b"The weather was nice. We had tea.\n", 400, "chatter.txt: no instructions found"),
    ("foot-massage.yaml", TINY, 400, "'foot-massage' is a bundled routine's name"),
    ("!!!.yaml", TINY, 400, "the file's name needs a letter or a digit"),
    ("huge.yaml", b"#" * (store.MAX_UPLOAD_BYTES + 1), 413, "the limit is 1,000,000"),
])
def test_bad_uploads_are_refused_with_one_clear_line(client, name, data, status, message):
    page = upload(client, name, data)
    assert page.status_code == status
    assert message in error_of(page.text)
    assert "Traceback" not in page.text


def test_a_plain_text_guide_is_drafted_into_a_routine_by_the_draft_commands_own_function(client, web):
    guide = (Path(__file__).parent / "data" / "guides" / "calf-cramp.txt").read_bytes()
    page = upload(client, "Calf cramp.txt", guide)
    assert page.status_code == 303 and page.headers["location"] == "/routines/calf-cramp?note=drafted"
    stored = client.get("/routines/calf-cramp/source").text
    assert stored == ag.draft_routine(guide, display="Calf cramp.txt")  # exactly what `audioguide draft` writes
    assert "# CHECK:" in stored
    shown = client.get(page.headers["location"])
    assert shown.status_code == 200 and "Drafted from your guide" in shown.text
    routine = web.data.load("calf-cramp")
    assert client.get("/routines/calf-cramp/script").status_code == 200 and routine.steps
    assert client.post("/routines/calf-cramp/delete").status_code == 303
    page = upload(client, "Neck Stretches.html", (Path(__file__).parent / "data" / "pages" / "neck-stretches.html").read_bytes())
    assert page.headers["location"] == "/routines/neck-stretches?note=drafted"  # a saved web page is a guide too
    assert "<p>" not in client.get("/routines/neck-stretches/source").text
    assert client.post("/routines/neck-stretches/delete").status_code == 303


def test_an_upload_with_no_file_and_past_the_count_limit_are_refused(client, monkeypatch, tiny):
    empty = client.post("/upload", files={"file": ("", b"", "application/octet-stream")})
    assert empty.status_code == 400 and error_of(empty.text) == "Choose a file to upload first."
    monkeypatch.setattr(store, "MAX_ROUTINES", 1)
    full = upload(client, "another.yaml", TINY)
    assert full.status_code == 409 and "1 uploaded routines, the most this page keeps" in error_of(full.text)
    assert upload(client, "tiny.yaml", TINY).status_code == 303  # replacing one is always possible


def test_a_routine_whose_text_looks_like_a_template_is_shown_as_text(client):
    hostile = (b"title: \"{{ 7*7 }} <script>alert(1)</script>\"\ndescription: \"{% include 'base.html' %}\"\n"
               b"steps:\n  - say: \"<b>Bold</b> & more\"\n")
    assert upload(client, "hostile.yaml", hostile).status_code == 303
    page = client.get("/routines/hostile").text
    assert "{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "49" not in page and "{% include &#39;base.html&#39; %}" in page
    script = client.get("/routines/hostile/script").text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; more" in script
    assert client.post("/routines/hostile/delete").status_code == 303
    assert client.get("/routines/hostile").status_code == 404


def test_deleting_a_bundled_or_unknown_thing_is_a_clear_4xx_page(client, web):
    bundled = client.post("/routines/foot-massage/delete")
    assert bundled.status_code == 409
    assert error_of(bundled.text) == "'foot-massage' is a bundled routine: only uploaded routines can be deleted."
    assert ag.load_routine("foot-massage") and "foot-massage" in web.data.bundled()
    for url, message in (("/routines/nonexist/delete", "There is no uploaded routine called 'nonexist'."),
                         ("/routines/..x/delete", "There is no uploaded routine called '..x'."),
                         ("/presets/nobody/delete", "There is no such preset."),
                         ("/sessions/0123456789abcdef/delete", "There is no such session")):
        page = client.post(url)
        assert page.status_code == 404, url
        assert error_of(page.text).startswith(message) and "Traceback" not in page.text
    assert error_of(client.get("/routines/no-such-routine").text) == "There is no routine called 'no-such-routine'."


def test_presets_save_reload_list_and_delete(client, web, tiny):
    form = {"routine": "tiny", "preset_name": "Anna, left foot", "feet": "left", "hold": "7", "pace": "slow",
            "length": "", "chimes": "false", "voice": ESPEAK, "format": "m4b", "listener": "Anna"}
    saved = client.post("/presets", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == "/routines/tiny?preset=anna-left-foot&note=saved"
    assert (web.data.presets / "anna-left-foot.yaml").is_file()
    page = client.get(saved.headers["location"]).text
    assert "Preset saved." in page and 'value="Anna, left foot"' in page
    for selected in ('value="left" selected', 'value="slow" selected', 'value="false" selected',
                     f'value="{ESPEAK}" selected', 'value="m4b" selected'):
        assert selected in page
    assert re.search(r'name="hold" type="number" inputmode="decimal" value="7"', page)
    assert 'name="listener" type="text" value="Anna"' in page
    preset = ag.load_preset(web.data.presets, "anna-left-foot")
    assert preset.timings["hold"] == 7 and preset.timings["chimes"] is False and preset.listener == "Anna"
    index = client.get("/").text
    assert 'href="/routines/tiny?preset=anna-left-foot"' in index and "for Anna" in index
    assert client.post("/presets/anna-left-foot/delete").status_code == 303
    assert "anna-left-foot" not in client.get("/").text
    assert client.get("/routines/tiny?preset=anna-left-foot").status_code == 400


@pytest.mark.parametrize("change, message", [
    ({"preset_name": "  "}, "preset: name: must not be empty"),
    ({"preset_name": "x" * 81}, "preset: name: is 81 characters; the limit is 80"),
    ({"hold": "99"}, "hold: must be 1..20 seconds, got 99"),
    ({"voice": "espeak:nobody"}, "voice: 'espeak:nobody' is not an installed voice"),
    ({"format": "flac"}, "format: must be one of mp3, m4b, ogg, wav"),
    ({"listener": "a" * 81}, "listener: a name of at most 80 characters"),
])
def test_a_bad_preset_is_refused_on_the_form(client, tiny, change, message):
    form = {"routine": "tiny", "preset_name": "P", "hold": "2", "voice": ESPEAK, **change}
    page = client.post("/presets", data=form)
    assert page.status_code == 400 and message in error_of(page.text)


def test_generate_makes_a_session_the_player_plays_with_chapters_transcript_and_downloads(client, web, tiny):
    form = {"hold": "3", "feet": "both", "voice": ESPEAK, "format": "m4b", "listener": "Anna Smïth"}
    queued = client.post("/routines/tiny/generate", data=form)
    assert queued.status_code == 303 and queued.headers["location"].startswith("/jobs/")
    job = client.get(queued.headers["location"])
    assert job.status_code == 200 and 'data-status-url="' in job.text
    status = wait_for_job(client, queued.headers["location"])
    assert status["state"] == "done", status
    player = client.get(status["session_url"]).text
    sid = status["session_url"].rsplit("/", 1)[1]
    assert f'<audio id="player" controls preload="metadata" src="/sessions/{sid}/files/tiny-anna-smith.mp3"' in player
    assert "Tiny massage, for Anna Smïth" in player  # and its file name: tiny-anna-smith, the ï transliterated
    script = json.loads((web.data.sessions / sid / "tiny-anna-smith.json").read_text())
    starts = re.findall(r'class="seek" data-start="(\d+)"', player)
    assert [int(s) for s in starts] == [c["start_ms"] for c in script["chapters"]]
    assert re.findall(r'data-start="\d+" data-end="\d+"><span class="time">[0-9:]+</span> ([^<]+)</li>', player) == [
        "Sit comfortably.", "Press your right heel.", "Press your left heel.", "All done."]
    downloads = re.findall(r'href="/sessions/[0-9a-f]+/files/([^"?]+)\?download=1"', player)
    assert downloads == ["tiny-anna-smith.mp3", "tiny-anna-smith.m4b", "tiny-anna-smith.vtt", "tiny-anna-smith.json"]
    mp3 = web.data.sessions / sid / "tiny-anna-smith.mp3"
    assert str(ID3(mp3)["TIT2"]) == "Tiny massage, for Anna Smïth"
    assert abs(script["chapters"][1]["start_ms"] - script["chapters"][0]["end_ms"]) == 0
    assert sid in client.get("/sessions").text and sid in client.get("/").text


def test_the_script_preview_is_measured_once_the_voice_has_spoken_every_line(client, web, tiny):
    preview = f"/routines/tiny/script?hold=4&voice={ESPEAK}"
    before = client.get(preview).text
    assert "timed from the text" in before and "measured:" not in before
    status = wait_for_job(client, client.post("/routines/tiny/generate", data={"hold": "4", "voice": ESPEAK})
                          .headers["location"])
    sid = status["session_url"].rsplit("/", 1)[1]
    made = json.loads((web.data.sessions / sid / "tiny.json").read_text())
    after = client.get(preview).text
    assert f"{ag.fmt_clock(made['total_ms'])} in all, measured:" in after
    says = [ag.fmt_clock(c["start_ms"]) for c in made["cues"] if c["type"] == "say"]
    assert re.findall(r'<tr class="say"><td>([0-9:]+)</td>', after) == says
    unknown = client.get("/routines/tiny/script?hold=4&voice=piper:nobody")  # refused, as generate refuses it
    assert unknown.status_code == 400 and error_of(unknown.text) == "voice: 'piper:nobody' is not an installed voice"


def test_session_files_answer_range_requests_and_download_as_attachments(client, web, tiny):
    status = wait_for_job(client, client.post("/routines/tiny/generate", data={"voice": ESPEAK}).headers["location"])
    base = f"{status['session_url']}/files/tiny.mp3"
    path = web.data.sessions / status["session_url"].rsplit("/", 1)[1] / "tiny.mp3"
    whole = client.get(base)
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/mpeg"
    assert whole.content == path.read_bytes() and whole.headers["accept-ranges"] == "bytes"
    part = client.get(base, headers={"range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == path.read_bytes()[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{path.stat().st_size}"
    assert client.get(base, headers={"range": "bytes=999999999-"}).status_code == 416
    download = client.get(f"{base}?download=1")
    assert download.headers["content-disposition"] == 'attachment; filename="tiny.mp3"'
    assert client.head(base).status_code == 200
    assert client.get(f"{status['session_url']}/files/tiny.vtt").headers["content-type"].startswith("text/vtt")


def test_nothing_outside_a_sessions_listed_files_is_served(client, web, tiny):
    status = wait_for_job(client, client.post("/routines/tiny/generate", data={"voice": ESPEAK}).headers["location"])
    sid = status["session_url"].rsplit("/", 1)[1]
    folder = web.data.sessions / sid
    for name in ("meta.json", "..%2F..%2Froutines%2Ftiny.yaml", "%2E%2E", "tiny.wav", "%2Fetc%2Fpasswd"):
        assert client.get(f"/sessions/{sid}/files/{name}").status_code == 404, name
    assert client.get(f"/sessions/..%2Froutines/files/tiny.yaml").status_code == 404
    assert client.get("/static/../store.py").status_code == 404
    assert client.get("/static/%2E%2E/store.py").status_code == 404
    (folder / "tiny.vtt").unlink()
    (folder / "tiny.vtt").symlink_to("/etc/passwd")  # a listed name that is not a plain file inside
    assert client.get(f"/sessions/{sid}/files/tiny.vtt").status_code == 404


def test_a_bad_generate_request_returns_to_the_form_with_the_reason(client, tiny):
    for form, message in (({"hold": "0.5"}, "hold: must be 1..20 seconds, got 0.5"),
                          ({"voice": "piper:nobody"}, "voice: 'piper:nobody' is not an installed voice"),
                          ({"length": "0.01"}, "length: must be a number of minutes 1..600, got 0.01"),
                          ({"position": "bed"}, "position: must be one of chair, floor, got 'bed'"),
                          ({"listener": "Anna\nSmith" * 20}, "listener:")):
        page = client.post("/routines/tiny/generate", data=form)
        assert page.status_code == 400, form
        assert message in error_of(page.text)
    assert client.post("/routines/nope/generate", data={}).status_code == 404


def test_a_session_that_cannot_be_made_is_refused_on_the_form_before_it_is_queued(client, web, monkeypatch):
    queued = []
    monkeypatch.setattr(web.jobs, "submit", lambda *args, real=web.jobs.submit: queued.append(real(*args)) or queued[-1])
    preview = client.get("/routines/foot-massage/script?length=1")
    page = client.post("/routines/foot-massage/generate", data={"length": "1", "voice": ESPEAK})
    assert preview.status_code == page.status_code == 400
    assert error_of(page.text) == error_of(preview.text)
    assert error_of(page.text).startswith("length: a 1-minute session cannot be made: with these settings it can last")
    assert 'name="length" type="number" inputmode="decimal" value="1"' in page.text  # the form keeps the value
    assert queued == []  # it took none of the waiting places


def test_sessions_are_deleted_and_only_the_most_recent_kept(client, web, tiny, monkeypatch):
    monkeypatch.setattr(store, "MAX_SESSIONS", 2)
    made = [wait_for_job(client, client.post("/routines/tiny/generate", data={"voice": ESPEAK, "hold": str(h)})
                         .headers["location"])["session_url"].rsplit("/", 1)[1] for h in (4, 5)]
    kept = [s.id for s in web.data.list_sessions()]
    assert kept == made[::-1]
    assert not list(web.data.sessions.glob(".new-*"))
    assert client.post(f"/sessions/{made[0]}/delete").headers["location"] == "/sessions"
    assert [s.id for s in web.data.list_sessions()] == [made[1]]
    assert client.get(f"/sessions/{made[0]}").status_code == 404


def test_an_internal_error_is_a_plain_500_page_without_a_traceback(web, monkeypatch):
    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(web.data, "list_sessions", boom)
    with client_for(web, raise_server_exceptions=False) as client:
        page = client.get("/sessions")
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    assert "Traceback" not in page.text and "disk on fire" not in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"


def test_every_page_carries_the_security_headers(client):
    for url in ("/", "/routines/foot-massage", "/static/app.css", "/nowhere"):
        headers = client.get(url).headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'self' covers it
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_the_qr_code_is_only_for_a_lan_server_and_only_to_its_own_pages(client, tmp_path):
    assert client.get("/qr.svg").status_code == 404  # 127.0.0.1 only: no phone link
    web = make_web(tmp_path / "lan", lan=True, token="t0ken", phone_url="http://192.0.2.7:8765")
    with client_for(web, base_url="http://192.0.2.7:8765", cookies={"audioguide_token": "t0ken"}) as lan:
        svg = lan.get("/qr.svg?path=/sessions/0123456789abcdef")
        assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
        assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
        for path in ("//evil.example/", "/../x", "javascript:alert(1)", "/upload"):
            assert lan.get("/qr.svg", params={"path": path}).status_code == 400, path
        assert 'src="/qr.svg?path=/"' in lan.get("/").text
    web.jobs.close()


def test_the_web_package_uses_only_the_public_api():
    import ast

    root = Path(ag.__file__).parent / "web"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("audioguide"):
                raise AssertionError(f"{path.name} imports {node.module}: use `import audioguide as ag`")
            if isinstance(node, ast.ImportFrom) and node.level > 1:
                raise AssertionError(f"{path.name} reaches outside the web package")
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ag":
                assert node.attr in ag.__all__ or node.attr == "__version__", f"{path.name}: ag.{node.attr}"


def test_the_readme_section_names_every_serve_option_and_the_real_limits():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The web page"):]
    section = section[: section.index("\n## ", 1)]
    from click.testing import CliRunner

    from audioguide.cli import cli
    from audioguide.web import app, forms, jobs

    help_text = CliRunner().invoke(cli, ["serve", "--help"]).output
    options = set(re.findall(r"(--[a-z]+)", help_text)) - {"--help"}
    assert options == set(re.findall(r"^\| `(--[a-z]+)", section, re.M))
    for figure in (f"{store.MAX_UPLOAD_BYTES:,} bytes", f"at most {app.MAX_BODY:,}", f"| {store.MAX_ROUTINES} (",
                   f"| presets | {store.MAX_PRESETS} |", f"the {store.MAX_SESSIONS} most recent",
                   f"| {jobs.MAX_WAITING} behind", f"{forms.MAX_FIELD} characters", f"listener name {forms.MAX_LISTENER}"):
        assert figure in section, figure
    assert f"--port N` | the port (default {8765}" in section
