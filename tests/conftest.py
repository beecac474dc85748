"""Shared fixtures: the local replica of www.chencang.gov.cn (tests/replica)."""

from __future__ import annotations

import socket
import sqlite3
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
