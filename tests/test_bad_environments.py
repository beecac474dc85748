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


QUERIES = [
    ["runs"],
    ["verify"],
    ["changes", "--since", "2020-01-01"],
    ["export"],
    ["history", "{url}"],
    ["show", "{url}"],
    ["copies", "{url}"],
]


def read_only_storage(how: str, folder):
    """Make `folder` unwritable the way `how` says; returns the way back, or skips when this
    machine does not allow it (chattr needs an ext filesystem, a bind mount needs root)."""
    if how == "modes":
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    if how == "immutable":
        archive = folder / "archive.db"
        if subprocess.run(["chattr", "+i", str(archive)], capture_output=True).returncode:
            pytest.skip("chattr +i is not available here")
        return lambda: subprocess.run(["chattr", "-i", str(archive)], check=True)
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(folder), str(folder)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip(f"a read-only bind mount is not allowed here: {mounted.stderr.strip()}")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
    return lambda: subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("how", ["modes", "immutable", "bind-mount"])
def test_every_query_reads_an_archive_on_read_only_storage(day1_archive, replica, tmp_path, how):
    """An evidence copy: a read-only file in a read-only folder (checked as a user without
    root's override), an immutable file, a read-only mount. Queries and verify read it and
    write nothing; a crawl says in one sentence that it cannot write there."""
    folder = tmp_path / "evidence"
    folder.mkdir()
    db = folder / "archive.db"
    shutil.copy(day1_archive, db)
    db.chmod(0o444)
    url = replica.truth()["articles"][0]["url"]
    before = sorted(folder.iterdir()), digest(db)
    restore = read_only_storage(how, folder)
    try:
        for args in QUERIES:
            done = run_as_user([a.format(url=url) for a in args], db)
            assert done.returncode == 0, (args, done.stderr)
        crawl_there = run_as_user(["crawl", "--base-url", replica.base_url, *FAST], db)
    finally:
        restore()
    assert (sorted(folder.iterdir()), digest(db)) == before
    assert crawl_there.returncode == 2
    (line,) = error_lines(crawl_there.stderr)
    assert "is not writable" in line or "is read-only" in line


def run_as_user(args: list[str], db) -> subprocess.CompletedProcess[str]:
    """The command in a process without root's override of file modes."""
    command = [sys.executable, "-m", "newsarchive", *args, "--db", str(db)]
    return subprocess.run(
        command, capture_output=True, text=True, preexec_fn=honour_file_modes, timeout=300
    )


def test_a_query_of_an_empty_file_says_so_and_leaves_it_empty(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    for args in (["history", "http://www.chencang.gov.cn/a.html"], ["verify"], ["runs"]):
        done = newsarchive(*args, db=empty)
        assert done.returncode == 2 and error_lines(done.stderr) == [done.stderr.strip()]
        assert "holds no archive" in done.stderr
    assert empty.stat().st_size == 0 and sorted(tmp_path.iterdir()) == [empty]
