"""The generation queue: one session is made at a time; the others wait with their place shown.

Making a session keeps both cores busy (piper) for up to a minute: two at once
would only make both slower, so one worker thread takes jobs in order. At most
``MAX_WAITING`` jobs wait; another request is refused (HTTP 503, "try again in
a few minutes") rather than piling up. A job's cancel token is the API's own:
set, the export stops between lines of speech and between stages, and what was
spoken so far stays in the speech cache.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Literal

import audioguide as ag

MAX_WAITING = 5
"""Jobs that may wait behind the running one."""
KEEP_FINISHED = 100
"""Finished jobs remembered (for their progress page); older ones are forgotten."""

State = Literal["waiting", "running", "done", "failed", "cancelled"]
log = logging.getLogger("audioguide.web")


class QueueFull(ag.AudioguideError):
    """Too many sessions are waiting to be made."""


@dataclass(eq=False)
class Job:
    """One request to make a session, and how far it got."""

    id: str
    title: str
    work: Callable[["Job"], str]
    """Makes the session (reporting to ``progress``, stopping when ``cancel`` is set); returns its id."""
    state: State = "waiting"
    stage: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    """Why it failed, for the page."""
    session: str | None = None
    """The made session's id, once done."""
    cancel: threading.Event = field(default_factory=threading.Event)
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def progress(self, event: ag.Progress) -> None:
        """The API's progress callback: remember the latest stage for the page to poll."""
        self.stage, self.done, self.total = event.stage, event.done, event.total


class JobQueue:
    """A FIFO of jobs and the one worker thread that runs them."""

    def __init__(self, max_waiting: int = MAX_WAITING) -> None:
        self.max_waiting = max_waiting
        self._cond = threading.Condition()
        self._waiting: deque[Job] = deque()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audioguide-web-jobs", daemon=True)
        self._thread.start()

    def submit(self, title: str, work: Callable[[Job], str]) -> Job:
        """Queue ``work``; QueueFull if ``max_waiting`` jobs already wait."""
        with self._cond:
            if len(self._waiting) >= self.max_waiting:
                raise QueueFull(f"{len(self._waiting)} sessions are already waiting to be made; "
                                "try again in a few minutes")
            job = Job(secrets.token_hex(8), title, work)
            self._jobs[job.id] = job
            self._waiting.append(job)
            self._forget_old()
            self._cond.notify_all()
            return job

    def get(self, job_id: str) -> Job | None:
        with self._cond:
            return self._jobs.get(job_id)

    def place(self, job: Job) -> int:
        """How many jobs are ahead of a waiting ``job`` (the running one included); 0 once it runs."""
        with self._cond:
            if job.state != "waiting":
                return 0
            running = any(j.state == "running" for j in self._jobs.values())
            return self._waiting.index(job) + int(running)

    def cancel(self, job_id: str) -> Job | None:
        """Stop a job: a waiting one leaves the queue at once, a running one at its next line or stage."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job.cancel.set()
            if job.state == "waiting":
                self._waiting.remove(job)
                self._finish(job, "cancelled")
            return job

    def close(self, timeout: float = 10.0) -> None:
        """Cancel every job and stop the worker (waiting up to ``timeout`` s for the running one)."""
        with self._cond:
            self._closed = True
            for job in self._jobs.values():
                job.cancel.set()
            while self._waiting:
                self._finish(self._waiting.popleft(), "cancelled")
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                job = self._waiting.popleft()
                job.state = "running"
            try:
                session = job.work(job)
            except ag.Cancelled:
                outcome, message, session = "cancelled", "", None
            except ag.AudioguideError as exc:
                outcome, message, session = "failed", str(exc), None
            except Exception as exc:  # never kill the worker: the page says what happened
                log.exception("making %s failed", job.title)
                outcome, message, session = "failed", f"internal error: {type(exc).__name__}: {exc}", None
            else:
                outcome, message = "done", ""
            with self._cond:
                job.session, job.message = session, message
                self._finish(job, outcome)

    def _finish(self, job: Job, state: State) -> None:
        job.state, job.finished = state, time.monotonic()

    def _forget_old(self) -> None:
        finished = [j for j in self._jobs.values() if j.finished is not None]
        for job in finished[: max(0, len(finished) - KEEP_FINISHED)]:
            del self._jobs[job.id]
