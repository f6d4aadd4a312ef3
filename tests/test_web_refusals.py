"""The web page refuses what the CLI refuses, stores nothing it refused, and stays fast with what is stored.

Through Starlette's TestClient, as test_web.py: uploads that load but do not
compile, presets' values and routines, the script preview's voice, and long
file names.
"""

from __future__ import annotations

import re
import time

import pytest
import audioguide as ag
from helpers import run_cli
from webtools import TINY, client_for, make_web, upload

#: Loads, but three nested loops of 100 make a million cues.
DEEP = (b"title: Deep\nsteps: [{loop: {count: 100, steps: [{loop: {count: 100, steps: "
        b"[{loop: {count: 100, steps: [{say: hi}]}}]}}]}}]\n")
#: Loads, but 100 rounds of an hour's hold are 100 hours.
LONG = (b"title: Long\nsettings:\n  rest: {default: 3600, min: 1, max: 3600, unit: seconds, help: Rest.}\n"
        b"steps:\n  - loop:\n      count: 100\n      steps:\n        - say: Rest.\n        - hold: {seconds: rest}\n")


@pytest.fixture
def web(tmp_path):
    web = make_web(tmp_path / "data")
    yield web
    web.jobs.close()


@pytest.fixture
def client(web):
    with client_for(web) as client:
        yield client


def error_of(html: str) -> str:
    match = re.search(r'role="alert"[^>]*>(.*?)</p>', html, re.S)
    assert match, "no error shown on the page"
    return match.group(1).strip().replace("&#39;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


def cli_error(tmp_path, name: str, data: bytes) -> str:
    """What ``audioguide script NAME`` says of this file: its one line, without the prefix."""
    (tmp_path / name).write_bytes(data)
    result = run_cli("script", name, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == "", result
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    return result.stderr.strip().removeprefix("audioguide: error: ")


@pytest.mark.parametrize("name, data, says", [
    ("deep.yaml", DEEP, "would be more than 100,000 cues"),
    ("long.yaml", LONG, "longer than 10 hours"),
])
def test_an_upload_that_does_not_compile_is_refused_as_the_cli_refuses_it(client, web, tmp_path, name, data, says):
    page = upload(client, name, data)
    assert page.status_code == 400 and "Traceback" not in page.text
    assert error_of(page.text) == cli_error(tmp_path, name, data)
    assert says in error_of(page.text) and error_of(page.text).startswith(f"{name}:")
    assert list(web.data.routines.iterdir()) == []  # nothing stored
    assert f'href="/routines/{name[:-5]}"' not in client.get("/").text


def test_the_home_page_compiles_a_stored_routine_once_per_version_of_its_file(client, web, monkeypatch):
    for n in range(3):  # stored by hand, or by an older version that did not compile uploads
        (web.data.routines / f"deep-{n}.yaml").write_bytes(DEEP)
    assert upload(client, "tiny.yaml", TINY).status_code == 303
    compiled = []
    real = ag.compile_script
    monkeypatch.setattr(ag, "compile_script", lambda *a, **k: compiled.append(1) or real(*a, **k))
    first = client.get("/")
    assert first.status_code == 200 and first.text.count('class="card broken"') == 3
    assert "would be more than 100,000 cues" in first.text and len(compiled) == 4
    started = time.monotonic()
    for _ in range(5):
        assert client.get("/").text == first.text
    assert len(compiled) == 4 and time.monotonic() - started < 2  # nothing compiled again
    (web.data.routines / "deep-0.yaml").write_bytes(TINY.replace(b"Tiny massage", b"Mended"))
    again = client.get("/").text
    assert len(compiled) == 5 and again.count('class="card broken"') == 2 and "Mended" in again
    assert client.post("/routines/deep-1/delete").status_code == 303
    assert "deep-1" not in client.get("/").text and len(compiled) == 5


def test_a_preset_keeps_and_shows_a_duration_as_plain_seconds(client, web):
    form = {"routine": "foot-massage", "preset_name": "Jürgen", "tender_hold": "1:30", "length": "20:30"}
    saved = client.post("/presets", data=form)
    assert saved.status_code == 303 and saved.headers["location"] == "/routines/foot-massage?preset=jurgen&note=saved"
    assert "tender_hold: 90\n" in (web.data.presets / "jurgen.yaml").read_text(encoding="utf-8")
    assert 'name="length" type="number" inputmode="decimal" value="20.5"' in client.get(saved.headers["location"]).text
    assert ag.load_preset(web.data.presets, "jurgen").timings["tender_hold"] == 90
    shown = client.get(saved.headers["location"]).text
    assert re.search(r'name="tender_hold" type="number" inputmode="decimal" value="90"', shown)
    typed = client.get("/routines/foot-massage?tender_hold=1:30").text  # the form itself, from an address
    assert re.search(r'name="tender_hold" type="number" inputmode="decimal" value="90"', typed)
    edited = (web.data.presets / "jurgen.yaml").read_text(encoding="utf-8").replace("tender_hold: 90", "tender_hold: '1:30'")
    (web.data.presets / "jurgen.yaml").write_text(edited, encoding="utf-8")  # a preset file edited by hand
    shown = client.get("/routines/foot-massage?preset=jurgen")
    assert shown.status_code == 200
    assert re.search(r'name="tender_hold" type="number" inputmode="decimal" value="90"', shown.text)


def test_a_preset_is_opened_only_on_its_own_routine_and_not_linked_once_its_routine_is_gone(client, web):
    assert upload(client, "tiny.yaml", TINY).status_code == 303
    for routine, name in (("tiny", "Anna"), ("foot-massage", "Ben")):
        assert client.post("/presets", data={"routine": routine, "preset_name": name}).status_code == 303
    elsewhere = client.get("/routines/box-breathing?preset=ben")
    assert elsewhere.status_code == 404 and "Traceback" not in elsewhere.text
    assert error_of(elsewhere.text) == ("The preset 'Ben' is for the routine 'foot-massage', not 'box-breathing': "
                                        "open it from the list of presets.")
    assert 'href="/routines/tiny?preset=anna"' in client.get("/").text
    assert client.post("/routines/tiny/delete").status_code == 303
    index = client.get("/").text
    assert 'href="/routines/tiny?preset=anna"' not in index and 'href="/routines/foot-massage?preset=ben"' in index
    assert "its routine tiny is no longer here" in index
    assert 'action="/presets/anna/delete"' in index  # it can still be deleted
    assert upload(client, "tiny.yaml", TINY).status_code == 303  # uploaded again: the preset opens again
    assert 'href="/routines/tiny?preset=anna"' in client.get("/").text
    assert client.get("/routines/tiny?preset=anna").status_code == 200


def test_the_script_preview_refuses_an_unknown_voice_as_making_the_session_does(client):
    voice = "../../etc/passwd"
    preview = client.get("/routines/foot-massage/script", params={"voice": voice})
    made = client.post("/routines/foot-massage/generate", data={"voice": voice})
    assert preview.status_code == made.status_code == 400 and "Traceback" not in preview.text
    assert error_of(preview.text) == error_of(made.text) == "voice: '../../etc/passwd' is not an installed voice"
    assert client.get("/routines/foot-massage/script", params={"format": "flac"}).status_code == 400
    assert client.get("/routines/foot-massage/script", params={"voice": "auto"}).status_code == 200


def test_a_long_file_name_keeps_its_extension_and_is_shortened_for_the_name_and_messages(client, web):
    long = "a" * 296 + ".yaml"
    page = upload(client, long, TINY)
    assert page.status_code == 303 and page.headers["location"] == f"/routines/{'a' * 60}?note=uploaded"
    assert [p.name for p in web.data.routines.iterdir()] == ["a" * 60 + ".yaml"]
    assert client.get(page.headers["location"]).status_code == 200
    broken = upload(client, "b" * 296 + ".yml", b"title: [unclosed\n")
    assert broken.status_code == 400
    assert re.match(r"b{75}…\.yml:2: invalid YAML", error_of(broken.text)), error_of(broken.text)
    other = upload(client, "c" * 296 + ".pdf", b"%PDF-1.4")
    assert other.status_code == 400 and error_of(other.text).startswith("c" * 75 + "….pdf: upload a routine")
    assert len(list(web.data.routines.iterdir())) == 1
