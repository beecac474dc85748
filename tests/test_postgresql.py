"""The archive on a real PostgreSQL server (Debian's, started for the module): the migrations
build the schema the models describe, a crawl of the replica is archived whole and verifies, the
query commands and search read it (search scans folded text there), and its WARC export imports
into an SQLite archive version for version."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from archive.database import open_archive
from archive.models import Base, include_name
from tests.cli import FAST, as_json, crawl, newsarchive
from tests.postgres import fresh_database, postgresql_server
from tests.replica.process import ReplicaProcess


@pytest.fixture(scope="module")
def server():
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))  # reachable by the postgres user
    try:
        with postgresql_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def crawled(server):
    """The day-1 replica crawled into PostgreSQL; its truth."""
    with ReplicaProcess() as site:
        summary = crawl(site.base_url, server)  # type: ignore[arg-type]
        return site.truth(), summary


def test_the_migrations_build_the_schema_the_models_describe(server):
    url = fresh_database(server, "schema")
    archive = open_archive(url)
    try:
        with archive.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"include_name": include_name})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        archive.close()
    assert newsarchive("db", "upgrade", db=url).returncode == 0  # already at head


def test_a_crawl_is_archived_whole_and_verifies(server, crawled):
    truth, summary = crawled
    assert summary["new"] == len(truth["articles"])
    assert newsarchive("verify", db=server).returncode == 0
    for article in truth["articles"][:10]:
        record = as_json("show", article["url"], db=server)
        assert (record["title"], record["body"]) == (article["title"], article["body"])
        assert record["published_at"] == article["published_at"]


def test_search_finds_what_the_versions_say(server, crawled):
    truth, _ = crawled
    for query in ("小麦", "区", "工作会议"):
        wanted = {a["url"] for a in truth["articles"] if query in a["title"] or query in a["body"]}
        found = as_json("search", query, "--limit", "1000", db=server)
        assert {hit["url"] for hit in found["results"]} == wanted, query
        assert found["total"] == len(wanted)


def test_a_second_crawl_changes_nothing_and_the_queries_read_it(server, crawled):
    truth, _ = crawled
    with ReplicaProcess() as site:
        again = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--json", db=server)
    assert again.returncode == 0, again.stderr
    status = newsarchive("status", db=server)
    assert status.returncode == 0 and f"articles: {len(truth['articles'])}" in status.stdout
    runs = as_json("runs", db=server)
    assert [r["status"] for r in runs] == ["finished", "finished"]
    assert newsarchive("verify", db=server).returncode == 0


def test_a_postgresql_export_imports_into_sqlite_version_for_version(server, crawled, tmp_path):
    warc = tmp_path / "pg.warc.gz"
    done = newsarchive("export", "--format", "warc", "--output", str(warc), db=server)
    assert done.returncode == 0, done.stderr
    copy = tmp_path / "copy.db"
    assert newsarchive("import", str(warc), db=copy).returncode == 0
    assert versions(copy) == pg_versions(server)
    assert newsarchive("verify", db=copy).returncode == 0


QUERY = (
    "SELECT p.url, v.number, v.content_sha256, v.record_sha256 FROM version v"
    " JOIN page p ON p.id = v.page_id ORDER BY p.url, v.number"
)


def versions(db: Path) -> list[tuple]:
    with closing(sqlite3.connect(db)) as connection:
        return [tuple(row) for row in connection.execute(QUERY)]


def pg_versions(url: str) -> list[tuple]:
    from sqlalchemy import text

    archive = open_archive(url, create=False, read_only=True)
    try:
        with archive.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(QUERY))]
    finally:
        archive.close()


HOLD = """
import sys
from sqlalchemy import create_engine
from crawler.run.lock import ServerLock
lock = ServerLock(create_engine(sys.argv[1].replace("postgresql://", "postgresql+psycopg://")), "chencang")
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def test_a_crawl_waits_for_the_server_lock_held_anywhere_and_a_killed_holder_frees_it(server):
    """The crawl lock of a server archive is the server's: another machine's crawl (here,
    another process) holding it refuses this one with 75 and its PID; killed, it frees it."""
    import os
    import signal
    import subprocess
    import sys

    with subprocess.Popen(
        [sys.executable, "-c", HOLD, server],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with ReplicaProcess() as site:
            refused = newsarchive("crawl", "--base-url", site.base_url, *FAST, db=server)
            assert refused.returncode == 75
            (line,) = refused.stderr.strip().splitlines()
            running = f"Another crawl of this site into this archive is running (PID {holder.pid}"
            assert running in line
            os.kill(holder.pid, signal.SIGKILL)
            holder.wait(timeout=60)
            done = newsarchive("crawl", "--base-url", site.base_url, *FAST, db=server)
            assert done.returncode == 0, done.stderr
