"""`newsarchive serve` as users start it: a real process on loopback, two origins (the application
and the replay origin), stopped at the end; and plain HTTP requests to it with urllib."""

from __future__ import annotations

import re
import select
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from tests.cli import DAILY, crawl
from tests.replica.process import ReplicaProcess

START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Served:
    app: str  # http://127.0.0.1:PORT
    replay: str
    process: subprocess.Popen[str]
    # What it printed before it announced its origins, then (once stopped) after.
    stderr: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


ANNOUNCED = re.compile(r"^newsarchive: (http://\S+)/ \(archived pages from (http://\S+)\)$")


@contextmanager
def serving(db: Path, *arguments: str) -> Iterator[Served]:
    """The archive at `db` served on free ports (--port 0), which it announces on stderr."""
    command = [sys.executable, "-m", "newsarchive", "serve", "--db", str(db), "--port", "0"]
    process = subprocess.Popen(
        [*command, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    served = None
    try:
        served = _announced(process)
        yield served
    finally:
        error = stop(process)
        if served is not None:
            served.stderr.append(error)


def _announced(process: subprocess.Popen[str]) -> Served:
    """The origins the server announces; what it printed before them is kept in `stderr`."""
    assert process.stderr is not None
    deadline, before = time.monotonic() + START_TIMEOUT, []
    while time.monotonic() < deadline:
        ready = select.select([process.stderr], [], [], deadline - time.monotonic())[0]
        line = process.stderr.readline() if ready else ""
        if not line:
            break
        found = ANNOUNCED.match(line.strip())
        if found:
            return Served(found.group(1), found.group(2), process, ["".join(before)])
        before.append(line)
    raise RuntimeError(f"newsarchive serve did not start: {''.join(before)}")


def stop(process: subprocess.Popen[str]) -> str:
    """Stop the server (SIGTERM, as systemd does) and return what it printed on stderr."""
    if process.poll() is None:
        process.terminate()
    try:
        _, error = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        _, error = process.communicate()
    return error or ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
    """One request, redirects not followed, any status answered (never raised)."""
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with _opener.open(request, timeout=30) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as answer:
        return Answer(answer.code, answer.headers, answer.read())


def raw(origin: str, target: str, method: str = "GET") -> Answer:
    """A request line sent exactly as given (no client normalising `..` or quoting)."""
    host, port = origin.removeprefix("http://").split(":")
    with closing(socket.create_connection((host, int(port)), timeout=30)) as connection:
        head = f"{method} {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
        connection.sendall(head.encode("latin-1"))
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    head_bytes, _, body = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = Message()
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return Answer(int(lines[0].split()[1]), headers, body)


# The replica's fourteen days hold every kind of event: edits of each class, deletions (404, 410,
# soft 404), a page back after its deletion (day 13), an unlisting, a move (day 14); the extra
# edits give articles several versions.
WEB_DAYS = 14
EDIT_RATE = 0.08


def evening(day: int) -> str:
    """Simulated day `day` at 23:00 in Shanghai (the replica's day 1 is 2025-12-01)."""
    return f"2025-12-{day:02d}T23:00:00+08:00"


def crawl_days(site: ReplicaProcess, db: Path, days: int, *args: str) -> None:
    """One crawl a day, like cron, each at its simulated evening (`args` added to each)."""
    for day in range(1, days + 1):
        site.set_day(day)
        now = ("-s", f"NEWSARCHIVE_NOW={evening(day)}")
        crawl(site.base_url, db, *DAILY, *now, *args, exit_codes=(0, 1))
    with closing(sqlite3.connect(db)) as connection:  # everything in the file, nothing in a WAL
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
