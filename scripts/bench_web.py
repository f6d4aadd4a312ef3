"""The web page's figure: seconds from pressing "Make the session" to a playable session.

Starts a real `audioguide serve` on 127.0.0.1 with an empty data folder and an
empty speech cache (temp dirs), then for the default session (foot-massage at
its defaults, the default voice): POST the form, poll the job's status until
the session is made, fetch the first bytes of its MP3 with a Range request
(what a browser's <audio> does first). Cold = empty cache; warm = the same
request again; retimed = one timing changed (tender_hold=20: no new speech).
The page itself polls every 0.5 s, so a person sees it up to 0.5 s later.

    .venv/bin/python scripts/bench_web.py [--routine NAME] [--voice auto|ENGINE:VOICE]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import json
from pathlib import Path

AUDIOGUIDE = str(Path(sys.executable).parent / "audioguide")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(url: str, form: dict[str, str]) -> str:
    """POST ``form``; the redirect's location."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(url, data=urllib.parse.urlencode(form).encode()), timeout=30)
    except urllib.error.HTTPError as redirect:
        if redirect.code != 303:
            raise SystemExit(f"{url}: HTTP {redirect.code}: {redirect.read()[:300]!r}")
        return redirect.headers["location"]
    raise SystemExit(f"{url}: no redirect")


def make(base: str, routine: str, form: dict[str, str]) -> tuple[float, dict]:
    """Seconds from the POST to the first bytes of the MP3, and the job's last status."""
    start = time.perf_counter()
    job = post(f"{base}/routines/{routine}/generate", form)
    while True:
        with urllib.request.urlopen(f"{base}{job}/status", timeout=30) as response:
            status = json.load(response)
        if status["state"] not in ("waiting", "running"):
            break
        time.sleep(0.05)
    if status["state"] != "done":
        raise SystemExit(f"the job {status['state']}: {status['message']}")
    with urllib.request.urlopen(f"{base}{status['session_url']}", timeout=30) as response:
        audio = re.search(r'<audio id="player"[^>]* src="([^"]+)"', response.read().decode()).group(1)
    request = urllib.request.Request(f"{base}{audio}", headers={"Range": "bytes=0-65535"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 206 and response.read()
    return time.perf_counter() - start, status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--routine", default="foot-massage")
    parser.add_argument("--voice", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audioguide-bench-web-") as tmp:
        env = {**os.environ, "AUDIOGUIDE_CACHE_DIR": f"{tmp}/cache"}
        server = subprocess.Popen([AUDIOGUIDE, "serve", "--port", "0", "--data", f"{tmp}/data"],
                                  stderr=subprocess.PIPE, text=True, env=env)
        try:
            base = None
            for line in server.stderr:
                found = re.search(r"the page is at (http://127\.0\.0\.1:\d+)/", line)
                base = base or (found.group(1) if found else None)
                if "Ctrl-C stops it" in line:
                    break
            if base is None:
                raise SystemExit("audioguide serve did not start")
            form = {"voice": args.voice}
            cold, _ = make(base, args.routine, form)
            warm, _ = make(base, args.routine, form)
            retimed, _ = make(base, args.routine, {**form, "tender_hold": "20"} if args.routine == "foot-massage" else form)
        finally:
            server.terminate()
            server.wait(30)
    print(f"generate -> playable, {args.routine}, voice {args.voice}: cold {cold:.1f} s, warm {warm:.1f} s, "
          f"one timing changed {retimed:.1f} s")


if __name__ == "__main__":
    main()
