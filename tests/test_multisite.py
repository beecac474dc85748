"""Several county sites crawled side by side in one process, each replica on a loopback address."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from crawler.run.exits import worst_exit
from crawler.run.lock import CrawlLock, lock_path
from crawler.sites.profile import PROFILE_DIR, available_profiles, load_profile
from tests.cli import FAST, as_json, export
from tests.replica.process import ReplicaProcess

# Three sites of the platform that differ where it matters: a one-level column (meixian), a
# replica on https while the profile's origin is http (taibai), a host without www (weibin).
THREE = {"meixian": "127.0.0.2", "taibai": "127.0.0.3", "weibin": "127.0.0.4"}
# What the replica's truth and the archived record must agree on, whatever origin served them.
FIELDS = ("title", "published_at", "source", "column", "body")


def newsarchive(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "newsarchive", *map(str, args)]
    environment = {**os.environ, **(env or {})}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)


def base_urls(replicas: dict[str, ReplicaProcess]) -> list[str]:
    return [arg for site, r in replicas.items() for arg in ("--base-url", f"{site}={r.base_url}")]


def canonical(site: str, url: str) -> str:
    """The URL a replica's truth gives, as the archive keeps it: on the profile's origin."""
    parts = urlsplit(url)
    return load_profile(site).origin + parts.path + (f"?{parts.query}" if parts.query else "")


def archived_urls(db: Path, site: str) -> Counter[str]:
    """Each URL the archive holds a new article of for `site`, with how many times."""
    events = as_json("changes", "--site", site, "--since", "2000-01-01", db=db)
    return Counter(event["url"] for event in events if event["kind"] == "new")


def assert_archived_whole(db: Path, site: str, replica: ReplicaProcess) -> None:
    """Every article of the replica archived once, under the site's canonical origin and name,
    its record as the truth says."""
    truth = {canonical(site, a["url"]): a for a in replica.truth()["articles"]}
    assert archived_urls(db, site) == Counter(list(truth))
    records = {r["url"]: r for r in export(db) if r["url"] in truth}
    wrong = [(u, f) for u, a in truth.items() for f in FIELDS if records[u][f] != a[f]]
    assert wrong == []


def lines_by_site(text: str, sites: list[str]) -> dict[str, list[str]]:
    return {site: [ln for ln in text.splitlines() if ln.startswith(f"{site}: ")] for site in sites}


@pytest.fixture(scope="module")
def three() -> Iterator[dict[str, ReplicaProcess]]:
    replicas: dict[str, ReplicaProcess] = {}
    try:
        for site, host in THREE.items():
            replicas[site] = ReplicaProcess(site=site, host=host)
        yield replicas
    finally:
        for replica in replicas.values():
            replica.stop()


@pytest.fixture(scope="module")
def crawled_three(three, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    db = tmp_path_factory.mktemp("three") / "archive.db"
    done = newsarchive("crawl", *three, *base_urls(three), *FAST, "--json", "--db", db)
    return db, done


def test_three_sites_in_one_process_each_archive_their_replica_whole(three, crawled_three):
    db, done = crawled_three
    assert done.returncode == 0, done.stderr
    for site, replica in three.items():
        assert_archived_whole(db, site, replica)


def test_several_sites_json_is_one_document_with_a_summary_per_site(three, crawled_three):
    _, done = crawled_three
    document = json.loads(done.stdout)
    assert document["exit_code"] == 0
    assert [entry["site"] for entry in document["sites"]] == list(three)
    for entry in document["sites"]:
        articles = three[entry["site"]].truth()["articles"]
        assert (entry["new"], entry["errors"], entry["exit_code"]) == (len(articles), 0, 0)
        assert entry["error"] is None and entry["list_walk_complete"] is True


def test_runs_shows_one_run_per_site(three, crawled_three):
    db, _ = crawled_three
    runs = as_json("runs", db=db)
    assert sorted(run["site"] for run in runs) == sorted(three)
    assert {run["status"] for run in runs} == {"finished"}
    by_site = {run["site"]: run["arguments"]["base_url"] for run in runs}
    assert by_site == {site: replica.base_url for site, replica in three.items()}


def test_an_unreachable_site_and_a_blocked_one_fail_alone(three, tmp_path, closed_port):
    """meixian is healthy, jintai's replica answers every list page with a challenge, qianyang
    is a closed port: meixian is archived whole, each site has one line, and the process exits
    with the worst code (69, unreachable, before 75, blocked)."""
    db = tmp_path / "archive.db"
    with ReplicaProcess(site="jintai", host="127.0.0.5", block=True) as blocked:
        urls = {"meixian": three["meixian"].base_url, "jintai": blocked.base_url}
        urls["qianyang"] = f"http://127.0.0.6:{closed_port}"
        arguments = [a for site, url in urls.items() for a in ("--base-url", f"{site}={url}")]
        done = newsarchive("crawl", *urls, *arguments, *FAST, "--db", db)
    assert done.returncode == 69, done.stderr
    lines = lines_by_site(done.stdout + done.stderr, list(urls))
    assert {site: len(found) for site, found in lines.items()} == dict.fromkeys(urls, 1)
    assert lines["jintai"][0].endswith("; blocked")
    assert lines["qianyang"][0].startswith(f"qianyang: Error: cannot reach 127.0.0.6:{closed_port}")
    assert " 0 errors;" in lines["meixian"][0]
    assert_archived_whole(db, "meixian", three["meixian"])
    runs = {run["site"]: run for run in as_json("runs", db=db)}
    ended = {site: (run["status"], run["exit_code"]) for site, run in runs.items()}
    assert ended == {
        "meixian": ("finished", 0),
        "jintai": ("blocked", 75),
        "qianyang": ("failed", 69),
    }


def test_a_site_whose_lock_is_held_fails_alone(three, tmp_path):
    db = tmp_path / "archive.db"
    sites = {site: three[site] for site in ("meixian", "weibin")}
    with CrawlLock(lock_path(f"sqlite:///{db}", "meixian")):
        done = newsarchive("crawl", *sites, *base_urls(sites), *FAST, "--json", "--db", db)
    assert done.returncode == 75, done.stderr
    document = json.loads(done.stdout)
    entries = {entry["site"]: entry for entry in document["sites"]}
    assert document["exit_code"] == 75 and entries["meixian"]["exit_code"] == 75
    assert entries["meixian"]["run"] is None
    assert entries["meixian"]["error"].startswith("Another crawl of this site into this archive")
    assert lines_by_site(done.stderr, ["meixian"])["meixian"] == [
        f"meixian: Error: {entries['meixian']['error']}"
    ]
    assert entries["weibin"]["exit_code"] == 0
    assert_archived_whole(db, "weibin", three["weibin"])
    assert [run["site"] for run in as_json("runs", db=db)] == ["weibin"]


def test_all_crawls_every_enabled_profile(three, tmp_path):
    """A profile folder shadows every built-in enabled site but meixian and weibin with a
    disabled copy: --all crawls those two, and only them."""
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for name in available_profiles():
        if load_profile(name).enabled and name not in ("meixian", "weibin"):
            text = (PROFILE_DIR / f"{name}.toml").read_text(encoding="utf-8")
            (profiles / f"{name}.toml").write_text(f"enabled = false\n{text}", encoding="utf-8")
    env = {"NEWSARCHIVE_PROFILE_PATH": str(profiles), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    sites = {site: three[site] for site in ("meixian", "weibin")}
    db = tmp_path / "archive.db"
    done = newsarchive("crawl", "--all", *base_urls(sites), *FAST, "--json", "--db", db, env=env)
    assert done.returncode == 0, done.stderr
    assert [entry["site"] for entry in json.loads(done.stdout)["sites"]] == ["meixian", "weibin"]
    for site, replica in sites.items():
        assert_archived_whole(db, site, replica)


def test_the_sites_of_one_platform_share_its_politeness(tmp_path):
    """linyou and longxian are sites of one platform: crawled side by side with one request at a
    time (the platform's slot), no request reaches either replica while the answer to another
    has not begun — though a few of linyou's answers are slow (the replica's `slow` fault: 1.5 s
    before answering), during which longxian's crawl, on a slot of its own, would go on asking.
    (The delay must not be 0: Scrapy's downloader, on the asyncio reactor, then sends all of a
    slot's queued requests at once, whatever its concurrency.)"""
    one_at_a_time = [
        *("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "DOWNLOAD_DELAY=0.001"),
        *("-s", "AUTOTHROTTLE_ENABLED=false"),
    ]
    with (
        ReplicaProcess(site="linyou", host="127.0.0.7", faults=0.03, fault_kinds=["slow"]) as a,
        ReplicaProcess(site="longxian", host="127.0.0.8") as b,
    ):
        sites = {"linyou": a, "longxian": b}
        done = newsarchive(
            "crawl", *sites, *base_urls(sites), *one_at_a_time, "--db", tmp_path / "a.db"
        )
        assert done.returncode == 0, done.stderr
        assert a.stats()["faults"]["by_kind"]["slow"] >= 1
        log = [
            {**entry, "site": site}
            for site, replica in sites.items()
            for entry in replica.requests(timed=True)["requests"]
            if entry["path"] != "/robots.txt"  # a host's own slot, not the platform's
        ]
    log.sort(key=lambda entry: entry["arrived"])
    early = [
        (x["path"], y["path"]) for x, y in itertools.pairwise(log) if y["arrived"] < x["answered"]
    ]
    assert early == []
    # Side by side, not one after the other: the sites take turns more than once.
    switches = sum(x["site"] != y["site"] for x, y in itertools.pairwise(log))
    assert switches >= 2


@pytest.mark.parametrize(
    "arguments",
    [
        ["meixian", "nosuchsite"],
        ["--all", "meixian"],
        ["meixian", "weibin", "--base-url", "taibai=http://127.0.0.1:9"],
        ["meixian", "weibin", "--base-url", "meixian="],
        ["meixian", "weibin", "--base-url", "http://127.0.0.1:9"],
        [
            "meixian",
            "weibin",
            "--base-url",
            "meixian=http://127.0.0.1:9",
            "--base-url",
            "meixian=http://127.0.0.2:9",
        ],
        ["meixian", "weibin", "--base-url", "weibin=ftp://127.0.0.1:9"],
        ["meixian", "qishan"],
    ],
    ids=[
        "unknown",
        "all-and-sites",
        "not-crawled",
        "no-url",
        "bare-url",
        "twice",
        "not-http",
        "disabled",
    ],
)
def test_bad_input_is_one_sentence_and_exit_2_with_the_archive_untouched(
    arguments, crawled_three, tmp_path
):
    db = tmp_path / "archive.db"
    db.write_bytes(crawled_three[0].read_bytes())
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    done = newsarchive("crawl", *arguments, "--db", db)
    assert done.returncode == 2, done.stderr
    assert done.stdout == "" and len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith("Error: ") and done.stderr.rstrip().endswith(".")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["archive.db"]  # no lock, no journal


def test_the_worst_exit_code_follows_the_documented_order():
    assert worst_exit([]) == 0
    assert worst_exit([0, 75, 69]) == 69
    assert worst_exit([0, 1, 3]) == 3
    assert worst_exit([75, 74, 2]) == 74
    assert worst_exit([74, 130]) == 130
    assert worst_exit([0, 42]) == 42  # a code the order does not know is the worst
