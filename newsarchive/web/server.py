"""Both origins in one process: the application on its port, the replay origin on another (a
second origin, so archived scripts could never reach the application's pages). Both sockets are
bound before anything starts, so a port in use is one sentence; SIGINT and SIGTERM stop both."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from archive.database import Archive
from newsarchive.web.app import create_app
from newsarchive.web.replay import create_replay

# A request line may carry a long URI-R; the guard answers overlong ones with a sentence.
_MAX_REQUEST_HEAD = 64 * 1024


class ListenError(Exception):
    """A port that cannot be listened on; `in_use` when another process holds it."""

    def __init__(self, sentence: str, in_use: bool) -> None:
        super().__init__(sentence)
        self.in_use = in_use


@dataclass(frozen=True)
class Origins:
    app: str
    replay: str


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
    ports: tuple[int, int],
    replay_origin: str | None = None,
    announce: Callable[[Origins], None] = lambda origins: None,
) -> None:
    """Serve until SIGINT or SIGTERM. Port 0 picks a free port; `announce` is told the origins
    once both sockets listen."""
    sockets = [listen(host, port) for port in ports]
    bound = [sock.getsockname()[1] for sock in sockets]
    app = create_app(archive, replay_port=bound[1], replay_origin=replay_origin)
    servers = [_Server(_config(app, host)), _Server(_config(create_replay(archive), host))]
    announce(Origins(_origin(host, bound[0]), replay_origin or _origin(host, bound[1])))
    asyncio.run(_run(servers, sockets))


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port, or ListenError saying why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # The protocol too: asyncio turns Nagle's algorithm off only on sockets it sees are
        # TCP, and a response written in two pieces would otherwise wait for the client's
        # delayed ACK (40 ms on every keep-alive request).
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)  # connections wait in the backlog until the server runs
    except OSError as exc:
        reason = exc.strerror or str(exc)
        sentence = f"Cannot listen on {host}:{port}: {reason.lower()}."
        raise ListenError(sentence, isinstance(exc, OSError) and exc.errno == 98) from None
    return sock


def _origin(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def _config(app: Starlette, host: str) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        log_level="warning",
        access_log=False,
        server_header=False,
        h11_max_incomplete_event_size=_MAX_REQUEST_HEAD,
    )


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to _run, which stops both servers together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _run(servers: list[_Server], sockets: list[socket.socket]) -> None:
    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop)
    tasks = [
        asyncio.create_task(server.serve(sockets=[sock]))
        for server, sock in zip(servers, sockets, strict=True)
    ]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop()
    await asyncio.gather(*tasks, return_exceptions=True)
