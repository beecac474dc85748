"""Unattended operation: the crawl lock, runs on record, kill -9 at any moment, signals, quiet."""

from __future__ import annotations

import json
import os
import pty
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from archive.database import resolve_db_url
from crawler.run.lock import CrawlLock, lock_path
from tests.cli import FAST, as_json, crawl, newsarchive
from tests.operations import (
    ENTRY_POINTS,
    child_holding,
    content,
    count,
    integrity,
    run_crawl,
    start_crawl,
    wait_until,
)

ARTICLES = 400  # enough work that every kill lands inside a crawl
KILLS = 12
RUNNING = "SELECT count(*) FROM crawl_run WHERE status = 'running'"
# Downloads slower than the archive's writes, so a signal finds pages still to fetch.
UNHURRIED = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", "DOWNLOAD_DELAY=0.01")
# Slower still: a crawl to be killed or locked out must not finish first, however loaded the
# machine (the last articles of the site would otherwise take well under a second).
SLOW = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.02")
ARTICLE_CAPTURES = (
    "SELECT count(*) FROM capture c JOIN page p ON p.id = c.page_id WHERE p.kind = 'article'"
)


@pytest.fixture(scope="module")
def site(replica_factory):
    return replica_factory(articles=ARTICLES)


@pytest.fixture(scope="module")
def reference_archive(site, tmp_path_factory):
    """One uninterrupted crawl of the site; tests that write copy it first."""
    db = tmp_path_factory.mktemp("reference") / "archive.db"
    crawl(site.base_url, db)
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture(scope="module")
def reference(reference_archive):
    """What the archive of an uninterrupted crawl holds: what every interrupted history must
    end up as."""
    return content(reference_archive)


def test_the_reference_crawl_holds_every_article_once(site, reference):
    urls = {a["url"] for a in site.truth()["articles"]}
    assert set(reference) == urls
    assert {len(versions) for _, _, versions in reference.values()} == {1}


@pytest.mark.parametrize(
    ("first_entry", "second_entry"),
    [("newsarchive", "scrapy"), ("scrapy", "newsarchive")],
    ids=["scrapy crawl refused", "newsarchive crawl refused"],
)
def test_a_second_crawl_exits_75_naming_the_holder(site, tmp_path, first_entry, second_entry):
    db = tmp_path / "archive.db"
    first = start_crawl(site.base_url, db, *SLOW, entry=first_entry)
    try:
        assert wait_until(lambda: count(db, RUNNING) == 1, first, timeout=60), first.stderr
        second = run_crawl(site.base_url, db, entry=second_entry)
        assert second.returncode == 75
        (line,) = error_lines(second.stderr)
        assert f"PID {first.pid}" in line and "started 20" in line
        assert second.stdout == ""
        if second_entry == "newsarchive":
            assert second.stderr.strip() == line
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    assert first.returncode == 130  # SIGTERM: both entry points stop gracefully


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_lock_held_by_another_process_is_respected_and_reported(
    reference_archive, site, tmp_path, entry
):
    db = tmp_path / "archive.db"
    shutil.copy(reference_archive, db)
    before = content(db)
    with CrawlLock(lock_path(resolve_db_url(str(db)), "chencang")):
        done = run_crawl(site.base_url, db, entry=entry)
        recheck = newsarchive("recheck", next(iter(before)), "--base-url", site.base_url, db=db)
    assert done.returncode == 75
    assert [f"PID {os.getpid()} on " in line for line in error_lines(done.stderr)] == [True]
    assert recheck.returncode == 75
    assert content(db) == before
    assert [run["command"] for run in as_json("runs", db=db)] == ["crawl"]  # the reference's


@pytest.mark.parametrize(
    ("how", "to_group"),
    [(signal.SIGINT, True), (signal.SIGTERM, False)],
    ids=["ctrl-c to the process group", "sigterm to the crawler"],
)
def test_a_signal_stops_the_crawl_gracefully_and_the_next_one_finishes(
    site, reference, tmp_path, how, to_group
):
    db = tmp_path / "archive.db"
    process = start_crawl(site.base_url, db, *UNHURRIED)
    assert wait_until(lambda: count(db, ARTICLE_CAPTURES) >= 40, process, timeout=120)
    (os.killpg if to_group else os.kill)(process.pid, how)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    summary = json.loads(stdout)
    assert summary["finish_reason"] == "shutdown" and 40 <= summary["new"] < ARTICLES
    (run,) = as_json("runs", db=db)
    assert (run["status"], run["exit_code"]) == ("interrupted", 130)
    assert integrity(db) == "ok"
    assert newsarchive("verify", db=db).returncode == 0
    resumed = crawl(site.base_url, db)
    assert resumed["new"] == ARTICLES - summary["new"] and resumed["list_walk_complete"]
    assert content(db) == reference


def test_kill_9_at_random_moments_loses_nothing_and_the_next_run_completes(
    site, reference, tmp_path
):
    """Each kill lands inside a crawl: while it starts up, or after a random number of pages were
    archived. The crawls alternate between `newsarchive crawl` and `scrapy crawl` (each resumes
    the other's killed run); half the kills take the whole process group (the writer
    mid-transaction included), the others only the crawler, as `kill -9 PID` does."""
    db = tmp_path / "archive.db"
    rng = random.Random(20261129)
    landed, took_over = [], 0
    for kill in range(KILLS):
        entry = ENTRY_POINTS[kill % 2]
        process = start_crawl(site.base_url, db, *SLOW, entry=entry)
        already = count(db, ARTICLE_CAPTURES)
        if kill % 3 == 0:
            never = lambda: False  # noqa: E731 - so a moment during start-up, by time
            wait_until(never, process, timeout=rng.uniform(0.2, 2.5))
        else:
            target = already + rng.randint(1, 25)
            reached = lambda target=target: count(db, ARTICLE_CAPTURES) >= target  # noqa: E731
            wait_until(reached, process, timeout=120)
        if process.poll() is None:
            landed.append(entry)
            (os.killpg if (kill // 2) % 2 == 0 else os.kill)(process.pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=60)
        took_over += "Took over the crawl lock" in stderr
        if not db.exists():  # killed before the archive was made: nothing to check yet
            continue
        assert integrity(db) == "ok"
        verified = newsarchive("verify", "--json", db=db)
        assert verified.returncode == 0, verified.stdout
    assert sorted(landed) == sorted(ENTRY_POINTS * (KILLS // 2))  # no crawl ended before its kill
    assert took_over >= 2
    final = crawl(site.base_url, db)
    assert final["errors"] == 0 and final["list_walk_complete"]
    assert content(db) == reference
    statuses = [run["status"] for run in as_json("runs", "--limit", "100", db=db)]
    assert statuses[0] == "finished" and set(statuses[1:]) == {"interrupted"}


def test_a_writer_process_killed_mid_crawl_hands_its_pages_back_to_the_crawler(
    site, reference, tmp_path
):
    """The pages sent to the writer when it died are written by the crawler, chained to what
    the writer wrote: nothing lost, nothing twice, the fixity chain unbroken."""
    db = tmp_path / "archive.db"
    process = start_crawl(site.base_url, db, *SLOW, "-s", "NEWSARCHIVE_WORKERS_AFTER=5")
    writer = None
    try:
        wait_until(lambda: count(db, ARTICLE_CAPTURES) >= 30, process, timeout=120)
        writer = child_holding(process.pid, db)
        assert writer is not None, "no writer process holds the archive"
        os.kill(writer, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "writing pages from the crawler process instead" in stderr
    assert json.loads(stdout)["errors"] == 0
    assert content(db) == reference
    assert newsarchive("verify", db=db).returncode == 0


def test_quiet_prints_only_when_something_changed_or_failed(site, tmp_path):
    db = tmp_path / "archive.db"
    first = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--quiet", db=db)
    assert first.returncode == 0 and f"{ARTICLES} new" in first.stdout
    again = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--quiet", db=db)
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    log = tmp_path / "crawl.log"
    logged = newsarchive(
        "crawl", "--base-url", site.base_url, *FAST, "--quiet", "--log-file", log, db=db
    )
    assert (logged.returncode, logged.stdout, logged.stderr) == (0, "", "")
    assert "Spider opened" in log.read_text() and "Spider closed (finished)" in log.read_text()


def test_a_terminal_gets_a_progress_display(site, tmp_path):
    db = tmp_path / "archive.db"
    parent, child = pty.openpty()
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", site.base_url, *FAST]
    process = subprocess.Popen(
        [*command, "--db", str(db)], stdout=subprocess.PIPE, stderr=child, text=True
    )
    os.close(child)
    shown = b""
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        shown += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(parent)
    assert process.returncode == 0
    text = shown.decode("utf-8", "replace")
    assert "list pages" in text and "articles done" in text and "/s" in text and "errors" in text
    assert "articles done" not in stdout and f"{ARTICLES} new" in stdout


def test_runs_record_arguments_counts_and_exit_status(site, tmp_path):
    db = tmp_path / "archive.db"
    crawl(site.base_url, db, "--max-revisits", "5")
    (run,) = as_json("runs", db=db)
    assert run["arguments"]["max_revisits"] == 5 and run["arguments"]["process"]["pid"] > 0
    assert run["finished_at"] >= run["started_at"]
    counts = run["counts"]
    assert (counts["new"], counts["errors"], counts["errors_by_kind"]) == (ARTICLES, 0, {})
    assert counts["requested"] > ARTICLES and counts["bytes"] > 0
    assert (run["status"], run["exit_code"]) == ("finished", 0)
    text = newsarchive("runs", db=db)
    (header, row) = text.stdout.splitlines()
    assert header.split() == [
        "run",
        "started",
        "(UTC)",
        "site",
        "command",
        "status",
        "new",
        "changed",
        "errors",
        "exit",
    ]
    assert row.split()[3:] == ["crawl", "finished", str(ARTICLES), "0", "0", "0"]


def test_a_killed_run_shows_as_interrupted_before_any_crawl_closes_it(site, tmp_path):
    db = tmp_path / "archive.db"
    process = start_crawl(site.base_url, db)
    assert wait_until(lambda: count(db, ARTICLE_CAPTURES) >= 5, process, timeout=120)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)
    assert count(db, RUNNING) == 1  # nobody has closed it yet
    (run,) = as_json("runs", db=db)
    assert run["status"] == "interrupted" and run["exit_code"] is None
    assert "interrupted" in newsarchive("runs", db=db).stdout


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error: ")]


def pid_of_nothing() -> int:
    """A PID no process has now (a stale lock's holder)."""
    probe = subprocess.Popen([sys.executable, "-c", "pass"])
    probe.wait()
    return probe.pid


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_stale_lock_file_is_taken_over_with_a_log_line(site, tmp_path, entry):
    db = tmp_path / "archive.db"
    stale = {"pid": pid_of_nothing(), "started_at": "2026-01-01T03:00:00+00:00", "host": "cron"}
    Path(lock_path(resolve_db_url(str(db)), "chencang")).write_text(json.dumps(stale))
    done = run_crawl(site.base_url, db, entry=entry)
    assert done.returncode == 0
    assert f"Took over the crawl lock of chencang left by PID {stale['pid']} on cron" in done.stderr
