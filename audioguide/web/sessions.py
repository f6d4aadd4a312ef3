"""Routes for making and listening: generate, the job's progress, the player, files, and the phone link."""

from __future__ import annotations

import io
import json
import re
import time

import segno
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

import audioguide as ag

from .forms import SessionForm
from .jobs import Job, QueueFull
from .pages import load_or_404, render_routine, session_script
from .render import error_page, page, web_of
from .store import MAX_SESSIONS, DataFolder, SessionInfo

MEDIA_TYPES = {".mp3": "audio/mpeg", ".m4b": "audio/mp4", ".ogg": "audio/ogg", ".wav": "audio/wav",
               ".vtt": "text/vtt", ".json": "application/json"}
FILE_LABELS = {".mp3": "MP3", ".m4b": "M4B audiobook", ".ogg": "Ogg Vorbis", ".wav": "WAV",
               ".vtt": "transcript (WebVTT)", ".json": "timed script (JSON)"}
#: What the QR code may link to: a page path of this server, nothing else.
QR_PATH = re.compile(r"^/(sessions/[0-9a-f]{16}|routines/[a-z0-9-]{1,60})?$")


def routes() -> list[Route]:
    return [
        Route("/routines/{name}/generate", generate, methods=["POST"], name="generate"),
        Route("/jobs/{job_id}", job_page, name="job"),
        Route("/jobs/{job_id}/status", job_status, name="job_status"),
        Route("/jobs/{job_id}/cancel", cancel_job, methods=["POST"], name="cancel_job"),
        Route("/sessions", session_list, name="sessions"),
        Route("/sessions/{sid}", player, name="player"),
        Route("/sessions/{sid}/files/{filename}", session_file, name="file"),
        Route("/sessions/{sid}/delete", delete_session, methods=["POST"], name="delete_session"),
        Route("/qr.svg", qr_code, name="qr"),
    ]


async def generate(request: Request) -> Response:
    """Check the form, then queue the session (one is made at a time) and show its progress page."""
    web = web_of(request)
    data = await request.form(max_files=0, max_fields=200, max_part_size=10_000)
    routine = load_or_404(request, request.path_params["name"])
    form = SessionForm.read(routine, {k: v for k, v in data.items() if isinstance(v, str)})
    try:
        settings = form.settings(routine)
        form.check(await run_in_threadpool(web.voices))
        # The whole session, compiled as the preview does: a request that cannot
        # be made (a length it cannot fit) is refused here, not queued to fail.
        await run_in_threadpool(session_script, routine, settings, form)
    except ag.BadInputError as exc:
        return await render_routine(request, routine, form, error=str(exc), status_code=400)
    try:
        job = web.jobs.submit(routine.title, lambda job: make_session(web.data, routine, settings, form, job))
    except QueueFull as exc:
        response = await error_page(request, 503, "Busy", str(exc))
        response.headers["retry-after"] = "60"
        return response
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def make_session(data: DataFolder, routine: ag.Routine, settings: ag.Settings, form: SessionForm, job: Job) -> str:
    """Export the MP3 (and the chosen download format) into a new session folder; its id.

    Runs on the queue's worker. The folder is hidden until complete; a
    failure or a cancel removes it, and the speech already made stays cached.
    """
    sid, folder = data.new_session()
    engine, voice = form.engine_voice()
    listener = " ".join(form.listener.split())
    stem = "-".join(filter(None, (routine.name, ag.slug(listener))))
    common = dict(engine=engine, voice=voice, listener=listener, progress=job.progress, cancel=job.cancel)
    try:
        result = ag.export_session(routine, settings, folder / f"{stem}.mp3", **common)
        files = [p.name for p in result.paths]
        if form.format != "mp3":  # the speech is cached by now: this costs a mix and an encode
            extra = ag.export_session(routine, settings, folder / f"{stem}.{form.format}", fmt=form.format, **common)
            files.insert(1, extra.paths[0].name)
        meta = {"title": result.title, "routine": routine.name, "listener": listener, "created": time.time(),
                "duration_ms": result.duration_ms, "voice": result.voice, "audio": files[0], "files": files}
        data.commit_session(sid, folder, meta)
    except BaseException:
        data.discard(folder)
        raise
    return sid


def job_or_404(request: Request) -> Job:
    job = web_of(request).jobs.get(request.path_params["job_id"])
    if job is None:
        raise HTTPException(404, "There is no such job (the server may have been restarted).")
    return job


def job_state(request: Request, job: Job) -> dict:
    return {"state": job.state, "place": web_of(request).jobs.place(job), "stage": job.stage, "done": job.done,
            "total": job.total, "message": job.message,
            "session_url": f"/sessions/{job.session}" if job.session else None}


async def job_page(request: Request) -> Response:
    job = job_or_404(request)
    return page(request, "job.html", job=job, status=job_state(request, job))


async def job_status(request: Request) -> Response:
    return JSONResponse(job_state(request, job_or_404(request)), headers={"cache-control": "no-store"})


async def cancel_job(request: Request) -> Response:
    job = job_or_404(request)
    web_of(request).jobs.cancel(job.id)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


async def session_list(request: Request) -> Response:
    return page(request, "sessions.html", sessions=web_of(request).data.list_sessions(), limit=MAX_SESSIONS)


def session_or_404(request: Request) -> SessionInfo:
    info = web_of(request).data.session(request.path_params["sid"])
    if info is None:
        raise HTTPException(404, "There is no such session (only the most recent ones are kept).")
    return info


async def player(request: Request) -> Response:
    """The audio with its chapters, the transcript following along, and the downloads."""
    web = web_of(request)
    info = session_or_404(request)
    script_name = next((f for f in info.files if f.endswith(".json")), None)
    script = {"chapters": [], "cues": []}
    if script_name is not None:
        path = web.data.session_file(info.id, script_name)
        script = json.loads(path.read_text(encoding="utf-8")) if path else script
    lines = [c for c in script["cues"] if c.get("type") == "say" and c.get("role", "instruction") == "instruction"]
    downloads = [(f, FILE_LABELS.get(f[f.rfind("."):], f)) for f in info.files]
    return page(request, "player.html", info=info, chapters=script["chapters"], lines=lines, downloads=downloads,
                phone_link=web.link(f"/sessions/{info.id}"))


async def session_file(request: Request) -> Response:
    """A file of a session, by the name its meta.json lists; Range requests let the player seek."""
    sid, name = request.path_params["sid"], request.path_params["filename"]
    path = web_of(request).data.session_file(sid, name)
    if path is None:
        raise HTTPException(404, "There is no such file.")
    media_type = MEDIA_TYPES.get(path.suffix, "application/octet-stream")
    if request.query_params.get("download"):
        return FileResponse(path, media_type=media_type, filename=name, content_disposition_type="attachment")
    return FileResponse(path, media_type=media_type)


async def delete_session(request: Request) -> Response:
    if not web_of(request).data.delete_session(request.path_params["sid"]):
        raise HTTPException(404, "There is no such session (only the most recent ones are kept).")
    return RedirectResponse("/sessions", status_code=303)


async def qr_code(request: Request) -> Response:
    """A QR code (SVG) of this server's phone link to ``?path=`` (with ``--lan`` only)."""
    web = web_of(request)
    path = request.query_params.get("path", "/")
    if not QR_PATH.match(path):
        raise HTTPException(400, "A QR code links only to a page of this server.")
    link = web.link(path)
    if link is None:
        raise HTTPException(404, "Start audioguide serve with --lan for a phone link.")
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=6, border=2, title="Phone link")
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"cache-control": "no-store"})
