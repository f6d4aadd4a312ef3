"""Shared by the web tests: a server state on a temp data folder, a client, and waiting for jobs."""

from __future__ import annotations

import time
from pathlib import Path

from starlette.testclient import TestClient

from audioguide.web.app import create_app
from audioguide.web.render import Web
from audioguide.web.store import DataFolder
from helpers import TINY_ROUTINE

BASE = "http://127.0.0.1:8765"
#: The fast real voice: espeak-ng through pyttsx3 speaks the tiny routine in a second or two.
ESPEAK = "pyttsx3:gmw/en-us"
TINY = TINY_ROUTINE.encode()


def make_web(folder: Path, **kwargs) -> Web:
    return Web(DataFolder(folder), **kwargs)


def client_for(web: Web, base_url: str = BASE, **kwargs) -> TestClient:
    return TestClient(create_app(web), base_url=base_url, follow_redirects=False, **kwargs)


def upload(client: TestClient, name: str, data: bytes):
    return client.post("/upload", files={"file": (name, data, "application/octet-stream")})


def wait_for_job(client: TestClient, job_url: str, timeout: float = 120) -> dict:
    """Poll a job's status until it is no longer waiting or running; its last status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"{job_url}/status").json()
        if status["state"] not in ("waiting", "running"):
            return status
        time.sleep(0.1)
    raise AssertionError(f"{job_url} still {status['state']} after {timeout} s")
