"""Routes for choosing: the routine list, a routine's form, the script preview, uploads and presets."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

import audioguide as ag

from .render import page, web_of
from .forms import SessionForm
from .store import MAX_UPLOAD_BYTES, NAME, LimitError

ROUTINE_SUFFIXES = (".yaml", ".yml")
GUIDE_SUFFIXES = (".txt", ".md", ".markdown", ".text", ".html", ".htm")
#: Notes a redirect may ask the routine page to show (never text from the request itself).
NOTES = {
    "uploaded": "Uploaded. It is in the list of routines now.",
    "replaced": "Uploaded; it replaced your routine of the same name.",
    "drafted": "Drafted from your guide: read its script, and its source's CHECK comments (the draft's guesses).",
    "saved": "Preset saved.",
}


def routes() -> list[Route]:
    return [
        Route("/", index, name="index"),
        Route("/routines/{name}", routine_page, name="routine"),
        Route("/routines/{name}/script", script_preview, name="script"),
        Route("/routines/{name}/source", routine_source, name="source"),
        Route("/routines/{name}/delete", delete_routine, methods=["POST"], name="delete_routine"),
        Route("/upload", upload, methods=["POST"], name="upload"),
        Route("/presets", save_preset, methods=["POST"], name="save_preset"),
        Route("/presets/{slug}/delete", delete_preset, methods=["POST"], name="delete_preset"),
    ]


def uploaded_rows(request: Request) -> list[dict]:
    """Each uploaded routine's name, title and estimated length, or the one line saying why it does not load."""
    data = web_of(request).data
    return [data.checked(name) for name in data.uploaded()]


async def index(request: Request, upload_error: str = "", status_code: int = 200) -> Response:
    web = web_of(request)
    bundled = await run_in_threadpool(lambda: web.data.summaries)
    uploaded = await run_in_threadpool(uploaded_rows, request)
    presets = ag.list_presets(web.data.presets)
    # A preset of a deleted upload stays (it may be uploaded again) but has nothing to open.
    routines = {s.name for s in bundled} | {r["name"] for r in uploaded}
    return page(request, "index.html", status_code, bundled=bundled, uploaded=uploaded, presets=presets,
                routines=routines,
                upload_error=upload_error, sessions=web.data.list_sessions()[:5])


def load_or_404(request: Request, name: str) -> ag.Routine:
    try:
        return web_of(request).data.load(name)
    except LookupError:
        raise HTTPException(404, f"There is no routine called {name!r}.") from None


async def routine_page(request: Request) -> Response:
    name = request.path_params["name"]
    routine = load_or_404(request, name)
    web = web_of(request)
    preset_slug = request.query_params.get("preset")
    note = NOTES.get(request.query_params.get("note", ""), "")
    if preset_slug is not None:
        preset = ag.load_preset(web.data.presets, preset_slug)
        if preset.routine != routine.name:  # its values mean nothing here (another routine's options)
            raise HTTPException(404, f"The preset {preset.name!r} is for the routine {preset.routine!r}, "
                                     f"not {routine.name!r}: open it from the list of presets.")
        form, preset_name = SessionForm.from_preset(routine, preset), preset.name
    else:
        form, preset_name = SessionForm.read(routine, request.query_params), ""
    return await render_routine(request, routine, form, note=note, preset_name=preset_name)


async def render_routine(request: Request, routine: ag.Routine, form: SessionForm, *, error: str = "",
                         note: str = "", preset_name: str = "", status_code: int = 200) -> Response:
    """The routine's form holding ``form``'s values, with its estimated length and chapters (or ``error``)."""
    web = web_of(request)
    voices = await run_in_threadpool(web.voices)
    options, settings, session = form.fields(routine, voices)
    script = None
    if not error:
        try:
            script = ag.compile_script(routine, form.settings(routine))
        except ag.BadInputError as exc:
            error, status_code = str(exc), 400
    return page(request, "routine.html", status_code, routine=routine, options=options, settings=settings,
                session=session, script=script, error=error, note=note, preset_name=preset_name,
                source=web.data.source(routine.name) is not None, form=form)


async def script_preview(request: Request) -> Response:
    routine = load_or_404(request, request.path_params["name"])
    form = SessionForm.read(routine, request.query_params)
    try:
        # The same checks as making it: an unknown voice is refused, not silently timed from the text.
        form.check(await run_in_threadpool(web_of(request).voices))
        script = await run_in_threadpool(session_script, routine, form.settings(routine), form)
    except ag.BadInputError as exc:
        return await render_routine(request, routine, form, error=str(exc), status_code=400)
    return page(request, "script.html", routine=routine, script=script, form=form, rows=script_rows(script))


def session_script(routine: ag.Routine, settings: ag.Settings, form: SessionForm) -> ag.Script:
    """The whole session's script, as the preview shows it and as generating checks it before queueing.

    Measured when the form's voice has already spoken every line (the session
    is then exactly this long), estimated from the text otherwise. Raises
    BadInputError when no session can be made with these settings (a length
    it cannot be fitted to, an unknown voice).
    """
    engine, voice = form.engine_voice()
    try:
        return ag.script_session(routine, settings, engine=engine, voice=voice)
    except ag.BadInputError:
        raise
    except ag.AudioguideError:  # that engine is not installed here: generating says so on the form
        return ag.compile_script(routine, settings)


def script_rows(script: ag.Script) -> list[dict]:
    """The script as table rows: a chapter heading, or a time and what happens."""
    rows = []
    for cue in script:
        if cue.type == "chapter":
            rows.append({"chapter": cue.title, "start_ms": cue.start_ms})
        elif cue.type == "say":
            rows.append({"start_ms": cue.start_ms, "kind": "say", "what": cue.text})
        elif cue.type == "pause":
            seconds = f"{round(cue.duration_ms / 100) / 10:g} s"
            what = (f"wait for the go-ahead, at most {seconds}" if cue.self_paced
                    else f"pause {seconds}" + ("" if cue.flexible else " (fixed)"))
            rows.append({"start_ms": cue.start_ms, "kind": "pause", "what": what})
        else:
            rows.append({"start_ms": cue.start_ms, "kind": "chime", "what": f"{cue.kind} chime"})
    return rows


async def routine_source(request: Request) -> Response:
    text = web_of(request).data.source(request.path_params["name"])
    if text is None:
        raise HTTPException(404, "Only uploaded routines show their source here.")
    return PlainTextResponse(text)


async def delete_routine(request: Request) -> Response:
    """Remove an uploaded routine; 409 for a bundled one (it is part of the program), 404 for an unknown one."""
    name = request.path_params["name"]
    data = web_of(request).data
    if not data.delete_routine(name):
        if name in data.bundled():
            raise HTTPException(409, f"{name!r} is a bundled routine: only uploaded routines can be deleted.")
        raise HTTPException(404, f"There is no uploaded routine called {name!r}.")
    return RedirectResponse("/", status_code=303)


async def upload(request: Request) -> Response:
    """A routine YAML, checked by the library's own loader (the same located messages as the CLI), or a
    plain-text guide, drafted into a routine by ``draft_routine`` (what ``audioguide draft`` does)."""
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=10_000)
    except MultiPartException as exc:
        return await index(request, f"The upload could not be read: {exc}", 400)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await index(request, "Choose a file to upload first.", 400)
    raw = await file.read(MAX_UPLOAD_BYTES + 1)
    await form.close()
    filename = PureWindowsPath(PurePosixPath(file.filename).name).name  # old browsers send a whole path
    filename = "".join(c for c in filename if c.isprintable()) or "upload"
    # The kind is judged on the whole name: cutting it first lost a long name's extension.
    stem, dot, suffix = filename.rpartition(".")
    suffix = f".{suffix.lower()}" if dot else ""
    name = ag.slug(stem if dot else filename)  # at most 60 characters
    filename = short_name(filename, suffix)
    if len(raw) > MAX_UPLOAD_BYTES:
        return await index(request, f"{filename}: more than {MAX_UPLOAD_BYTES:,} bytes; the limit is "
                                    f"{MAX_UPLOAD_BYTES:,}", 413)
    web = web_of(request)
    if not NAME.match(name):
        return await index(request, f"{filename}: the file's name needs a letter or a digit", 400)
    if name in web.data.bundled():
        return await index(request, f"{filename}: {name!r} is a bundled routine's name; rename your file", 400)
    try:
        if suffix in ROUTINE_SUFFIXES:
            await run_in_threadpool(check_routine, raw, filename, name)
            text, note = raw.decode("utf-8"), "uploaded"
        elif suffix in GUIDE_SUFFIXES:
            text, note = await run_in_threadpool(draft, raw, filename, name), "drafted"
        else:
            return await index(request, f"{filename}: upload a routine (.yaml or .yml) or a plain-text guide "
                                        "(.txt or .md, or a saved web page: .html)", 400)
        replaced = web.data.save_routine(name, text)
    except LimitError as exc:
        return await index(request, str(exc), 409)
    except ag.BadInputError as exc:
        return await index(request, str(exc), 400)
    return RedirectResponse(f"/routines/{name}?note={'replaced' if replaced and note == 'uploaded' else note}",
                            status_code=303)


def short_name(filename: str, suffix: str, limit: int = 80) -> str:
    """``filename`` as messages name it: at most ``limit`` characters, its extension kept."""
    if len(filename) <= limit:
        return filename
    if not suffix or len(suffix) > 10:
        return filename[: limit - 1] + "…"
    return filename[: limit - 1 - len(suffix)] + "…" + suffix


def check_routine(source: str | bytes, filename: str, name: str) -> ag.Routine:
    """Check an upload as ``audioguide script FILE`` does: it loads, and compiles with its defaults.

    Loading alone let through a routine whose loops make more than 100,000
    cues or ten hours: stored, it was broken on every page. BadInputError
    (one located line, the CLI's own) otherwise.
    """
    routine = ag.parse_routine(source, filename, name)
    ag.compile_script(routine, ag.resolve_settings(routine))
    return routine


def draft(raw: bytes, filename: str, name: str) -> str:
    """A plain-text guide drafted into routine YAML, then checked as an uploaded routine is."""
    text = ag.draft_routine(raw, display=filename)
    check_routine(text, f"{name}.yaml", name)
    return text


async def save_preset(request: Request) -> Response:
    web = web_of(request)
    data = await request.form(max_files=0, max_fields=200, max_part_size=10_000)
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    routine = load_or_404(request, fields.get("routine", ""))
    form = SessionForm.read(routine, fields)
    name = fields.get("preset_name", "")
    try:
        form.settings(routine)
        form.check(await run_in_threadpool(web.voices))
        preset = form.preset(name, routine)
        web.data.save_preset(preset)
    except LimitError as exc:
        return await render_routine(request, routine, form, error=str(exc), preset_name=name, status_code=409)
    except ag.BadInputError as exc:
        return await render_routine(request, routine, form, error=str(exc), preset_name=name, status_code=400)
    return RedirectResponse(f"/routines/{routine.name}?preset={preset.slug}&note=saved", status_code=303)


async def delete_preset(request: Request) -> Response:
    if not ag.delete_preset(web_of(request).data.presets, request.path_params["slug"]):
        raise HTTPException(404, "There is no such preset.")
    return RedirectResponse("/", status_code=303)
