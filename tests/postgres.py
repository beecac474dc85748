"""A throwaway PostgreSQL server from Debian's packages for tests: initdb into a temporary folder
as the `postgres` user (the server refuses root), a unix socket only, fsync off; stopped at once."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

USER = "postgres"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (apt-get install postgresql).")
    return found[-1]


def installed() -> bool:
    """Whether Debian's PostgreSQL server programs are here."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") or shutil.which("initdb"))


def _as_postgres(*command: str) -> None:
    """Run a server command as the postgres user (su when this is root)."""
    line = " ".join(f"'{part}'" for part in command)
    argv = ["su", USER, "-c", line] if os.geteuid() == 0 else list(command)
    subprocess.run(argv, check=True, capture_output=True, timeout=120)


@contextmanager
def postgresql_server(folder: Path) -> Iterator[str]:
    """A running server with an empty `archive` database (UTF-8, C.UTF-8 collation): its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, USER)
    data, socket_dir = folder / "data", str(folder)
    _as_postgres(
        _bin("initdb"),
        "--no-sync",
        "-D",
        str(data),
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "-A",
        "trust",
    )
    options = f"-k {socket_dir} -c listen_addresses= -c fsync=off"
    _as_postgres(
        _bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"
    )
    try:
        _as_postgres(_bin("createdb"), "-h", socket_dir, "archive")
        yield f"postgresql://{USER}@/archive?host={socket_dir}"
    finally:
        _as_postgres(_bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop")


def fresh_database(url: str, name: str) -> str:
    """A new empty database on the server of `url`: its URL."""
    socket_dir = url.split("host=")[1]
    _as_postgres(_bin("createdb"), "-h", socket_dir, name)
    return url.replace("/archive?", f"/{name}?")
