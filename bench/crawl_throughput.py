"""Issue 15 §1's benchmark: the full stack against a bare spider on a 5,000-article replica.

Bare and full rounds alternate on one replica, because the machine is shared and noisy. The
headline is the ratio of the medians of their wall rates (pages/s over each crawl's own
timing, start-up excluded; floor 0.8, aim 0.9). Beside it, a figure the other sessions' load
moves far less: CPU seconds per capture of each whole process tree (the crawler with its
extraction workers and writer; start-up included; the replica excluded), their medians and
ratio, and the full stack's per process (sampled from /proc). Then, for a second, incremental
crawl of the unchanged site, its requests as a share of the first crawl's (floor 3%), and the
archive's bytes per article. The last line holds the figures as JSON.

    python -m bench.crawl_throughput [--articles 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.memory import TreeSample
from tests.cli import FAST
from tests.replica.process import ReplicaProcess

FLOOR, AIM = 0.8, 0.9
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Run:
    """One crawl: requests made, seconds by its own clock, CPU seconds of its whole process
    tree, of the replica meanwhile, and the full stack's by kind of process."""

    requests: int
    seconds: float
    cpu: float
    replica_cpu: float
    by_kind: dict[str, float] = field(default_factory=dict)
    summary: dict = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def ms_per_capture(self, seconds: float | None = None) -> float:
        return 1000 * (self.cpu if seconds is None else seconds) / self.requests


def run_tree(command: list[str], replica: int, interval: float) -> tuple[str, float, float, dict]:
    """`command` run to its end: its stdout, the CPU seconds of its whole tree (every process
    in it is waited for by its parent, so its time is in this process's children's usage),
    the replica's CPU seconds meanwhile, and the tree's CPU by kind of process (sampled)."""
    before, replica_before = _children_cpu(), _process_cpu(replica)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampled = TreeSample()
    while process.poll() is None:
        sampled.sample(process.pid)
        time.sleep(interval)
    stdout, stderr = process.communicate()
    cpu, replica_cpu = _children_cpu() - before, _process_cpu(replica) - replica_before
    if process.returncode != 0:
        raise SystemExit(f"{command[2]} failed ({process.returncode}): {stderr[-2000:]}")
    return stdout, cpu, replica_cpu, sampled.cpu_by_name()


def bare_run(base_url: str, replica: int, interval: float) -> Run:
    command = [sys.executable, "-m", "bench.bare_spider", base_url]
    stdout, cpu, replica_cpu, _ = run_tree(command, replica, interval)
    result = json.loads(stdout.splitlines()[-1])
    return Run(result["requests"], result["seconds"], cpu, replica_cpu)


def full_run(base_url: str, db: Path, replica: int, interval: float) -> Run:
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    stdout, cpu, replica_cpu, by_kind = run_tree(
        [*command, "--json", "--db", str(db)], replica, interval
    )
    summary = json.loads(stdout)
    with sqlite3.connect(db) as connection:
        started, finished = connection.execute(
            "SELECT started_at, finished_at FROM crawl_run WHERE id = ?", (summary["run"],)
        ).fetchone()
    seconds = (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    return Run(summary["requested"], seconds, cpu, replica_cpu, by_kind, summary)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def archive_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.25, help="/proc sampling, seconds")
    options = parser.parse_args()
    load_before = _load()
    with ReplicaProcess(articles=options.articles) as site, tempfile.TemporaryDirectory() as folder:
        replica = site.process.pid
        bare: list[Run] = []
        full: list[Run] = []
        db = Path(folder) / "round0.db"
        for number in range(options.rounds):
            bare.append(bare_run(site.base_url, replica, options.interval))
            db = Path(folder) / f"round{number}.db"
            full.append(full_run(site.base_url, db, replica, options.interval))
            b, f = bare[-1], full[-1]
            kinds = ", ".join(
                f"{kind} {f.ms_per_capture(seconds):.2f}"
                for kind, seconds in sorted(f.by_kind.items())
            )
            print(
                f"round {number + 1}: bare {b.rate:.0f} pages/s ({b.requests} requests), "
                f"{b.ms_per_capture():.2f} ms CPU a capture; full stack {f.rate:.0f} pages/s "
                f"({f.requests} requests), {f.ms_per_capture():.2f} ms CPU a capture ({kinds}); "
                f"load {_load()}",
                flush=True,
            )
        second = full_run(site.base_url, db, replica, options.interval)
        per_article = archive_bytes(db) / full[-1].summary["new"]
    bare_rate = statistics.median(r.rate for r in bare)
    full_rate = statistics.median(r.rate for r in full)
    bare_cpu = statistics.median(r.ms_per_capture() for r in bare)
    full_cpu = statistics.median(r.ms_per_capture() for r in full)
    kinds = sorted({kind for r in full for kind in r.by_kind})
    by_kind = {
        kind: statistics.median(r.ms_per_capture(r.by_kind.get(kind, 0.0)) for r in full)
        for kind in kinds
    }
    replica_bare = statistics.median(r.ms_per_capture(r.replica_cpu) for r in bare)
    replica_full = statistics.median(r.ms_per_capture(r.replica_cpu) for r in full)
    first = full[-1].summary
    print(
        f"\nfull stack / bare spider: {full_rate / bare_rate:.2f}  (median {full_rate:.0f} vs "
        f"{bare_rate:.0f} pages/s over {options.rounds} rounds; floor {FLOOR:.2f}, aim {AIM:.2f})"
    )
    print(
        f"CPU a capture, bare / full stack: {bare_cpu / full_cpu:.2f}  (median {bare_cpu:.2f} vs "
        f"{full_cpu:.2f} ms, each whole process tree, start-up included; the replica's own "
        f"{replica_bare:.2f} and {replica_full:.2f} ms a request)"
    )
    print(
        "full stack CPU a capture by process: "
        + ", ".join(f"{kind} {value:.2f} ms" for kind, value in by_kind.items())
    )
    print(f"load average before {load_before}, after {_load()}")
    share = second.requests / full[-1].requests
    print(
        f"incremental crawl requests / first crawl: {share:.2%}  "
        f"({second.requests} of {full[-1].requests}; floor 3%)"
    )
    articles = first["new"]
    print(f"archive bytes per article: {per_article:,.0f}  ({articles} articles)")
    figures = {
        "ratio": round(full_rate / bare_rate, 3),
        "full_rate": round(full_rate, 1),
        "bare_rate": round(bare_rate, 1),
        "cpu_ratio": round(bare_cpu / full_cpu, 3),
        "full_cpu_ms": round(full_cpu, 3),
        "bare_cpu_ms": round(bare_cpu, 3),
        "by_process_ms": {kind: round(value, 3) for kind, value in by_kind.items()},
        "incremental_share": round(share, 5),
        "articles": articles,
        "bytes_per_article": round(per_article),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
