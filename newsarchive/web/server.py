"""Both origins in one process: the application on its port, the replay origin on the next
(a second origin, so archived scripts could never reach the application's pages)."""

from __future__ import annotations

import asyncio
import ipaddress
import logging

import uvicorn
from starlette.applications import Starlette

from archive.database import Archive
from newsarchive.web.app import create_app
from newsarchive.web.replay import create_replay

log = logging.getLogger("newsarchive.web")
# A request line may carry a long URI-R; the guard answers overlong ones with a sentence.
_MAX_REQUEST_HEAD = 64 * 1024


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    archive: Archive,
    host: str,
    port: int,
    replay_port: int,
    replay_origin: str | None = None,
) -> None:
    """Run both servers until interrupted; the first to stop stops the other."""
    app = create_app(archive, replay_port=replay_port, replay_origin=replay_origin)
    servers = [
        uvicorn.Server(_config(app, host, port)),
        uvicorn.Server(_config(create_replay(archive), host, replay_port)),
    ]
    asyncio.run(_run(servers))


def _config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
    )


async def _run(servers: list[uvicorn.Server]) -> None:
    tasks = [asyncio.create_task(server.serve()) for server in servers]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks, return_exceptions=True)
