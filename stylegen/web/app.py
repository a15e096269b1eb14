"""The page's ASGI app (Starlette): a static page and a small JSON API over :class:`Service`.

    GET  /                       the page (static/index.html, static/app.js, static/style.css)
    GET  /api/info               styles, the controls the model takes, limits, the no-harmony note
    POST /api/transfer           multipart: file (or demo=1), style, strength, temperature, seed, free_melody,
                                 melody_only
    POST /api/compose            multipart: style, bars, seed, strength, temperature, form, primer (optional)
    POST /api/batch              multipart: files (several), style, the transfer controls, audio
    GET  /api/queue/TICKET       where the request sent with ``ticket=TICKET`` waits (the page polls it)
    GET  /files/JOB/PART/NAME    what a request made (rolls, audio, MIDI, zip)

Each POST may carry a ``ticket`` field (hex, the page makes one per request): while the
request waits for its turn, ``/api/queue/TICKET`` answers ``{"state": "waiting", "ahead":
N}``, then ``{"state": "working"}``.  A request past the queue's limit is answered at once
with status 503 and ``{"error": "the page is busy: ...", "busy": true}``.

A :class:`StylegenError` is answered with status 400 and ``{"error": "<the CLI's line>"}``;
anything else with 500 and the exception's name (the traceback goes to the server's log).
Either way the server goes on serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stylegen.errors import StylegenError
from stylegen.web.service import Busy, Service, Upload

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("stylegen.web")


async def _uploads(request: Request, form, field: str, service: Service) -> list[Upload]:
    """The files of one form field, each read up to one byte over the limit (which the
    service then refuses with the file's name)."""
    out = []
    for item in form.getlist(field):
        if isinstance(item, str):  # a text field under a file's name
            continue
        if not item.filename:  # a file input left empty
            continue
        data = await item.read(service.limits.upload_bytes + 1)
        out.append(Upload(item.filename, data, size=item.size))
    return out


def _fields(form) -> dict[str, str]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


def create_app(service: Service, close_on_shutdown: bool = True) -> Starlette:
    """The app over ``service``; its temporary folder is removed when the server stops."""

    async def in_turn(fields: dict, call) -> dict:
        """Queue the request (Busy at once when full), then run it on the service's one
        worker thread and wait for its answer."""
        return await asyncio.wrap_future(service.submit(fields, call))

    async def guarded(request: Request, work) -> Response:
        limit = service.limits.upload_bytes * service.limits.files + 2**20
        size = request.headers.get("content-length")
        if size and size.isdigit() and int(size) > limit:
            return JSONResponse({"error": f"the request is {int(size) / 2**20:.3g} MB: over the page's limit of "
                                          f"{limit / 2**20:.3g} MB"}, status_code=413)
        try:
            async with request.form(max_files=service.limits.files + 1) as form:
                return JSONResponse(await work(form))
        except Busy as e:
            return JSONResponse({"error": str(e), "busy": True}, status_code=503, headers={"Retry-After": "60"})
        except StylegenError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        except Exception as e:
            if getattr(e, "status_code", None) == 400:  # a malformed form (Starlette's HTTPException)
                return JSONResponse({"error": f"the request could not be read: {getattr(e, 'detail', e)}"},
                                    status_code=400)
            log.exception("stylegen web: %s failed", request.url.path)
            return JSONResponse({"error": f"internal error: {type(e).__name__}: {e} (the server's log has the "
                                          "details)"}, status_code=500)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def info(request: Request) -> Response:
        return JSONResponse(service.info())

    async def queue(request: Request) -> Response:
        return JSONResponse(service.position(request.path_params["ticket"]),
                            headers={"Cache-Control": "no-store"})

    async def transfer(request: Request) -> Response:
        async def work(form):
            files = await _uploads(request, form, "file", service)
            fields = _fields(form)
            if not files and fields.get("demo") != "1":
                raise StylegenError("no file chosen: pick a MIDI file (or the demo)")
            return await in_turn(fields, lambda f: service.transfer(files[0] if files else None, f.get("style", ""), f))

        return await guarded(request, work)

    async def compose(request: Request) -> Response:
        async def work(form):
            primer = await _uploads(request, form, "primer", service)
            fields = _fields(form)
            return await in_turn(fields, lambda f: service.compose(f.get("style", ""), f, primer[0] if primer else None))

        return await guarded(request, work)

    async def batch(request: Request) -> Response:
        async def work(form):
            files = await _uploads(request, form, "files", service)
            fields = _fields(form)
            return await in_turn(fields, lambda f: service.batch(files, f.get("style", ""), f,
                                                                 f.get("audio") in ("on", "1", "true")))

        return await guarded(request, work)

    async def files(request: Request) -> Response:
        p = request.path_params
        path = service.file(p["job"], p["part"], p["name"])
        if path is None:
            return JSONResponse({"error": "no such file (the page keeps the last "
                                          f"{service.limits.jobs_kept} results)"}, status_code=404)
        return FileResponse(path, filename=path.name if path.suffix in (".mid", ".zip") else None)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            if close_on_shutdown:
                service.close()

    routes = [
        Route("/", index),
        Route("/api/info", info),
        Route("/api/queue/{ticket}", queue),
        Route("/api/transfer", transfer, methods=["POST"]),
        Route("/api/compose", compose, methods=["POST"]),
        Route("/api/batch", batch, methods=["POST"]),
        Route("/files/{job}/{part}/{name}", files),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


__all__ = ["create_app", "STATIC"]
