"""Issue 2's benchmark: the full stack against a bare spider on a 5,000-article replica.

Prints pages/s for both and their ratio (floor 0.7), then for a second, incremental crawl of the
unchanged site the requests as a share of the first crawl's (floor 3%) and the archive's bytes per
article. Runs alternate and the medians are compared, because the machine is shared and noisy.

    python -m bench.crawl_throughput [--articles 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.cli import FAST
from tests.replica.process import ReplicaProcess


def bare_rate(base_url: str) -> tuple[float, int]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bare_spider", base_url],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.splitlines()[-1])
    return result["requests"] / result["seconds"], result["requests"]


def full_crawl(base_url: str, db: Path) -> dict:
    command = [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        "--base-url",
        base_url,
        *FAST,
        "--json",
        "--db",
        str(db),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads(done.stdout)
    with sqlite3.connect(db) as connection:
        started, finished = connection.execute(
            "SELECT started_at, finished_at FROM crawl_run WHERE id = ?", (summary["run"],)
        ).fetchone()
    summary["seconds"] = _seconds(started, finished)
    return summary


def _seconds(started: str, finished: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def archive_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    with ReplicaProcess(articles=options.articles) as site, tempfile.TemporaryDirectory() as folder:
        bare_rates, full_rates, first = [], [], {}
        for round_number in range(options.rounds):
            rate, bare_requests = bare_rate(site.base_url)
            bare_rates.append(rate)
            db = Path(folder) / f"round{round_number}.db"
            first = full_crawl(site.base_url, db)
            full_rates.append(first["requested"] / first["seconds"])
            print(
                f"round {round_number + 1}: bare {rate:.0f} pages/s ({bare_requests} requests), "
                f"full stack {full_rates[-1]:.0f} pages/s ({first['requested']} requests)",
                flush=True,
            )
        second = full_crawl(site.base_url, db)
        bare, full = statistics.median(bare_rates), statistics.median(full_rates)
        articles = first["new"]
        print(
            f"\nfull stack / bare spider: {full / bare:.2f}  (median {full:.0f} vs {bare:.0f} pages/s; floor 0.70)"
        )
        print(
            f"incremental crawl requests / first crawl: {second['requested'] / first['requested']:.2%}  "
            f"({second['requested']} of {first['requested']}; floor 3%)"
        )
        print(
            f"archive bytes per article: {archive_bytes(db) / articles:,.0f}  ({articles} articles)"
        )


if __name__ == "__main__":
    main()
