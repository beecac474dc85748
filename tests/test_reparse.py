"""newsarchive reparse: after a redesign, a drift alarm and a corrected profile, the stored
answers are read again (nothing fetched) into versions equal to the site's truth; a dry run
writes nothing, a second run adds nothing, and a page that could not be read gets a version."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from archive.database import open_archive
from archive.records import Outcome
from archive.store import Store
from tests.cli import FAST, as_json, newsarchive
from tests.replica.process import ReplicaProcess
from tests.test_store import RECORD, T0, observe

CORRECTED = Path(__file__).with_name("data") / "profiles-replatformed"
COMPARED = ("title", "published_at", "source", "column", "body")


def reparse(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`newsarchive reparse` with the corrected profile shadowing the built-in one."""
    env = {**os.environ, "NEWSARCHIVE_PROFILE_PATH": str(CORRECTED)}
    command = [sys.executable, "-m", "newsarchive", "reparse", "--db", str(db), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def redesigned(tmp_path_factory):
    """The replica in its new template, crawled with the old profile: a drift alarm, and
    versions read by the fallback (the source read wrong by the old label rule)."""
    with ReplicaProcess(article_template="replatformed") as site:
        db = tmp_path_factory.mktemp("reparse") / "archive.db"
        done = newsarchive("crawl", "--base-url", site.base_url, *FAST, "--json", db=db)
        assert done.returncode == 3, done.stderr
        yield site, db


def test_a_redesign_is_recovered_from_the_stored_bytes_without_a_request(redesigned):
    site, db = redesigned
    truth = {a["url"]: a for a in site.truth()["articles"]}
    wrong = [url for url in truth if as_json("show", url, db=db)["source"] != truth[url]["source"]]
    assert wrong, "the old profile's label rule reads the new template's source wrong"

    before = digest(db)
    dry = reparse(db, "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["outcomes"]["reparsed"] == len(truth)
    assert digest(db) == before

    site.reset_requests()
    done = reparse(db, "--json")
    assert done.returncode == 0, done.stderr
    assert site.requests()["requests"] == []
    shape = json.loads(done.stdout)
    assert (shape["read"], shape["outcomes"]) == (len(truth), {"reparsed": len(truth)})
    for url, article in truth.items():
        record = as_json("show", url, db=db)
        assert {k: record[k] for k in COMPARED} == {k: article[k] for k in COMPARED}, url
        assert record["fallback"] == [] and record["version"] == 2
        assert int(record["provenance"]["reread_capture"]) > 0
    changes = [e for e in as_json("changes", db=db) if e["kind"] == "reparsed"]
    assert len(changes) == len(truth) and all(e["classes"] == ["reparse"] for e in changes)
    assert newsarchive("verify", db=db).returncode == 0


def test_a_second_reparse_adds_nothing_and_is_on_record(redesigned):
    _, db = redesigned
    before = digest_of_versions(db)
    again = json.loads(reparse(db, "--json").stdout)
    assert again["versions"] == [] and set(again["outcomes"]) == {"unchanged"}
    assert digest_of_versions(db) == before
    runs = [r for r in as_json("runs", db=db) if r["command"] == "reparse"]
    assert runs and all(r["status"] == "finished" for r in runs)


def test_reparsed_versions_travel_in_the_warc_export_and_import_back(redesigned, tmp_path):
    """A version no capture added is a metadata record of its own, concurrent to the response
    whose bytes it read; an import records it as it was, and again changes nothing."""
    _, db = redesigned
    warc = tmp_path / "all.warc.gz"
    done = newsarchive("export", "--format", "warc", "--output", str(warc), db=db)
    assert done.returncode == 0, done.stderr
    check = subprocess.run(
        [str(Path(sys.executable).parent / "warcio"), "check", str(warc)], capture_output=True
    )
    assert check.returncode == 0, check.stdout
    copy = tmp_path / "copy.db"
    imported = newsarchive("import", str(warc), "--json", db=copy)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["versions"] == len(redesigned[0].truth()["articles"])
    assert versions_of(copy) == versions_of(db)
    assert newsarchive("verify", db=copy).returncode == 0
    again = json.loads(newsarchive("import", str(warc), "--json", db=copy).stdout)
    assert again["versions"] == 0 and versions_of(copy) == versions_of(db)


def versions_of(db: Path) -> list[tuple]:
    import sqlite3
    from contextlib import closing

    query = (
        "SELECT p.url, v.number, v.created_at, v.content_sha256, v.record_sha256, v.classes,"
        " v.chars_added, v.chars_removed FROM version v JOIN page p ON p.id = v.page_id"
        " ORDER BY p.url, v.number"
    )
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(query).fetchall()


def digest_of_versions(db: Path) -> list[tuple]:
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(
            "SELECT page_id, number, content_sha256 FROM version ORDER BY id"
        ).fetchall()


def wait_for_a_reparse_run(db: Path, process: subprocess.Popen) -> None:
    """Until the reparse has opened its run (or ended): synchronisation, not a time limit."""
    import sqlite3
    import time
    from contextlib import closing

    query = "SELECT count(*) FROM crawl_run WHERE command = 'reparse'"
    while process.poll() is None:
        with closing(sqlite3.connect(db, timeout=30)) as connection:
            if connection.execute(query).fetchone()[0]:
                return
        time.sleep(0.01)


def test_a_reparse_killed_midway_is_finished_by_the_next(tmp_path):
    with ReplicaProcess(article_template="replatformed") as site:
        db = tmp_path / "killed.db"
        newsarchive("crawl", "--base-url", site.base_url, *FAST, db=db)
        env = {**os.environ, "NEWSARCHIVE_PROFILE_PATH": str(CORRECTED)}
        command = [sys.executable, "-m", "newsarchive", "reparse", "--db", str(db)]
        killed = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        wait_for_a_reparse_run(db, killed)  # then kill it, wherever it is
        os.kill(killed.pid, 9)
        killed.wait(timeout=60)
        done = reparse(db, "--json")
        assert done.returncode == 0, done.stderr
        truth = site.truth()["articles"]
    for article in truth:
        record = as_json("show", article["url"], db=db)
        assert record["source"] == article["source"]
    statuses = [r["status"] for r in as_json("runs", db=db) if r["command"] == "reparse"]
    assert len(statuses) == 2 and statuses[0] == "finished"  # newest first
    assert newsarchive("verify", db=db).returncode == 0


def test_a_reparse_waits_for_nobody_else_holding_the_lock(redesigned, tmp_path):
    _, db = redesigned
    from crawler.run.lock import CrawlLock, lock_path

    with CrawlLock(lock_path(f"sqlite:///{db}", "chencang")):
        done = reparse(db)
    assert done.returncode == 75
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "Traceback" not in done.stderr


def test_an_answer_that_could_not_be_read_becomes_a_version(tmp_path):
    """The store's side: an unreadable capture's bytes read again are the page's first
    version; read the same way again, nothing more."""
    archive = open_archive(str(tmp_path / "a.db"))
    try:
        store = Store(archive)
        unreadable = replace(observe(), verdict=Outcome.ERROR, extracted=None)
        store.record(unreadable)
        read = observe(at=T0.replace(day=2))
        first = store.record_reading(read, capture_id=1, captured_at=T0)
        assert (first.outcome, first.version) == (Outcome.NEW, 1)
        again = store.record_reading(read, capture_id=1, captured_at=T0)
        assert again.outcome is Outcome.UNCHANGED
        other = observe(record=replace(RECORD, source="区政府办"), at=T0.replace(day=3))
        reread = store.record_reading(other, capture_id=1, captured_at=T0)
        assert (reread.outcome, reread.version, reread.changed_fields) == (
            Outcome.REPARSED,
            2,
            ("source",),
        )
    finally:
        archive.close()
