"""The WARC export's and import's speed: records written (and read back into an empty archive)
per second against `warcio index` reading the same file in the same run (the baseline: one
pass of the standard reader over every record).

Builds the archive by crawling a replica of 20,000 articles, then re-checking every article
once (conditional requests: the 304 revisits an archive is mostly made of), or reuses --db.
Each round exports the whole archive as a WARC and indexes it with warcio; medians are compared,
because the machine is shared and noisy. Also prints the CDXJ and WACZ exports' times. Printed,
not asserted. The import (judged, read, cleaned, versioned like a crawl) runs once, into a new
archive.

    python -m bench.warc_export [--articles 20000] [--rounds 3] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive.database import open_archive
from archive.formats.export import export_warc
from archive.formats.source import Selection
from crawler.imports.importer import Importer, ImportOptions
from tests.cli import FAST
from tests.replica.process import ReplicaProcess

BIN = Path(sys.executable).parent
# Every article due on the second crawl, two days later by its clock: a day of an archive.
RECHECK_ALL = ["-s", "NEWSARCHIVE_REVISIT_STEPS=1d=0", "-s", "NEWSARCHIVE_REVISIT_FLOOR=1d"]


def crawl(base_url: str, db: Path, *extra: str) -> dict:
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    command += ["--json", "--db", str(db), *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def build(articles: int, db: Path) -> None:
    with ReplicaProcess(articles=articles) as site:
        started = time.perf_counter()
        first = crawl(site.base_url, db)
        later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        second = crawl(site.base_url, db, *RECHECK_ALL, "-s", f"NEWSARCHIVE_NOW={later}")
        print(
            f"archive built in {time.perf_counter() - started:.0f} s: {first['new']} articles, "
            f"then {second.get('not-modified', 0)} not modified on the re-check",
            flush=True,
        )


def export_seconds(db: Path, out: Path) -> tuple[float, int]:
    """Seconds to export the whole archive as a WARC, and how many records it holds."""
    archive = open_archive(str(db), create=False, read_only=True)
    try:
        started = time.perf_counter()
        with out.open("wb") as stream:
            exported = export_warc(archive, Selection(), stream)
        return time.perf_counter() - started, exported.records
    finally:
        archive.close()


def index_seconds(warc: Path) -> float:
    """Seconds `warcio index` takes to read every record of the file."""
    started = time.perf_counter()
    subprocess.run([str(BIN / "warcio"), "index", str(warc)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def import_seconds(warc: Path, db: Path) -> tuple[float, int]:
    """Seconds to import the WARC into a new archive, and how many captures it recorded."""
    archive = open_archive(str(db))
    try:
        started = time.perf_counter()
        summary = Importer(archive, ImportOptions()).run(warc)
        return time.perf_counter() - started, sum(summary.recorded.values())
    finally:
        archive.close()


def command_seconds(db: Path, fmt: str, out: Path) -> float:
    started = time.perf_counter()
    command = [sys.executable, "-m", "newsarchive", "export", "--format", fmt, "-o", str(out)]
    subprocess.run([*command, "--db", str(db)], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", type=Path, help="An existing archive to export instead.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = options.db or Path(folder) / "archive.db"
        if options.db is None:
            build(options.articles, db)
        warc = Path(folder) / "export.warc.gz"
        exports, indexes, records = [], [], 0
        for round_number in range(options.rounds):
            seconds, records = export_seconds(db, warc)
            exports.append(seconds)
            indexes.append(index_seconds(warc))
            print(
                f"round {round_number + 1}: export {records / exports[-1]:,.0f} records/s "
                f"({exports[-1]:.1f} s), warcio index {records / indexes[-1]:,.0f} records/s "
                f"({indexes[-1]:.1f} s)",
                flush=True,
            )
        export, index = statistics.median(exports), statistics.median(indexes)
        size = warc.stat().st_size
        print(
            f"\nexport / warcio index: {index / export:.2f}  (median {records / export:,.0f} vs "
            f"{records / index:,.0f} records/s; {records:,} records, {size / 1e6:,.1f} MB)"
        )
        seconds, captures = import_seconds(warc, Path(folder) / "imported.db")
        print(
            f"import / warcio index: {index / seconds:.2f}  ({records / seconds:,.0f} records/s "
            f"read, {captures:,} captures recorded in {seconds:.1f} s)"
        )
        for fmt in ("cdxj", "wacz"):
            seconds = command_seconds(db, fmt, Path(folder) / f"export.{fmt}")
            print(f"newsarchive export --format {fmt}: {seconds:.1f} s (the whole command)")


if __name__ == "__main__":
    main()
