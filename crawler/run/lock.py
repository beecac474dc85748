"""One crawl at a time per site and archive, released even when a crawl is killed: an OS file lock
beside a SQLite archive, a PostgreSQL advisory lock for an archive on a server."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a crawl lock."""

    pid: int
    started_at: str
    host: str

    def describe(self) -> str:
        return f"PID {self.pid} on {self.host}, started {self.started_at}"


class LockHeld(RuntimeError):
    """Another crawl of the same site into the same archive is running."""

    def __init__(self, holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "another process"
        super().__init__(f"Another crawl of this site into this archive is running ({who}).")


def lock_path(db_url: str, site: str) -> Path:
    """Beside a SQLite file; for a server database, in $XDG_STATE_HOME/newsarchive/locks."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(f"{Path(url.database).resolve()}.crawl-{site}.lock")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return state / "newsarchive" / "locks" / f"{digest}-{site}.lock"


class CrawlLock:
    """flock(2) on a file that names its holder. The kernel releases the lock when the holder
    dies, even by SIGKILL; the name left in the file then tells a stale lock from a free one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    @property
    def where(self) -> str:
        return str(self.path)

    def acquire(self) -> Holder | None:
        """Take the lock, or raise LockHeld. Returns the previous holder if it died holding it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(handle)
            handle.close()
            raise LockHeld(holder) from None
        stale = _read(handle)
        _write(
            handle,
            Holder(
                os.getpid(), datetime.now(UTC).isoformat(timespec="seconds"), socket.gethostname()
            ),
        )
        self._file = handle
        return stale

    def release(self) -> None:
        """Clear the holder's name (a clean exit leaves no stale lock) and unlock."""
        if self._file is None:
            return
        with contextlib.suppress(OSError):
            self._file.truncate(0)
            self._file.flush()
        fcntl.flock(self._file, fcntl.LOCK_UN)
        self._file.close()
        self._file = None

    def __enter__(self) -> Holder | None:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _read(handle: IO[str]) -> Holder | None:
    handle.seek(0)
    text = handle.read().strip()
    if not text:
        return None
    try:
        data = json.loads(text)
        return Holder(int(data["pid"]), str(data["started_at"]), str(data["host"]))
    except (ValueError, KeyError, TypeError):
        return None


def _write(handle: IO[str], holder: Holder) -> None:
    handle.seek(0)
    handle.truncate(0)
    handle.write(
        json.dumps({"pid": holder.pid, "started_at": holder.started_at, "host": holder.host})
    )
    handle.flush()
    os.fsync(handle.fileno())


# The first key of every newsarchive advisory lock ("na"), the second a site's.
_LOCK_SPACE = 0x6E61
_NAME_PREFIX = "newsarchive lock"


class ServerLock:
    """One crawl at a time per site and PostgreSQL archive, across machines: a session advisory
    lock held on a connection of its own. The server drops it when that connection ends, even
    when the holder is killed, so no lock is ever stale; the holder's PID and host ride in the
    connection's application_name, for the sentence another crawl is refused with."""

    def __init__(self, engine: Engine, site: str) -> None:
        self.engine = engine
        self.site = site
        self.key = int.from_bytes(hashlib.sha256(site.encode()).digest()[:4], "big", signed=True)
        self._connection: Connection | None = None

    @property
    def where(self) -> str:
        return f"advisory lock ({_LOCK_SPACE}, {self.key}) on the server"

    def acquire(self) -> Holder | None:
        """Take the lock, or raise LockHeld naming the holder. Never a stale holder to report."""
        connection = self.engine.connect()
        try:
            name = f"{_NAME_PREFIX} {os.getpid()} {socket.gethostname()}"[:63]
            connection.execute(
                text("SELECT set_config('application_name', :n, false)"), {"n": name}
            )
            taken = connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, :key)"),
                {"space": _LOCK_SPACE, "key": self.key},
            )
            connection.commit()
            if not taken:
                raise LockHeld(self._holder(connection))
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return None

    def _holder(self, connection: Connection) -> Holder | None:
        row = connection.execute(
            text(
                "SELECT a.application_name, a.backend_start FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.classid = :space AND l.objid = :key AND l.objsubid = 2"
            ),
            {"space": _LOCK_SPACE, "key": self.key & 0xFFFFFFFF},
        ).first()
        if row is None or not str(row[0]).startswith(_NAME_PREFIX):
            return None
        words = [*str(row[0]).split(" ", 3), "", ""]  # newsarchive lock PID HOST
        pid, host = words[2], words[3]
        started = row[1].astimezone(UTC).isoformat(timespec="seconds") if row[1] else "?"
        return Holder(int(pid) if pid.isdigit() else 0, started, host)

    def release(self) -> None:
        if self._connection is None:
            return
        with contextlib.suppress(Exception):
            self._connection.execute(
                text("SELECT pg_advisory_unlock(:space, :key)"),
                {"space": _LOCK_SPACE, "key": self.key},
            )
        self._connection.close()
        self._connection = None

    def __enter__(self) -> Holder | None:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
