"""Shared fixtures: the local replica of www.chencang.gov.cn (tests/replica), and archives on
both engines (a SQLite file, a database on a throwaway PostgreSQL server)."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.replica.process import ReplicaProcess


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaProcess]:
    """The default small site (47 articles, day 1), shared: tests must not switch its day."""
    with ReplicaProcess() as process:
        yield process


@pytest.fixture(scope="session")
def day1_archive(replica, tmp_path_factory) -> Path:
    """The default replica's day 1, crawled once for the whole session: tests that only read it
    may use it as it is; a test that writes copies it first (shutil.copy)."""
    from tests.cli import crawl

    db = tmp_path_factory.mktemp("day1") / "archive.db"
    crawl(replica.base_url, db)
    with closing(sqlite3.connect(db)) as connection:  # everything in the file, nothing in a WAL
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture(scope="session")
def web_archive(replica_factory, tmp_path_factory) -> tuple[Path, ReplicaProcess]:
    """Fourteen days of a replica with extra edits and its two hostile articles, crawled daily
    (tests/web.py), and the replica itself (its request log shows who asked it for what). The
    archive is only read: a test that writes copies it first."""
    from tests.web import EDIT_RATE, WEB_DAYS, crawl_days

    site = replica_factory(day=1, edit_rate=EDIT_RATE, hostile=True)
    db = tmp_path_factory.mktemp("web") / "archive.db"
    crawl_days(site, db, WEB_DAYS)
    return db, site


@pytest.fixture(scope="session")
def replica_factory() -> Iterator[Callable[..., ReplicaProcess]]:
    """Start an extra replica per call, e.g. replica_factory(day=2, template="B"); a test that
    switches the day needs its own. All are stopped at the end of the session."""
    started: list[ReplicaProcess] = []

    def start(**options: object) -> ReplicaProcess:
        process = ReplicaProcess(**options)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return unused.getsockname()[1]


# --- archives on both engines

# The archive, query, CLI and crawl tests that take `archive_url` or `module_archive_url` run on
# each engine: a SQLite file, and a fresh database on a PostgreSQL server of this test process.
ENGINES = ("sqlite", "postgresql")
_databases = itertools.count()


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A throwaway server for this test process (Debian's packages; about a second to start)."""
    from tests.postgres import installed, postgresql_server

    if not installed():
        pytest.skip(
            "PostgreSQL is not installed here (.ci/run installs it: apt-get install postgresql)"
        )
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))  # reachable by the postgres user
    try:
        with postgresql_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_archive(engine: str, folder: Path, request: pytest.FixtureRequest) -> str:
    """An empty archive's URL: a file in `folder`, or a new database on the session's server."""
    if engine == "sqlite":
        return str(folder / "archive.db")
    from tests.postgres import fresh_database

    server = request.getfixturevalue("postgresql_url")
    return fresh_database(server, f"archive_{os.getpid()}_{next(_databases)}")


@pytest.fixture(params=ENGINES)
def archive_url(request, tmp_path) -> str:
    return new_archive(request.param, tmp_path, request)


@pytest.fixture(scope="module", params=ENGINES)
def module_archive_url(request, tmp_path_factory) -> str:
    """One archive per module and engine, for modules whose tests read one crawl."""
    return new_archive(request.param, tmp_path_factory.mktemp("archive"), request)
