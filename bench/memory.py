"""Issue 15's memory benchmark: the peak RSS of a first crawl's whole process tree (the crawler,
its extraction workers and its writer), summed, for a replica of N articles (floor 1 GB).

The tree is read from /proc every 0.2 s: each process whose parent is in the tree is in it, and
the RSS of all of them at one sample is added up; the peak of those sums is printed with the
largest process's own peak and the CPU seconds each kind of process used (what a profile of the
crawl starts from). The last line holds the figures as JSON.

    python -m bench.memory [--articles 100000] [--interval 0.2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.cli import FAST
from tests.replica.process import ReplicaProcess

FLOOR = 1 << 30
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class TreeSample:
    """What the sampler saw of a process tree: the peak of its summed RSS, and per process its
    name, its own peak RSS and the CPU seconds it had used when last seen."""

    peak_rss: int = 0
    names: dict[int, str] = field(default_factory=dict)
    own_peak: dict[int, int] = field(default_factory=dict)
    cpu: dict[int, float] = field(default_factory=dict)

    def sample(self, root: int) -> None:
        total = 0
        for pid in tree(root):
            read = _stat(pid)
            if read is None:
                continue
            name, rss, cpu = read
            total += rss
            # A name sticks once known: a worker is the writer once seen holding the archive,
            # and a process on its way out shows no command line.
            if self.names.get(pid, "other") in ("other", "extractor") and name != "other":
                self.names[pid] = name
            self.names.setdefault(pid, name)
            self.own_peak[pid] = max(self.own_peak.get(pid, 0), rss)
            self.cpu[pid] = cpu
        self.peak_rss = max(self.peak_rss, total)

    def cpu_by_name(self) -> dict[str, float]:
        by_name: dict[str, float] = {}
        for pid, seconds in self.cpu.items():
            by_name[self.names[pid]] = by_name.get(self.names[pid], 0.0) + seconds
        return by_name


def tree(root: int) -> list[int]:
    """`root` and every process descended from it, as /proc shows them now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found, waiting = [], [root]
    while waiting:
        pid = waiting.pop()
        found.append(pid)
        waiting.extend(children.get(pid, ()))
    return found


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(name, resident bytes, CPU seconds) of a process, or None if it has ended."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # After the name: state is field 3, utime 14, stime 15, rss 24 (pages).
    cpu = (int(fields[11]) + int(fields[12])) / _TICKS
    rss = int(fields[21]) * _PAGE
    return _name(pid, cmdline), rss, cpu


def _name(pid: int, cmdline: bytes) -> str:
    """The crawler is "crawl"; a worker process (multiprocessing's spawn names none) is the
    "writer" when it holds the archive open, else an "extractor"."""
    words = cmdline.split(b"\0")
    if b"multiprocessing.resource_tracker" in cmdline:
        return "resource tracker"
    if b"multiprocessing" in cmdline:
        return "writer" if _holds_archive(pid) else "extractor"
    return (
        words[3].decode() if len(words) > 3 and words[1:3] == [b"-m", b"newsarchive"] else "other"
    )


def _holds_archive(pid: int) -> bool:
    try:
        return any(os.readlink(f).endswith(".db") for f in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def crawl_tree(base_url: str, db: Path, interval: float) -> tuple[TreeSample, dict, float]:
    """A first crawl of the replica into `db`, its tree sampled every `interval` seconds."""
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    # The replica publishes a few articles a day, so 100,000 of them go back to the 1940s: the
    # validation's earliest date would drop two thirds of them unarchived (33,093 of 100,000).
    command += ["-s", "NEWSARCHIVE_EARLIEST_DATE=1900-01-01"]
    # The crawl's log goes to a file: a pipe nobody reads until the end fills up (64 KiB) and
    # blocks the crawler's next log line, which stalled the 100,000-article run.
    log = db.with_suffix(".log")
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [*command, "--json", "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        sampled = TreeSample()
        started = time.monotonic()
        while process.poll() is None:
            sampled.sample(process.pid)
            time.sleep(interval)
        seconds = time.monotonic() - started
        stdout = process.stdout.read() if process.stdout else ""
    if process.returncode != 0:
        raise SystemExit(f"crawl failed ({process.returncode}): {log.read_text()[-2000:]}")
    return sampled, json.loads(stdout), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--interval", type=float, default=0.2)
    options = parser.parse_args()
    with ReplicaProcess(articles=options.articles) as site, tempfile.TemporaryDirectory() as folder:
        sampled, summary, seconds = crawl_tree(
            site.base_url, Path(folder) / "a.db", options.interval
        )
    largest = max(sampled.own_peak.values(), default=0)
    mib = 1 << 20
    print(
        f"first crawl of {summary['new']} articles ({summary['requested']} requests, {seconds:.0f} s): "
        f"peak RSS of its {len(sampled.names)} processes together {sampled.peak_rss / mib:,.0f} MiB "
        f"(floor {FLOOR / mib:,.0f} MiB); the largest one alone {largest / mib:,.0f} MiB"
    )
    cpu = sampled.cpu_by_name()
    print("CPU seconds: " + ", ".join(f"{name} {value:.1f}" for name, value in sorted(cpu.items())))
    figures = {
        "articles": summary["new"],
        "peak_rss": sampled.peak_rss,
        "largest_process_rss": largest,
        "processes": len(sampled.names),
        "floor": FLOOR,
        "seconds": round(seconds, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
