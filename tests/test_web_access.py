"""Who may use the web page, and how much: Host header, LAN token, cross-site forms, sizes, the queue."""

from __future__ import annotations

import threading
import time

import pytest

import audioguide as ag
from audioguide.web.access import allowed_host
from audioguide.web.jobs import JobQueue, QueueFull
from audioguide.web.render import Web
from audioguide.web.sessions import make_session
from audioguide.web.forms import SessionForm
from helpers import TINY_ROUTINE
from webtools import client_for, make_web, wait_for_job

TOKEN = "s3cret-t0ken"


@pytest.fixture
def local(tmp_path):
    web = make_web(tmp_path / "data")
    yield web
    web.jobs.close()


@pytest.fixture
def lan(tmp_path):
    web = make_web(tmp_path / "lan", lan=True, token=TOKEN, phone_url="http://192.0.2.7:8765")
    yield web
    web.jobs.close()


@pytest.mark.parametrize("host, on_lan, allowed", [
    ("127.0.0.1:8765", False, True), ("localhost:8765", False, True), ("[::1]:8765", False, True),
    ("LOCALHOST", False, True), ("192.168.1.20:8765", False, False), ("evil.example:8765", False, False),
    ("127.0.0.1.evil.example", False, False), ("", False, False),
    ("192.168.1.20:8765", True, True), ("10.0.0.5", True, True), ("[fe80::1]:8765", True, True),
    ("evil.example:8765", True, False), ("my-laptop.local:8765", True, False), ("1.2.3.4.nip.io", True, False),
])
def test_only_this_machines_own_addresses_are_answered(host, on_lan, allowed):
    assert allowed_host(host, on_lan) is allowed


def test_a_foreign_host_header_gets_a_400_page_so_dns_rebinding_reads_nothing(local):
    with client_for(local, base_url="http://evil.example:8765") as client:
        page = client.get("/")
        assert page.status_code == 400 and "answers only at this computer" in page.text
        assert client.post("/routines/tiny/generate", data={}).status_code == 400


def test_on_the_lan_the_token_is_needed_once_then_kept_in_a_cookie(lan):
    with client_for(lan, base_url="http://192.0.2.7:8765") as client:
        refused = client.get("/")
        assert refused.status_code == 403 and "scan the QR code" in refused.text
        assert client.get(f"/?token=wrong{TOKEN}").status_code == 403
        assert client.get("/static/app.css").status_code == 403  # every path, files too
        entry = client.get(f"/routines/foot-massage?token={TOKEN}&pace=slow")
        assert entry.status_code == 303 and entry.headers["location"] == "/routines/foot-massage?pace=slow"
        cookie = entry.headers["set-cookie"]
        assert f"audioguide_token={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert client.get("/routines/foot-massage?pace=slow").status_code == 200
        assert client.get("/").status_code == 200
    with client_for(lan, base_url="http://evil.example:8765", cookies={"audioguide_token": TOKEN}) as rebound:
        assert rebound.get("/").status_code == 400  # a valid token does not open a foreign Host


def test_forms_from_another_site_are_refused(local):
    with client_for(local) as client:
        for headers in ({"origin": "http://evil.example"}, {"origin": "null"}, {"sec-fetch-site": "cross-site"},
                        {"origin": "http://127.0.0.1:9999"}):
            page = client.post("/presets/x/delete", headers=headers)
            assert page.status_code == 403 and "another site" in page.text, headers
        same = client.post("/presets/x/delete", headers={"origin": "http://127.0.0.1:8765", "sec-fetch-site": "same-origin"})
        assert same.status_code == 404 and "There is no such preset." in same.text  # past the guard: the route answers


def test_request_bodies_need_a_length_within_the_limit(local):
    with client_for(local) as client:
        def chunks():
            yield b"file=x"

        assert client.post("/upload", content=chunks()).status_code == 411
        big = client.post("/upload", content=b"x" * 1_100_000, headers={"content-type": "application/x-www-form-urlencoded"})
        assert big.status_code == 413 and "At most 1,064 kB" in big.text
        garbled = client.post("/upload", content=b"--nope\r\n\r\n", headers={"content-type": "multipart/form-data; boundary=x"})
        assert garbled.status_code == 400
        many = client.post("/upload", files=[("file", ("a.yaml", b"x")), ("file", ("b.yaml", b"y"))])
        assert many.status_code == 400 and "Too many files" in many.text


def blocking_job(release: threading.Event, started: threading.Event | None = None):
    def work(job):
        if started is not None:
            started.set()
        while not release.wait(0.02):
            if job.cancel.is_set():
                raise ag.Cancelled("cancelled")
        return "0" * 16
    return work


def test_jobs_run_one_at_a_time_in_order_and_a_full_queue_refuses_more():
    queue = JobQueue(max_waiting=2)
    release, started = threading.Event(), threading.Event()
    running = queue.submit("first", blocking_job(release, started))
    assert started.wait(5)
    second = queue.submit("second", blocking_job(release))
    third = queue.submit("third", blocking_job(release))
    assert (running.state, second.state, third.state) == ("running", "waiting", "waiting")
    assert (queue.place(running), queue.place(second), queue.place(third)) == (0, 1, 2)
    with pytest.raises(QueueFull, match="2 sessions are already waiting"):
        queue.submit("fourth", blocking_job(release))
    assert queue.cancel(second.id).state == "cancelled"
    assert queue.place(third) == 1
    release.set()
    deadline = time.monotonic() + 5
    while third.state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (running.state, third.state, running.session) == ("done", "done", "0" * 16)
    queue.close()


def test_a_failing_job_says_why_and_the_worker_goes_on():
    queue = JobQueue()

    def bad_input(job):
        raise ag.BadInputError("hold: must be 1..20 seconds, got 99")

    def bug(job):
        raise KeyError("oops")

    jobs = [queue.submit("a", bad_input), queue.submit("b", bug), queue.submit("c", lambda job: "1" * 16)]
    deadline = time.monotonic() + 5
    while jobs[-1].state != "done" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [j.state for j in jobs] == ["failed", "failed", "done"]
    assert jobs[0].message == "hold: must be 1..20 seconds, got 99"
    assert jobs[1].message == "internal error: KeyError: 'oops'"
    queue.close()


def test_the_pages_show_the_place_in_the_queue_and_refuse_past_its_end(local):
    release = threading.Event()
    local.jobs.max_waiting = 1
    local.jobs.submit("blocker", blocking_job(release))
    with client_for(local) as client:
        assert client.post("/upload", files={"file": ("tiny.yaml", TINY_ROUTINE.encode())}).status_code == 303
        waiting = client.post("/routines/tiny/generate", data={"voice": "pyttsx3:gmw/en-us"})
        job_url = waiting.headers["location"]
        page = client.get(job_url)
        assert "Waiting: 1 ahead of this one." in page.text and 'action="' + job_url + '/cancel"' in page.text
        assert client.get(f"{job_url}/status").json()["place"] == 1
        full = client.post("/routines/tiny/generate", data={"voice": "pyttsx3:gmw/en-us"})
        assert full.status_code == 503 and full.headers["retry-after"] == "60"
        assert "1 sessions are already waiting" in full.text
        assert client.post(f"{job_url}/cancel").headers["location"] == job_url
        assert client.get(f"{job_url}/status").json()["state"] == "cancelled"
        assert "Cancelled." in client.get(job_url).text
        release.set()


def test_cancelling_a_running_export_stops_it_and_leaves_no_session(local, register_engine):
    from fakes import ToneEngine

    routine = ag.parse_routine(TINY_ROUTINE, "tiny.yaml", "tiny")
    lines = set(ag.compile_script(routine, ag.resolve_settings(routine)).spoken_texts())

    class SlowTone(ToneEngine):
        """Slow on the session's lines only (its loudness reference passage is spoken at once)."""

        name = "slowtone"

        def synthesize(self, text, *, voice, pace):
            time.sleep(0.3 if text in lines else 0)
            return super().synthesize(text, voice=voice, pace=pace)

    register_engine("slowtone", SlowTone)
    form = SessionForm(SessionForm.defaults(routine).timings, voice="slowtone:")
    job = local.jobs.submit("tiny", lambda job: make_session(local.data, routine, ag.resolve_settings(routine), form, job))
    deadline = time.monotonic() + 60
    while job.done < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert job.state == "running" and job.stage == "speaking (slowtone)"
    with client_for(local) as client:
        client.post(f"/jobs/{job.id}/cancel")
        status = wait_for_job(client, f"/jobs/{job.id}", timeout=10)
    assert status["state"] == "cancelled" and status["session_url"] is None
    assert job.done < job.total  # it stopped between lines
    assert list(local.data.sessions.iterdir()) == []  # neither a session nor a half-made folder
