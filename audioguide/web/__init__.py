"""``audioguide serve``: a web page for people who never open a terminal, on the computer and on a phone.

A front end like the CLI: its modules import only the public API
(``import audioguide as ag``), Starlette, uvicorn, Jinja2 and segno. The CLI
starts it through ``audioguide.serve``, which imports this package only then.

Modules, imports pointing down:
  server.py    bind, announce the link and QR code, run uvicorn
  app.py       the Starlette app: routes, the access guard, error pages
  pages.py     choosing: routine list, routine form, script preview, uploads, presets
  sessions.py  making and listening: generate, job progress, player, files, QR code
  render.py    shared state (``Web``) and templates
  forms.py     the form made from a routine's options and settings, read back
  jobs.py      the queue: one session made at a time
  access.py    Host header, LAN token, same-site forms, request size, security headers
  store.py     the data folder: uploaded routines, presets, made sessions, and their limits
  templates/, static/   the pages, the stylesheet and the one script (no CDN, nothing fetched)
"""
