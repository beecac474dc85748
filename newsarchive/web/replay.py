"""The replay origin: archived pages exactly as captured (mementos), TimeGates and TimeMaps.

Archived HTML is a third party's, scripts and all, so it is served only from this origin, never the
application's, and every memento is sent with a sandboxing Content-Security-Policy: no scripts,
no plugins, no requests but images from this origin (an archived image) and data: URLs. The
application shows mementos in an <iframe sandbox> without allow-scripts or allow-same-origin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from archive.browse import Memento, mementos
from archive.database import Archive
from archive.errors import NotArchived
from archive.query import payload
from crawler.sites.resolve import archive_key
from crawler.sites.urls import UrlError
from newsarchive.web import memento as mem
from newsarchive.web.guard import ReadOnlyGuard

LINK_FORMAT = "application/link-format"


def create_replay(archive: Archive) -> Starlette:
    """The replay application over `archive` (opened read-only)."""

    def lookup(request: Request) -> tuple[mem.Routes, list[Memento]]:
        original = _original(request)
        try:
            found = mementos(archive, archive_key(original))
        except (NotArchived, UrlError):
            raise _Answer(_sentence(404, f"{original} is not in the archive.")) from None
        if not found:
            raise _Answer(_sentence(404, f"No capture holds {original}."))
        return mem.Routes(_origin(request), original), found

    def memento(request: Request) -> Response:
        routes, found = lookup(request)
        try:
            moment = mem.parse_timestamp(request.path_params["timestamp"])
        except ValueError as exc:
            return _sentence(400, f"{exc}.")
        exact = mem.at_second(found, moment)
        if exact is None:  # a near timestamp: to the closest capture, as the Wayback Machine does
            return RedirectResponse(routes.memento(mem.closest(found, moment)), status_code=302)
        body = payload(archive, exact.payload_sha256)
        headers = {
            "Memento-Datetime": mem.http_date(exact.captured_at),
            "Link": mem.link_header(routes, found, exact),
            "Content-Security-Policy": _sandbox(routes.origin),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            # As the site sent it: the charset it declared decides how the bytes read.
            "Content-Type": exact.header("Content-Type") or "application/octet-stream",
        }
        return Response(body, headers=headers)

    def timegate(request: Request) -> Response:
        routes, found = lookup(request)
        asked = request.headers.get("Accept-Datetime")
        try:
            moment = mem.parse_http_date(asked) if asked else found[-1].captured_at
        except ValueError as exc:
            return _sentence(400, f"Accept-Datetime: {exc}.")
        chosen = mem.closest(found, moment)
        headers = {
            "Location": routes.memento(chosen),
            "Vary": "accept-datetime",
            "Link": mem.link_header(routes, found, None),
        }
        return Response(status_code=302, headers=headers)

    def timemap_link(request: Request) -> Response:
        routes, found = lookup(request)
        return Response(
            mem.timemap_link_format(routes, found), headers={"Content-Type": LINK_FORMAT}
        )

    def timemap_json(request: Request) -> Response:
        routes, found = lookup(request)
        return JSONResponse(mem.timemap_json(routes, found))

    routes = [
        Route("/web/{timestamp}/{uri:path}", _answering(memento)),
        Route("/timegate/{uri:path}", _answering(timegate)),
        Route("/timemap/link/{uri:path}", _answering(timemap_link)),
        Route("/timemap/json/{uri:path}", _answering(timemap_json)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(ReadOnlyGuard, policy=lambda scope: "sandbox; default-src 'none'")
    return app


class _Answer(Exception):
    """An answer other than the resource: raised by a lookup, returned by the route."""

    def __init__(self, response: Response) -> None:
        self.response = response


def _answering(route: Callable[[Request], Response]) -> Callable[[Request], Any]:
    async def answer(request: Request) -> Response:
        try:
            return route(request)
        except _Answer as answered:
            return answered.response

    return answer


def _original(request: Request) -> str:
    """The URI-R in the path, with its query string (and `//` that a client may have folded)."""
    uri = request.path_params["uri"]
    for scheme in ("http:/", "https:/"):
        if uri.startswith(scheme) and not uri.startswith(scheme + "/"):
            uri = scheme + "/" + uri[len(scheme) :]
    query = request.url.query
    return f"{uri}?{query}" if query else uri


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


def _sandbox(origin: str) -> str:
    return (
        f"sandbox; default-src 'none'; img-src {origin} data:; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors *"
    )


def _sentence(status: int, sentence: str) -> Response:
    return PlainTextResponse(sentence + "\n", status_code=status)
