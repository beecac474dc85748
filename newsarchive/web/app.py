"""The reading application: FastAPI pages and /api/v1 over an archive opened read-only.

Errors are sentences: 404 for what the archive does not hold, 400 for a parameter it cannot
use (never a 422 or a traceback), as JSON under /api/ and as a page elsewhere."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope

from archive.database import Archive
from archive.errors import ArchiveError, NotArchived
from archive.search import QueryError
from newsarchive import __version__
from newsarchive.web import api, pages
from newsarchive.web.guard import ReadOnlyGuard
from newsarchive.web.params import BadRequest
from newsarchive.web.replay_origin import replay_origin
from newsarchive.web.templating import render

STATIC = Path(__file__).with_name("static")


def create_app(
    archive: Archive, *, replay_port: int = 8081, replay_origin: str | None = None
) -> FastAPI:
    """The application; archived pages are shown from the replay origin (`replay_origin`, or
    this host on `replay_port`)."""
    app = FastAPI(
        title="newsarchive",
        version=__version__,
        description="A versioned archive of government news columns, read-only.",
        openapi_url=f"{api.PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.archive = archive
    app.state.replay_port = replay_port
    app.state.replay_origin = replay_origin
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _answer_errors(app)
    app.add_middleware(ReadOnlyGuard, policy=_policy)
    return app


def _policy(scope: Scope) -> str:
    """The application's own pages: its scripts, styles and images only; frames only from the
    replay origin; no plugins, no foreign forms, never framed elsewhere."""
    origin = replay_origin(Request(scope))
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        f"frame-src {origin}; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


def _answer_errors(app: FastAPI) -> None:
    @app.exception_handler(NotArchived)
    async def not_archived(request: Request, exc: NotArchived) -> Response:
        return _error(request, 404, str(exc))

    @app.exception_handler(BadRequest)
    @app.exception_handler(QueryError)
    async def bad_request(request: Request, exc: Exception) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(ArchiveError)
    async def archive_error(request: Request, exc: ArchiveError) -> Response:
        return _error(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 400, _validation_sentence(exc))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        sentence = (
            "There is nothing at this address." if exc.status_code == 404 else str(exc.detail)
        )
        return _error(request, exc.status_code, sentence, dict(exc.headers or {}))


def _validation_sentence(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    name = str(first.get("loc", ("", "?"))[-1])
    given = first.get("input")
    shown = f"={str(given)[:40]!r}" if given is not None else ""
    return f"{name}{shown}: {str(first.get('msg', 'is not valid')).rstrip('.')}."


def _error(
    request: Request, status: int, sentence: str, headers: dict[str, str] | None = None
) -> Response:
    if request.url.path.startswith(api.PREFIX):
        return JSONResponse({"error": sentence, "status": status}, status, headers=headers)
    response = render(request, "error.html", status=status, status_code=status, sentence=sentence)
    response.headers.update(headers or {})
    return response
