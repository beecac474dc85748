"""A flaky server (the replica's fault modes): retries that back off, and a polite stop when blocked."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.cli import FAST, RECORD_FIELDS, as_json, crawl, export, newsarchive
from tests.operations import content

# Seed 2 at a 30% rate faults both of the first list pages and every default kind on the default
# site, some pages twice (5xx, timeout, reset, truncated, slow, 429 + Retry-After, redirect loop).
FAULTS = {"faults": 0.3, "fault_seed": 2, "fault_timeout": 1}
QUICK_RETRIES = ("-s", "RETRY_BACKOFF_BASE=0.2")


@pytest.fixture(scope="module")
def flaky(replica_factory, tmp_path_factory):
    """The faulted site crawled once; its truth, the run's summary, the archive."""
    site = replica_factory(**FAULTS)
    db = tmp_path_factory.mktemp("faults") / "archive.db"
    summary = crawl(site.base_url, db, *QUICK_RETRIES)
    return site.truth(), summary, db, site.stats()["faults"], site.faults()["attempts"]


def test_the_seed_faults_list_pages_and_every_kind(flaky):
    truth, *_ = flaky
    kinds = {fault["kind"] for fault in truth["faulted"]}
    assert kinds == {
        "error_500",
        "error_502",
        "error_503",
        "timeout",
        "reset",
        "truncated",
        "slow",
        "too_many_requests",
        "redirect_loop",
    }
    assert {"/col8173/col8174/", "/col8173/col8174/index_2.html"} <= {
        fault["path"] for fault in truth["faulted"]
    }
    assert any(fault["failures"] == 2 for fault in truth["faulted"])


def test_every_article_is_archived_exactly_once_with_the_right_content(flaky):
    truth, summary, db, *_ = flaky
    assert (summary["errors"], summary["new"]) == (0, len(truth["articles"]))
    archived = {record["url"]: record for record in export(db, "--all-versions")}
    assert sorted(archived) == sorted(a["url"] for a in truth["articles"])
    wrong = [
        (a["url"], name)
        for a in truth["articles"]
        for name in RECORD_FIELDS
        if archived[a["url"]][name] != a[name]
    ]
    assert wrong == []
    assert {len(versions) for _, _, versions in content(db).values()} == {1}


def test_each_faulted_page_was_asked_once_more_than_it_failed(flaky):
    """No page was given up on and none hammered; a slow answer is an answer (not retried).
    (Twisted also re-sends a request by itself when a reused connection turns out dead, so the
    crawler's own retry count can be below the failures.)"""
    truth, summary, _, stats, attempts = flaky
    expected = {
        f["path"]: 1 if f["kind"] == "slow" else f["failures"] + 1 for f in truth["faulted"]
    }
    assert attempts == expected
    failed = sum(f["failures"] for f in truth["faulted"] if f["kind"] != "slow")
    assert 0 < summary["retries"] <= failed
    assert stats["attempts"] == sum(expected.values())


def test_retry_after_was_honoured(flaky):
    _, summary, _, stats, _ = flaky
    asked = stats["by_kind"]["too_many_requests"]
    assert asked >= 3
    assert summary["retry_waited_seconds"] >= 2 * asked  # Retry-After: 2, each time


def test_when_retries_run_out_the_run_says_what_failed_and_the_next_one_completes(
    replica_factory, tmp_path
):
    site = replica_factory(**FAULTS)
    db = tmp_path / "archive.db"
    first = crawl(site.base_url, db, "-s", "RETRY_TIMES=0", exit_codes=(1,))
    assert first["errors"] > 0 and first["errors_by_kind"]["list-page"] >= 1
    assert first["list_walk_complete"] is False
    second = crawl(site.base_url, db, *QUICK_RETRIES)
    assert second["errors"] == 0 and second["list_walk_complete"]
    articles = site.truth()["articles"]
    archived = content(db)
    assert sorted(archived) == sorted(a["url"] for a in articles)
    assert {len(versions) for _, _, versions in archived.values()} == {1}
    (latest, earlier) = as_json("runs", db=db)
    assert (latest["exit_code"], earlier["exit_code"]) == (0, 1)


def test_a_blocked_crawl_stops_at_the_first_challenge_on_a_list_page(replica_factory, tmp_path):
    site = replica_factory(block=True)
    db = tmp_path / "archive.db"
    done = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--json", db=db)
    assert done.returncode == 75
    assert "answered a list page with an anti-bot challenge (HTTP 412)" in done.stderr
    assert json.loads(done.stdout)["finish_reason"] == "blocked"
    assert site.stats()["faults"]["blocked"] == 1
    (run,) = as_json("runs", db=db)
    assert (run["status"], run["exit_code"]) == ("blocked", 75)


def test_challenges_on_articles_in_a_row_stop_a_recheck(replica_factory, tmp_path):
    site = replica_factory()
    db = tmp_path / "archive.db"
    crawl(site.base_url, db)
    urls = [a["url"] for a in site.truth()["articles"][:8]]
    site.set_faults(block=True)
    one_at_a_time = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0")
    done = newsarchive("recheck", *urls, "--base-url", site.base_url, *one_at_a_time, db=db)
    assert done.returncode == 75
    assert "answered 3 articles in a row with an anti-bot challenge" in done.stderr
    assert 3 <= site.stats()["faults"]["blocked"] <= 4  # the next request may be on its way


def test_fewer_challenges_than_the_limit_are_recorded_like_any_page(replica_factory, tmp_path):
    site = replica_factory()
    db = tmp_path / "archive.db"
    crawl(site.base_url, db)
    site.set_faults(block=True)
    urls = [a["url"] for a in site.truth()["articles"][:2]]
    done = newsarchive("recheck", *urls, "--base-url", site.base_url, *FAST, "--json", db=db)
    assert done.returncode == 1, done.stderr  # two pages failed; the run went to its end
    summary = json.loads(done.stdout)
    assert (summary["finish_reason"], summary["errors_by_kind"]) == ("finished", {"blocked": 2})


def test_log_lines_on_a_terminal_never_glue_onto_the_progress_line(replica_factory, tmp_path):
    """Lines logged while the progress display shows are printed above it, whole."""
    site = replica_factory(**FAULTS)
    parent, child = pty.openpty()
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", site.base_url, *FAST]
    command += ["-s", "RETRY_TIMES=0", "--db", str(tmp_path / "archive.db")]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=child, text=True)
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
    process.communicate(timeout=120)
    os.close(parent)
    text = shown.decode("utf-8", "replace")
    logged = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+\] (?:ERROR|WARNING):", text)
    assert logged, "the faults should have made the crawl log something"
    glued = re.findall(r"errors[^\r\n]{0,40}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", text)
    assert glued == []
    lines = re.findall(r"\] (?:ERROR|WARNING): ([^\r\n]*)", text)
    assert lines and all("http://" in line for line in lines)  # every one names its URL
    assert "articles done" in text
