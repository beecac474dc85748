"""Issue 5's benchmark: a crawl of the 5,000-article replica with 5% of its pages faulted, against
the same crawl without faults, in one run.

Prints the ratio of wall time and of requests (faulted / clean, medians over the rounds; clean and
faulted crawls alternate, since the machine is shared and noisy), and whether the two archives
hold the same articles with the same contents. Each round crawls into a fresh archive; the fault
counters are reset before each faulted crawl, so every round meets the same faults.

    python -m bench.faults [--articles 5000] [--rate 0.05] [--rounds 2] [--fault-timeout 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.cli import FAST
from tests.operations import content
from tests.replica.process import ReplicaProcess


def timed_crawl(base_url: str, db: Path) -> tuple[float, dict[str, Any]]:
    """Wall seconds of `newsarchive crawl` (start-up included, as a user waits) and its summary."""
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    started = time.monotonic()
    done = subprocess.run([*command, "--json", "--db", str(db)], capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"crawl exited {done.returncode}: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fault-timeout", type=float, default=5.0)
    options = parser.parse_args()
    faults = {"faults": options.rate, "fault_timeout": options.fault_timeout}
    with (
        ReplicaProcess(articles=options.articles) as clean_site,
        ReplicaProcess(articles=options.articles, **faults) as faulted_site,
        tempfile.TemporaryDirectory() as folder,
    ):
        faulted_pages = len(faulted_site.truth()["faulted"])
        seconds: dict[str, list[float]] = {"clean": [], "faulted": []}
        requests: dict[str, list[int]] = {"clean": [], "faulted": []}
        archives: dict[str, Path] = {}
        for round_number in range(options.rounds):
            for name, site in (("clean", clean_site), ("faulted", faulted_site)):
                if name == "faulted":
                    site.set_faults(rate=options.rate)  # resets the per-page attempt counters
                db = Path(folder) / f"{name}-{round_number}.db"
                wall, summary = timed_crawl(site.base_url, db)
                seconds[name].append(wall)
                requests[name].append(summary["requested"])
                archives[name] = db
                print(
                    f"round {round_number + 1} {name:>7}: {wall:6.1f} s, "
                    f"{summary['requested']} requests, {summary['retries']} retries, "
                    f"{summary['new']} articles, {summary['errors']} errors",
                    flush=True,
                )
        clean, faulted = content(archives["clean"]), content(archives["faulted"])
    time_ratio = statistics.median(seconds["faulted"]) / statistics.median(seconds["clean"])
    request_ratio = statistics.median(requests["faulted"]) / statistics.median(requests["clean"])
    print(f"{faulted_pages} of the faulted site's pages are faulted ({options.rate:.0%})")
    print(f"wall time, faulted / clean: {time_ratio:.2f}")
    print(f"requests, faulted / clean: {request_ratio:.3f}")
    same = clean == faulted
    print(
        f"same articles and contents: {'yes' if same else 'NO'} "
        f"({len(clean)} clean, {len(faulted)} faulted)"
    )
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
