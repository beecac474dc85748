"""newsarchive worker: three workers share six replica sites through one PostgreSQL archive. Every
article is archived exactly once, no site's replica ever sees two workers at once (each worker
names itself in its User-Agent, which the replica logs), a worker killed by SIGKILL mid-crawl
loses its site to another after its lease expires and that crawl finishes, and the archive
verifies. The six sites are given six platforms (copies of their profiles), so workers crawl them
side by side; two sites of one platform are crawled one after the other, by whichever workers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from itertools import combinations, groupby
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from archive.database import open_archive
from archive.leases import lease_states
from archive.search import _segment_id
from tests.cli import newsarchive
from tests.platforms import platform_profiles, profile_env
from tests.postgres import fresh_database, postgresql_server
from tests.replica.process import ReplicaProcess

ROOT = Path(__file__).resolve().parent.parent
SITES = ("meixian", "taibai", "weibin", "jintai", "linyou", "qianyang")
WORKERS = 3
VICTIM = "worker-1"
# A delay between requests keeps each crawl a few seconds long, so crawls overlap in time and
# a kill lands inside one; the replica is local, so nothing else needs to be polite.
CRAWL = [
    *("-s", "DOWNLOAD_DELAY=0.05", "-s", "AUTOTHROTTLE_ENABLED=false"),
    *("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"),
]
TTL = "3s"
TIMEOUT = 300.0


@pytest.fixture(scope="module")
def server():
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))  # reachable by the postgres user
    try:
        with postgresql_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class WorkerProcess:
    """`newsarchive worker --json` over the replicas' sites, in the background, named in its
    User-Agent; `extra` options come last (and so win); its events read from its output file;
    `env` its environment (this process's by default)."""

    def __init__(
        self,
        name: str,
        db: str,
        replicas: dict[str, ReplicaProcess],
        folder: Path,
        *extra: str,
        env: dict[str, str] | None = None,
    ):
        self.name, self.output = name, folder / f"{name}.jsonl"
        bases = [f"--base-url={site}={replica.base_url}" for site, replica in replicas.items()]
        command = [sys.executable, "-m", "newsarchive", "worker", "--sites", ",".join(replicas)]
        command += ["--every", "1h", "--ttl", TTL, "--poll", "1s", "--json", *bases, *CRAWL]
        command += ["-s", f"USER_AGENT={name}", *extra, "--db", db]
        with open(self.output, "w") as out, open(folder / f"{name}.log", "w") as log:
            self.process = subprocess.Popen(command, stdout=out, stderr=log, cwd=ROOT, env=env)

    def events(self, kind: str | None = None) -> list[dict]:
        lines = self.output.read_text(encoding="utf-8").splitlines()
        events = [json.loads(line) for line in lines if line.endswith("}")]
        return [event for event in events if kind is None or event["event"] == kind]


def wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def requests_by(replica: ReplicaProcess, agent: str) -> int:
    return sum(r["user_agent"] == agent for r in replica.requests()["requests"])


def crawl_spans(logs: dict[str, list[dict]]) -> list[tuple[str, str, float, float]]:
    """Each run of one worker's requests on one site (a timed log, in order of arrival) as
    (site, worker, first arrival, last answer or arrival): when that worker crawled the site."""
    spans = []
    for site, log in logs.items():
        ours = [r for r in log if (r["user_agent"] or "").startswith("worker-")]
        for agent, run in groupby(ours, key=lambda r: r["user_agent"]):
            times = [t for r in run for t in (r["arrived"], r["answered"]) if t is not None]
            spans.append((site, agent, min(times), max(times)))
    return spans


def overlapping(first: tuple, second: tuple) -> bool:
    return first[2] < second[3] and second[2] < first[3]


@pytest.fixture(scope="module")
def scenario(server, tmp_path_factory):
    """Three workers, six sites; worker-1 killed by SIGKILL within its first crawl; the others
    stopped by SIGTERM once every site's crawl has finished. What each side saw."""
    db = fresh_database(server, "workers")
    open_archive(db).close()  # the schema, made once before the workers start
    folder = tmp_path_factory.mktemp("workers")
    # Six back ends: each site on a platform of its own (the built-ins share baoji-platform).
    profiles = platform_profiles(folder / "profiles", {site: f"replica-{site}" for site in SITES})
    env = profile_env(profiles)
    with ExitStack() as stack:
        replicas = {
            site: stack.enter_context(ReplicaProcess(site=site, host=f"127.0.0.{11 + n}"))
            for n, site in enumerate(SITES)
        }
        workers = [WorkerProcess(f"worker-{n}", db, replicas, folder, env=env) for n in range(1, 4)]
        stack.callback(lambda: [w.process.kill() for w in workers if w.process.poll() is None])
        victim = workers[0]
        claimed = wait_for(lambda: victim.events("claimed"), "worker-1 to claim a site")
        site = claimed[0]["site"]
        wait_for(lambda: requests_by(replicas[site], VICTIM) >= 10, "worker-1 to crawl")
        victim.process.send_signal(signal.SIGKILL)
        victim.process.wait(timeout=60)
        (held,) = leases(db, [site])
        wait_for(lambda: all_finished(db), "every site's crawl to finish")
        for worker in workers[1:]:
            worker.process.send_signal(signal.SIGTERM)
        codes = [worker.process.wait(timeout=120) for worker in workers[1:]]
        logs = {
            site: replica.requests(timed=True)["requests"] for site, replica in replicas.items()
        }
        truths = {site: replica.truth() for site, replica in replicas.items()}
    return {
        "db": db,
        "victim": victim,
        "victim_site": site,
        "held_at_kill": held,
        "workers": workers,
        "exit_codes": codes,
        "logs": logs,
        "truths": truths,
        "env": env,
    }


def leases(db: str, sites: tuple[str, ...] | list[str] = SITES) -> list:
    archive = open_archive(db, create=False, read_only=True)
    try:
        return lease_states(archive.engine, sites)
    finally:
        archive.close()


def all_finished(db: str) -> bool:
    states = leases(db)
    return len(states) == len(SITES) and all(s.last_finished_at is not None for s in states)


def query(db: str, sql: str) -> list[tuple]:
    archive = open_archive(db, create=False, read_only=True)
    try:
        with archive.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        archive.close()


def test_the_kill_landed_mid_crawl_and_the_others_stop_cleanly_on_sigterm(scenario):
    held, victim = scenario["held_at_kill"], scenario["victim"]
    (claim,) = victim.events("claimed")
    assert held.holder == claim["holder"]  # killed while holding the site: mid-crawl
    assert not victim.events("crawled")
    assert scenario["exit_codes"] == [0, 0]
    for worker in scenario["workers"][1:]:
        assert worker.events("stopped")


def test_every_article_is_archived_exactly_once(scenario):
    db = scenario["db"]
    pages = query(
        db,
        "SELECT s.name, p.url, count(v.id) FROM page p JOIN site s ON s.id = p.site_id"
        " LEFT JOIN version v ON v.page_id = p.id WHERE p.kind = 'article'"
        " GROUP BY s.name, p.url",
    )
    for site, truth in scenario["truths"].items():
        # By path: the archive keeps a site's URLs on its profile's origin (taibai's is http,
        # the replica's truth says https, an alias).
        wanted = {urlsplit(article["url"]).path for article in truth["articles"]}
        archived = [(url, versions) for name, url, versions in pages if name == site]
        assert sorted(urlsplit(url).path for url, _ in archived) == sorted(wanted), site
        assert {versions for _, versions in archived} == {1}, site


def test_no_site_ever_sees_two_workers_at_once(scenario):
    """In each replica's log (in order of arrival), the requests of one worker form one run:
    each site was crawled by one worker at a time (every site once, the victim's twice)."""
    for site, log in scenario["logs"].items():
        agents = [r["user_agent"] for r in log if (r["user_agent"] or "").startswith("worker-")]
        runs = [agent for agent, _ in groupby(agents)]
        assert len(runs) == len(set(runs)), (site, runs)
        assert len(runs) == (2 if site == scenario["victim_site"] else 1), (site, runs)


def test_sites_of_different_platforms_are_crawled_by_several_workers_at_once(scenario):
    """The workers scale over sites of different platforms: some two crawls of two sites by two
    workers overlapped in time. `--list` shows each site's platform (its profile's copy's)."""
    spans = crawl_spans(scenario["logs"])
    assert any(
        overlapping(first, second)
        for first, second in combinations(spans, 2)
        if first[0] != second[0] and first[1] != second[1]
    ), spans
    command = [sys.executable, "-m", "newsarchive", "worker", "--list", "--json"]
    listed = subprocess.run(
        [*command, "--sites", ",".join(SITES), "--db", scenario["db"]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=scenario["env"],
    )
    assert listed.returncode == 0, listed.stderr
    platforms = {row["site"]: row["platform"] for row in json.loads(listed.stdout)}
    assert platforms == {site: f"replica-{site}" for site in SITES}


def test_two_sites_of_one_platform_are_never_crawled_by_two_workers_at_once(server, tmp_path):
    """Two workers, two sites of the one Baoji platform (the built-in profiles): the second
    worker waits for the first's crawl to end before it claims the other site, so the
    replicas' timed logs show the two crawls one after the other; each worker crawls one."""
    sites = ("meixian", "taibai")
    db = fresh_database(server, "one_platform")
    open_archive(db).close()
    with ExitStack() as stack:
        replicas = {
            site: stack.enter_context(ReplicaProcess(site=site, host=f"127.0.0.{41 + n}"))
            for n, site in enumerate(sites)
        }
        workers = [
            WorkerProcess(name, db, replicas, tmp_path, "--max-sites", "1")
            for name in ("worker-a", "worker-b")
        ]
        stack.callback(lambda: [w.process.kill() for w in workers if w.process.poll() is None])
        codes = [worker.process.wait(timeout=TIMEOUT) for worker in workers]
        logs = {
            site: replica.requests(timed=True)["requests"] for site, replica in replicas.items()
        }
    assert codes == [0, 0]
    crawled = [(e["site"], e["exit_code"]) for w in workers for e in w.events("crawled")]
    assert sorted(crawled) == [(site, 0) for site in sites]
    spans = crawl_spans(logs)
    assert len(spans) == 2, spans  # one crawl per site, each by one worker
    first, second = spans
    assert first[1] != second[1] and not overlapping(first, second), spans
    listed = newsarchive("worker", "--list", "--json", "--sites", ",".join(sites), db=db)
    assert {row["platform"] for row in json.loads(listed.stdout)} == {"baoji-platform"}


def test_the_killed_workers_site_is_taken_over_and_finishes(scenario):
    site, victim = scenario["victim_site"], scenario["victim"]
    (claim,) = victim.events("claimed")
    takeovers = [
        event
        for worker in scenario["workers"][1:]
        for event in worker.events("took-over")
        if event["site"] == site
    ]
    assert [event["previous"] for event in takeovers] == [claim["holder"]]
    crawled = [
        event
        for worker in scenario["workers"][1:]
        for event in worker.events("crawled")
        if event["site"] == site
    ]
    assert [event["exit_code"] for event in crawled] == [0]
    runs = query(
        scenario["db"],
        "SELECT r.status, r.exit_code FROM crawl_run r JOIN site s ON s.id = r.site_id"
        f" WHERE s.name = '{site}' ORDER BY r.id",
    )
    assert runs == [("interrupted", None), ("finished", 0)]


def test_each_other_site_is_crawled_once_with_exit_0_and_the_archive_verifies(scenario):
    crawled = sorted(
        event["site"]
        for worker in scenario["workers"][1:]
        for event in worker.events("crawled")
        if event["exit_code"] == 0
    )
    assert crawled == sorted(SITES)
    states = leases(scenario["db"])
    assert [(s.holder, s.last_exit_code) for s in states] == [(None, 0)] * len(SITES)
    verified = newsarchive("verify", db=scenario["db"])
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_two_crawls_storing_one_new_paragraph_at_once_share_its_segment(server):
    """Crawls of two sites write at the same time on a server; a paragraph new to both (a
    caption) is stored once: the second writer waits for the first's transaction and uses its
    segment (it had failed the page with a unique-key violation)."""
    archive = open_archive(fresh_database(server, "segments"))
    found = {}

    def second_writer():
        with archive.engine.begin() as connection:
            found["second"] = _segment_id(connection, "图为现代农业产业园项目建设现场")

    try:
        with archive.engine.begin() as connection:
            found["first"] = _segment_id(connection, "图为现代农业产业园项目建设现场")
            other = threading.Thread(target=second_writer)
            other.start()
            time.sleep(1)  # so the second writer meets the first's row before it is committed
        other.join(timeout=60)
        assert found["second"] == found["first"]
    finally:
        archive.close()


def test_a_sqlite_archive_is_shared_by_workers_on_one_machine(tmp_path):
    """Two workers, two sites, one SQLite file: each crawls one site (--max-sites 1) and exits."""
    sites = ("chencang", "longxian")
    db = tmp_path / "archive.db"
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(ReplicaProcess(site=site, host=f"127.0.0.{21 + n}"))
            for n, site in enumerate(sites)
        ]
        bases = [f"--base-url={s}={r.base_url}" for s, r in zip(sites, replicas, strict=True)]
        command = [sys.executable, "-m", "newsarchive", "worker", "--sites", ",".join(sites)]
        command += ["--max-sites", "1", "--json", *bases, *CRAWL, "--db", str(db)]
        open_archive(str(db)).close()
        workers = [
            subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(2)
        ]
        outputs = [worker.communicate(timeout=TIMEOUT)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0]
    events = [json.loads(line) for output in outputs for line in output.splitlines()]
    crawled = sorted((e["site"], e["exit_code"]) for e in events if e["event"] == "crawled")
    assert crawled == [(site, 0) for site in sites]
    assert newsarchive("verify", db=db).returncode == 0


def test_sigterm_stops_the_crawl_gracefully_and_frees_the_site_for_the_next_worker(tmp_path):
    """SIGTERM mid-crawl: the crawl stops as after SIGTERM (exit 130, run interrupted), the
    worker frees the site at once and exits 0; the next worker's crawl resumes and finishes."""
    db = str(tmp_path / "archive.db")
    open_archive(db).close()
    with ReplicaProcess(site="weibin", host="127.0.0.31") as replica:
        replicas = {"weibin": replica}
        first = WorkerProcess("worker-a", db, replicas, tmp_path, "-s", "DOWNLOAD_DELAY=0.2")
        wait_for(lambda: requests_by(replica, "worker-a") >= 10, "worker-a to crawl")
        first.process.send_signal(signal.SIGTERM)
        assert first.process.wait(timeout=120) == 0
        (state,) = leases(db, ["weibin"])
        assert (state.holder, state.last_exit_code, state.last_finished_at) == (None, 130, None)
        second = WorkerProcess("worker-b", db, replicas, tmp_path, "--max-sites", "1")
        assert second.process.wait(timeout=TIMEOUT) == 0
        articles = len(replica.truth()["articles"])
    (stopped,) = first.events("crawled")
    (resumed,) = second.events("crawled")
    assert (stopped["exit_code"], resumed["exit_code"]) == (130, 0)
    assert stopped["summary"]["new"] + resumed["summary"]["new"] == articles
    runs = query(db, "SELECT status, exit_code FROM crawl_run ORDER BY id")
    assert runs == [("interrupted", 130), ("finished", 0)]
    assert newsarchive("verify", db=db).returncode == 0


def test_a_worker_paused_past_its_lease_loses_the_site_and_stops_its_crawl(tmp_path):
    """A worker stopped (SIGSTOP) while its crawl runs on: its lease expires, another worker
    takes the site, whose crawl the crawl lock refuses (75: retried later); resumed, the first
    worker finds its lease gone and stops its crawl. The site never sees the second worker."""
    db = str(tmp_path / "archive.db")
    open_archive(db).close()
    with ReplicaProcess(site="linyou", host="127.0.0.32") as replica:
        replicas = {"linyou": replica}
        slow = ("--max-sites", "1", "-s", "DOWNLOAD_DELAY=0.3")
        paused = WorkerProcess("worker-a", db, replicas, tmp_path, *slow)
        wait_for(lambda: requests_by(replica, "worker-a") >= 5, "worker-a to crawl")
        paused.process.send_signal(signal.SIGSTOP)
        try:
            other = WorkerProcess("worker-b", db, replicas, tmp_path, "--max-sites", "1")
            assert other.process.wait(timeout=TIMEOUT) == 0
        finally:
            paused.process.send_signal(signal.SIGCONT)
        assert paused.process.wait(timeout=TIMEOUT) == 0
        agents = {r["user_agent"] for r in replica.requests()["requests"]}
    (claim,) = paused.events("claimed")
    assert [e["previous"] for e in other.events("took-over")] == [claim["holder"]]
    assert [e["exit_code"] for e in other.events("crawled")] == [75]
    assert [e["site"] for e in paused.events("lost")] == ["linyou"]
    assert [e["exit_code"] for e in paused.events("crawled")] == [130]
    assert agents == {"worker-a"}
    (state,) = leases(db, ["linyou"])
    assert (state.holder, state.last_exit_code, state.last_finished_at) == (None, 75, None)
    assert state.expires_at > state.now  # retried later, not at once
    assert newsarchive("verify", db=db).returncode == 0


def test_a_worker_refuses_a_disabled_site_and_a_base_url_of_another_site(tmp_path):
    db = tmp_path / "archive.db"
    disabled = newsarchive("worker", "--sites", "fufeng", db=db)
    assert disabled.returncode == 2 and "fufeng is disabled" in disabled.stderr
    other = newsarchive("worker", "--sites", "chencang", "--base-url", "meixian=http://x", db=db)
    assert other.returncode == 2 and "meixian" in other.stderr
    assert os.listdir(tmp_path) == []  # refused before the archive was opened


def test_the_workers_bench_prints_its_ratios():
    """bench.workers keeps up with the worker (what it times is never checked)."""
    command = [sys.executable, "-m", "bench.workers", "--workers", "2", "--delay", "0"]
    done = subprocess.run(
        [*command, "--articles", "40", "--write-articles", "0"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.splitlines()[-1])
    assert figures["workers"]["2"]["ratio"] == 1.0 and figures["workers"]["2"]["requests"] > 0
