"""Issue 14's worker benchmark: pages/s with 1, 2 and 3 workers over six replica sites, each site
crawled politely (a delay between requests, one at a time), into one PostgreSQL archive. The six
sites are given six platforms (copies of their profiles, tests/platforms.py): workers never crawl
two sites of one platform at once, so over the Baoji sites' one platform they would not scale.

Prints, per number of workers, the requests the replicas served, the seconds from the workers'
start until every site's crawl had finished, pages/s and its ratio to one worker's; then the
write rate of one crawl with politeness lifted into PostgreSQL as a ratio to the same crawl into
SQLite. The last line holds the figures as JSON. Nothing is asserted: the machine is shared.

    python -m bench.workers [--workers 1,2,3] [--articles 47] [--delay 0.2] [--write-articles 400]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from archive.database import open_archive
from archive.leases import lease_states
from tests.cli import FAST
from tests.platforms import platform_profiles, profile_env
from tests.postgres import fresh_database, postgresql_server
from tests.replica.process import ReplicaProcess

ROOT = Path(__file__).resolve().parent.parent
SITES = ("meixian", "taibai", "weibin", "jintai", "linyou", "qianyang")


def politeness(delay: float) -> list[str]:
    """The profile's politeness with a shorter delay: one request at a time per site."""
    settings = [f"DOWNLOAD_DELAY={delay}", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    settings.append("AUTOTHROTTLE_ENABLED=false")
    return [part for setting in settings for part in ("-s", setting)]


def start_workers(
    count: int, db: str, replicas: dict, delay: float, env: dict[str, str]
) -> list[subprocess.Popen]:
    bases = [f"--base-url={site}={replica.base_url}" for site, replica in replicas.items()]
    command = [sys.executable, "-m", "newsarchive", "worker", "--sites", ",".join(replicas)]
    command += ["--every", "1h", "--poll", "1s", "--json", *bases, *politeness(delay)]
    command += ["--db", db]
    return [
        subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=env
        )
        for _ in range(count)
    ]


def finished(db: str, sites: tuple[str, ...]) -> list[int | None] | None:
    """The sites' last exit codes once every one has finished a crawl, else None."""
    archive = open_archive(db, create=False, read_only=True)
    try:
        states = lease_states(archive.engine, sites)
    finally:
        archive.close()
    if len(states) < len(sites) or any(s.last_finished_at is None for s in states):
        return None
    return [s.last_exit_code for s in states]


def run_workers(count: int, server: str, replicas: dict, delay: float, env: dict[str, str]) -> dict:
    """`count` workers over the six sites into a new database: requests, seconds, pages/s."""
    db = fresh_database(server, f"workers_{count}")
    open_archive(db).close()
    for replica in replicas.values():
        replica.reset_stats()
    started = time.monotonic()
    workers = start_workers(count, db, replicas, delay, env)
    try:
        while (codes := finished(db, tuple(replicas))) is None:
            if any(worker.poll() is not None for worker in workers):
                raise SystemExit(f"a worker ended early: {_stderr(workers)}")
            time.sleep(0.2)
        seconds = time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=120)
    if any(code != 0 for code in codes):
        raise SystemExit(f"a crawl failed (exit codes {codes}): {_stderr(workers)}")
    requests = sum(replica.stats()["total"] for replica in replicas.values())
    return {"requests": requests, "seconds": round(seconds, 2), "pages_s": requests / seconds}


def _stderr(workers: list[subprocess.Popen]) -> str:
    return " | ".join((w.stderr.read() or b"").decode()[-1000:] for w in workers if w.stderr)


def crawl_rate(base_url: str, db: str) -> float:
    """Pages requested per second of one crawl with politeness lifted (its wall time)."""
    command = [sys.executable, "-m", "newsarchive", "crawl", "chencang", "--base-url", base_url]
    command += [*FAST, "--json", "--db", db]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)["requested"] / seconds


def write_rates(server: str, folder: Path, articles: int) -> dict:
    """The same crawl into SQLite and into PostgreSQL (each a new archive): pages/s of each."""
    with ReplicaProcess(articles=articles, host="127.0.0.17") as replica:
        sqlite = crawl_rate(replica.base_url, str(folder / "write-rate.db"))
        postgresql = crawl_rate(replica.base_url, fresh_database(server, "write_rate"))
    return {"sqlite": sqlite, "postgresql": postgresql, "ratio": postgresql / sqlite}


def report(runs: dict[int, dict], writes: dict | None, articles: int, delay: float) -> None:
    print(f"six replica sites of {articles} articles, DOWNLOAD_DELAY {delay} s, one request")
    print("at a time per site, each site on a platform of its own, one PostgreSQL archive;")
    print("seconds from the workers' start until every site's crawl had finished")
    print(f"{'workers':>7} {'requests':>9} {'seconds':>8} {'pages/s':>8} {'ratio':>6}")
    base = runs[min(runs)]["pages_s"]
    for count, run in runs.items():
        run["ratio"] = run["pages_s"] / base
        print(
            f"{count:>7} {run['requests']:>9} {run['seconds']:>8.1f} "
            f"{run['pages_s']:>8.2f} {run['ratio']:>6.2f}"
        )
    if writes is not None:
        print(
            f"write rate, one crawl of chencang ({writes['articles']} articles, politeness "
            f"lifted): SQLite {writes['sqlite']:.1f} pages/s, PostgreSQL "
            f"{writes['postgresql']:.1f} pages/s; PostgreSQL / SQLite: {writes['ratio']:.2f}"
        )
    print(json.dumps({"workers": runs, "write_rate": writes}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,3", help="worker counts, e.g. 1,2,3")
    parser.add_argument("--articles", type=int, default=47, help="articles per site (40 at least)")
    parser.add_argument("--delay", type=float, default=0.2, help="DOWNLOAD_DELAY, seconds")
    parser.add_argument(
        "--write-articles", type=int, default=400, help="the write-rate crawl's size (0: skip)"
    )
    options = parser.parse_args()
    counts = [int(count) for count in options.workers.split(",")]
    folder = Path(tempfile.mkdtemp(prefix="newsarchive-bench-"))
    server_folder = Path(tempfile.mkdtemp(prefix="newsarchive-pg-"))  # the postgres user's
    try:
        with postgresql_server(server_folder) as server, ExitStack() as stack:
            replicas = {
                site: stack.enter_context(
                    ReplicaProcess(site=site, host=f"127.0.0.{11 + n}", articles=options.articles)
                )
                for n, site in enumerate(SITES)
            }
            profiles = {site: f"replica-{site}" for site in SITES}
            env = profile_env(platform_profiles(folder / "profiles", profiles))
            runs = {
                count: run_workers(count, server, replicas, options.delay, env) for count in counts
            }
            stack.close()
            writes = None
            if options.write_articles:
                writes = {
                    "articles": options.write_articles,
                    **write_rates(server, folder, options.write_articles),
                }
        report(runs, writes, options.articles, options.delay)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(server_folder, ignore_errors=True)


if __name__ == "__main__":
    main()
