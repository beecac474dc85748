"""Trust in daily use: a failed command leaves the archive as it was; what was never an article
is never archived; refusals are said once; an archivist can stop tracking a page."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing

import pytest

from tests.cli import FAST, as_json, crawl, newsarchive
from tests.operations import content

QUICK = ("-s", "RETRY_BACKOFF_BASE=0.05")  # retried as usual, without the waits


@pytest.fixture
def archive(day1_archive, tmp_path):
    db = tmp_path / "archive.db"
    shutil.copy(day1_archive, db)
    return db


def state(db):
    """Every page's state and the captures and events the archive holds."""
    with closing(sqlite3.connect(db)) as connection:
        return (
            content(db),
            connection.execute(
                "SELECT id, state, last_captured_at, last_outcome FROM page ORDER BY id"
            ).fetchall(),
            connection.execute("SELECT count(*) FROM capture").fetchone(),
            connection.execute("SELECT id, kind FROM page_event ORDER BY id").fetchall(),
        )


def article(replica, index=0):
    return replica.truth()["articles"][index]["url"]


def test_a_recheck_that_reaches_nothing_changes_no_page(archive, replica, closed_port):
    """The reproduction: a recheck without network gave a live article a permanent
    `unreachable` event. Now the run is failed, says why once, and no page moves."""
    before = state(archive)
    nowhere = f"http://127.0.0.1:{closed_port}"
    done = newsarchive(
        "recheck", article(replica), "--base-url", nowhere, *FAST, *QUICK, db=archive
    )
    assert done.returncode == 69
    assert (
        done.stderr.strip() == f"Error: cannot reach 127.0.0.1:{closed_port}: connection refused."
    )
    assert state(archive) == before
    latest = as_json("runs", db=archive)[0]
    assert (latest["command"], latest["status"], latest["exit_code"]) == ("recheck", "failed", 69)
    assert as_json("changes", "--since", "2000-01-01", "--kind", "unreachable", db=archive) == []


def test_a_fetch_that_reaches_nothing_archives_nothing_and_leaves_no_run(
    archive, replica, closed_port
):
    before, runs = state(archive), as_json("runs", db=archive)
    nowhere = f"http://127.0.0.1:{closed_port}"
    done = newsarchive("fetch", article(replica), "--base-url", nowhere, *FAST, *QUICK, db=archive)
    assert (done.returncode, done.stdout) == (69, "")
    assert (
        done.stderr.strip() == f"Error: cannot reach 127.0.0.1:{closed_port}: connection refused."
    )
    assert state(archive) == before and as_json("runs", db=archive) == runs


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/", "the page has a title but no body"),
        ("/col8173/col8174/", "no article: no body was found"),
        ("/col8173/col8174/202001/t20200101_1.html", "HTTP 404"),
    ],
    ids=["home page", "list page", "404"],
)
def test_fetching_what_is_not_an_article_archives_nothing(archive, replica, path, why):
    before, runs = state(archive), as_json("runs", db=archive)
    url = f"http://www.chencang.gov.cn{path}"
    done = newsarchive("fetch", url, "--base-url", replica.base_url, *FAST, db=archive)
    assert done.returncode == 65
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"Error: {replica.base_url}{path} is not an article (")
    assert why in line and line.endswith("Nothing was archived.")
    assert state(archive) == before and as_json("runs", db=archive) == runs


def test_a_refused_article_is_said_once_not_on_every_crawl(replica_factory, tmp_path):
    site = replica_factory(invalid=True)
    db = tmp_path / "archive.db"
    now = ("-s", f"NEWSARCHIVE_NOW={site.truth()['date']}T15:00:00+00:00")  # the replica's day
    first = newsarchive("crawl", "--base-url", site.base_url, *FAST, *now, db=db)
    refused = [line for line in first.stderr.splitlines() if "Dropped" in line]
    invalid = {entry["url"] for entry in site.truth()["invalid"]}
    assert len(refused) == len(invalid) and all(any(u in r for u in invalid) for r in refused)
    # An audit fetches every page again, unconditionally: refused again, for the same reasons.
    again = newsarchive("crawl", "--base-url", site.base_url, *FAST, *now, "--full", db=db)
    assert again.returncode == 0
    assert [line for line in again.stderr.splitlines() if "Dropped" in line] == []
    for url in invalid:
        outcomes = [c["outcome"] for c in as_json("history", url, db=db)["captures"]]
        assert outcomes == ["rejected", "rejected"]
    # And an ordinary crawl asks for them neither from the lists nor as re-checks.
    crawl(site.base_url, db, *now)
    for url in invalid:
        assert len(as_json("history", url, db=db)["captures"]) == 2


def test_an_untracked_page_keeps_its_history_and_is_never_fetched_again(archive, replica):
    url = article(replica, 3)
    captures = len(as_json("history", url, db=archive)["captures"])
    done = newsarchive("untrack", url, "--reason", "archived by mistake", db=archive)
    assert (done.returncode, done.stdout.strip()) == (0, f"untracked: {url}")
    history = as_json("history", url, db=archive)
    assert history["state"] == "untracked" and len(history["versions"]) == 1
    assert history["events"][-1]["kind"] == "untracked"
    assert history["events"][-1]["reason"] == "archived by mistake"
    events = as_json("changes", "--since", "2000-01-01", "--kind", "untracked", db=archive)
    assert [e["url"] for e in events] == [url]
    audit = crawl(replica.base_url, archive, "--full")  # every other page, fetched again
    assert audit["unchanged"] == len(replica.truth()["articles"]) - 1
    assert " crawl --full " in newsarchive("runs", db=archive).stdout.splitlines()[1]
    assert len(as_json("history", url, db=archive)["captures"]) == captures
    for command in ("fetch", "recheck"):
        refused = newsarchive(command, url, "--base-url", replica.base_url, *FAST, db=archive)
        assert refused.returncode == 2
        assert refused.stderr.strip().startswith(f"Error: {url} is untracked;")
    assert newsarchive("untrack", url, "--reason", "twice", db=archive).returncode == 2
    assert newsarchive("track", url, db=archive).returncode == 0
    assert as_json("history", url, db=archive)["events"][-1]["kind"] == "tracked"
    assert (
        newsarchive("recheck", url, "--base-url", replica.base_url, *FAST, db=archive).returncode
        == 0
    )


def test_the_sites_own_page_served_elsewhere_is_not_kept_as_a_copy(archive, replica):
    """A replica or proxy URL given without --base-url: the site's own template and text."""
    url = article(replica, 5)
    proxied = replica.base_url + url.removeprefix("http://www.chencang.gov.cn")
    before, runs = state(archive), as_json("runs", db=archive)
    done = newsarchive("fetch", proxied, *FAST, db=archive)
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert f"newsarchive fetch {url} --base-url {replica.base_url}" in line
    assert state(archive) == before and as_json("runs", db=archive) == runs
    assert as_json("copies", url, db=archive) == []


def test_a_site_that_cannot_be_reached_leaves_its_traceback_to_a_debug_log(tmp_path, closed_port):
    log = tmp_path / "crawl.log"
    nowhere = ("--base-url", f"http://127.0.0.1:{closed_port}", *FAST, *QUICK)
    done = newsarchive(
        "crawl", *nowhere, "--log-file", log, "-s", "LOG_LEVEL=DEBUG", db=tmp_path / "a.db"
    )
    assert done.returncode == 69 and "Traceback" not in done.stderr
    logged = log.read_text(encoding="utf-8")
    assert "Error downloading" in logged and "Traceback" in logged
