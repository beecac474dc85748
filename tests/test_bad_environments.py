"""Bad input and bad environments: one sentence, a documented exit code, the archive as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from tests.cli import FAST, as_json, crawl, newsarchive
from tests.operations import content, honour_file_modes, integrity, limit_file_size


@pytest.fixture
def archive(day1_archive, tmp_path):
    """A copy of the default replica's day-1 archive, for each test to change."""
    db = tmp_path / "archive.db"
    shutil.copy(day1_archive, db)
    return db


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error: ")]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "is not an http(s) URL"),
        ("ftp://www.chencang.gov.cn/col8173/a.html", "is not an http(s) URL"),
        ("http://[www.chencang.gov.cn/a.html", "is not a well-formed URL (Invalid IPv6 URL)"),
        ("http://www.chencang.gov.cn:70000/a.html", "is not a well-formed URL (Port out of range"),
        ("http:///col8173/a.html", "has no host"),
        ("http://www.baoji.gov.cn/a.html", "is not on chencang"),
    ],
)
def test_a_url_that_cannot_be_fetched_is_one_sentence_and_exit_2(archive, url, message):
    before = digest(archive)
    for command in ("fetch", "recheck"):
        done = newsarchive(command, url, "--site", "chencang", db=archive)
        assert done.returncode == 2, done.stderr
        assert error_lines(done.stderr) == [done.stderr.strip()] and message in done.stderr
    assert digest(archive) == before


def test_a_response_that_is_not_html_is_refused_with_65(archive, replica):
    truth = replica.truth()
    attachment = next(a for a in truth["articles"] if a["attachments"])["attachments"][0]["url"]
    before = content(archive), digest(archive)
    done = newsarchive("fetch", attachment, "--base-url", replica.base_url, *FAST, db=archive)
    assert done.returncode == 65, done.stderr
    assert error_lines(done.stderr) == [
        f"Error: {replica.base_url}{attachment.removeprefix('http://www.chencang.gov.cn')} "
        "is not an HTML page (application/pdf). Nothing was archived."
    ]
    assert (content(archive), digest(archive)) == before
    assert len(as_json("runs", db=archive)) == 1  # the fetch left no run behind either


def test_a_response_over_the_size_cap_is_refused_with_65(archive, replica):
    url = replica.truth()["articles"][0]["url"]
    before = digest(archive)
    capped = ("-s", "DOWNLOAD_MAXSIZE=1000")
    done = newsarchive("fetch", url, "--base-url", replica.base_url, *FAST, *capped, db=archive)
    assert done.returncode == 65, done.stderr
    (line,) = error_lines(done.stderr)
    assert "is larger than the 1,000-byte download cap (DOWNLOAD_MAXSIZE)" in line
    assert digest(archive) == before


def test_an_unknown_site_is_exit_2(archive):
    done = newsarchive("crawl", "atlantis", db=archive)
    assert done.returncode == 2 and "no site profile named 'atlantis'" in done.stderr


def test_an_archive_from_a_newer_newsarchive_is_refused_by_every_command(archive, replica):
    with closing(sqlite3.connect(archive)) as connection, connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffff_from_the_future'")
    before = digest(archive)
    url = replica.truth()["articles"][0]["url"]
    for args in (
        ["crawl", "--base-url", replica.base_url, *FAST],
        ["fetch", url, "--base-url", replica.base_url],
        ["history", url],
        ["verify"],
    ):
        done = newsarchive(*args, db=archive)
        assert done.returncode == 2, (args, done.stderr)
        assert error_lines(done.stderr) == [done.stderr.strip()]
        assert "was written by a newer newsarchive" in done.stderr
    assert digest(archive) == before


def test_an_archive_that_is_not_writable_is_refused(archive, replica):
    archive.chmod(0o444)
    before = digest(archive)
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", replica.base_url, *FAST]
    done = subprocess.run(
        [*command, "--db", str(archive)],
        capture_output=True,
        text=True,
        preexec_fn=honour_file_modes,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert error_lines(done.stderr) == [f"Error: The archive {archive} is not writable."]
    assert digest(archive) == before


def test_a_full_disk_stops_the_crawl_with_74_and_the_archive_stays_whole(
    replica_factory, archive, tmp_path
):
    """--full re-fetches every page, and every capture needs room; the disk has 100 kB left."""
    site = replica_factory()  # the same articles as the archive's
    before = content(archive)
    full_disk = limit_file_size(archive.stat().st_size + 100_000)
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", site.base_url, *FAST]
    done = subprocess.run(
        [*command, "--full", "--json", "--db", str(archive)],
        capture_output=True,
        text=True,
        preexec_fn=full_disk,
        timeout=300,
    )
    assert done.returncode == 74, done.stderr
    errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
    assert len(errors) == 1 and "The archive could not be written (disk full" in errors[0]
    summary = json.loads(done.stdout)
    assert summary["finish_reason"] == "storage-failed"
    assert summary["errors_by_kind"]["not-written"] >= 1
    assert integrity(archive) == "ok"
    assert newsarchive("verify", db=archive).returncode == 0
    assert content(archive) == before  # the pages written before the disk filled are unchanged
    again = crawl(site.base_url, archive, "--full")
    assert again["errors"] == 0 and content(archive) == before


def test_a_disk_without_room_to_open_the_archive_is_74_not_a_bad_database(replica, archive):
    """SQLite needs room for its WAL index before it reads a byte: none is left."""
    before = digest(archive)
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", replica.base_url, *FAST]
    done = subprocess.run(
        [*command, "--db", str(archive)],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size(1000),
        timeout=120,
    )
    assert done.returncode == 74, done.stderr
    assert error_lines(done.stderr) == [
        f"Error: {archive} cannot be opened (disk full, over a file size limit, or failing): "
        "disk I/O error."
    ]
    assert digest(archive) == before
