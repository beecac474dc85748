"""Issue 15 §2 and §3: archive bytes against HTML bytes after a first crawl, and a quiet day's growth.

A first crawl of a replica of N articles (default 5,000) under the shipped schedule, then a second
crawl one day later (NEWSARCHIVE_NOW advanced a day) of the unchanged replica. Prints, from one run:
the HTML bytes downloaded (the payloads the captures hold, and Scrapy's response bytes), the
archive's bytes and their ratio (floor 1.0×, aim 0.5×), per table with its indexes (SQLite's dbstat),
and the quiet day's growth per checked article (floor 100 bytes).

Archive bytes are given two ways: the database file after a WAL checkpoint (TRUNCATE), as it lies
on disk, and a `VACUUM INTO` copy of it (no free pages; what the figures' ratios use).

`--baseline REF` runs the same crawls, on the same replica, with the code of git revision REF
(exported with `git archive` into a temporary folder) and prints both, so before and after come
from one run on the same machine.

    python -m bench.storage [--articles 5000] [--baseline REF] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli import FAST
from tests.replica.process import REPO_ROOT, ReplicaProcess

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2025, 12, 1)


def evening(day: int) -> str:
    return datetime.combine(START + timedelta(days=day - 1), time(23), SHANGHAI).isoformat()


def crawl(code: Path, base_url: str, db: Path, day: int) -> dict:
    """A crawl under the shipped schedule, by the code in `code`, on the evening of `day`."""
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    command += ["-s", f"NEWSARCHIVE_NOW={evening(day)}", "--json", "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=code)
    if done.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


@dataclass(frozen=True)
class Size:
    """An archive's bytes: the file after a checkpoint, a VACUUM INTO copy, and per table."""

    on_disk: int
    vacuumed: int
    tables: dict[str, int]


def measure(db: Path) -> Size:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    on_disk = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    copy = db.with_suffix(".vacuumed")
    copy.unlink(missing_ok=True)
    with sqlite3.connect(db) as connection:
        connection.execute("VACUUM INTO ?", (str(copy),))
    try:
        return Size(on_disk, copy.stat().st_size, _tables(copy))
    finally:
        copy.unlink()


def _tables(db: Path) -> dict[str, int]:
    """Bytes per table, its indexes included (an FTS5 table's shadow tables count as its own)."""
    with sqlite3.connect(db) as connection:
        owners = dict(connection.execute("SELECT name, tbl_name FROM sqlite_schema"))
        rows = connection.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    tables: dict[str, int] = {}
    for name, size in rows:
        owner = owners.get(name, name)
        owner = "segment_fts" if owner.startswith("segment_fts") else owner
        tables[owner] = tables.get(owner, 0) + size
    return tables


def html_bytes(db: Path, run_id: int) -> int:
    """The payload bytes the run's captures hold, as received (files and pages alike)."""
    with sqlite3.connect(db) as connection:
        total = connection.execute(
            "SELECT COALESCE(SUM(payload_size), 0) FROM capture WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
    return int(total)


@dataclass(frozen=True)
class Figures:
    label: str
    first: dict
    html: int
    empty: Size
    after_first: Size
    quiet: dict
    after_quiet: Size

    @property
    def ratio(self) -> float:
        return self.after_first.vacuumed / self.html

    @property
    def quiet_per_checked(self) -> float:
        grown = self.after_quiet.vacuumed - self.after_first.vacuumed
        return grown / max(1, self.quiet["revisits_checked"])


def run(label: str, code: Path, base_url: str, db: Path) -> Figures:
    empty = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import archive.database as d; d.open_archive({str(db)!r}).close()",
        ],
        capture_output=True,
        text=True,
        cwd=code,
    )
    if empty.returncode != 0:
        raise SystemExit(f"creating the archive failed: {empty.stderr[-2000:]}")
    before = measure(db)
    first = crawl(code, base_url, db, 1)
    after_first = measure(db)
    quiet = crawl(code, base_url, db, 2)
    return Figures(
        label, first, html_bytes(db, first["run"]), before, after_first, quiet, measure(db)
    )


def report(figures: Figures) -> None:
    f = figures
    print(f"\n== {f.label}")
    print(
        f"first crawl: {f.first['new']} new pages, {f.first['requested']} requests; HTML bytes "
        f"downloaded {f.html:,} (payloads held by its captures; Scrapy's response bytes "
        f"{f.first['bytes']:,})"
    )
    print(
        f"archive bytes: empty {f.empty.vacuumed:,}; after the first crawl {f.after_first.vacuumed:,}"
        f" after VACUUM INTO ({f.after_first.on_disk:,} on disk after a WAL checkpoint)"
    )
    print(
        f"archive / HTML: {f.ratio:.3f}  (on disk {f.after_first.on_disk / f.html:.3f}; "
        "floor 1.0, aim 0.5)"
    )
    print("per table and its indexes (dbstat, after VACUUM INTO):")
    grown = {
        name: f.after_quiet.tables.get(name, 0) - f.after_first.tables.get(name, 0)
        for name in f.after_quiet.tables
    }
    for name, size in sorted(f.after_first.tables.items(), key=lambda item: -item[1]):
        if size > 4096 or grown.get(name):
            print(
                f"  {name:<20} {size:>12,}  {size / f.html:6.3f}× HTML   quiet day +{grown.get(name, 0):,}"
            )
    checked = f.quiet["revisits_checked"]
    quiet_grown = f.after_quiet.vacuumed - f.after_first.vacuumed
    disk_grown = f.after_quiet.on_disk - f.after_first.on_disk
    print(
        f"quiet day: {f.quiet['requested']} requests, {checked} articles checked, "
        f"{f.quiet.get('not-modified', 0)} not modified, {f.quiet.get('unchanged', 0)} unchanged; "
        f"archive +{quiet_grown:,} bytes after VACUUM INTO (+{disk_grown:,} on disk)"
    )
    print(
        f"quiet day growth per checked article: {f.quiet_per_checked:,.0f} bytes  "
        f"(on disk {disk_grown / max(1, checked):,.0f}; floor 100)"
    )


def exported(ref: str, folder: Path) -> Path:
    """The tree of git revision `ref`, written into `folder` (no worktree, no git state)."""
    tree = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", ref],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(tree)) as archive:
        archive.extractall(folder, filter="data")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--baseline", metavar="REF", help="also run the code of git revision REF")
    parser.add_argument("--keep", metavar="DIR", type=Path, help="copy the archives here")
    options = parser.parse_args()
    with (
        ReplicaProcess(articles=options.articles) as site,
        tempfile.TemporaryDirectory() as folder,
    ):
        work = Path(folder)
        results = []
        if options.baseline:
            code = exported(options.baseline, work / "baseline")
            label = f"baseline {options.baseline}"
            results.append(run(label, code, site.base_url, work / "baseline.db"))
        results.append(run("this tree", REPO_ROOT, site.base_url, work / "archive.db"))
        for figures in results:
            report(figures)
        if options.keep:
            options.keep.mkdir(parents=True, exist_ok=True)
            for db in work.glob("*.db"):
                shutil.copy(db, options.keep / db.name)
        if len(results) == 2:
            before, after = results
            print(
                f"\narchive / HTML: {before.ratio:.3f} -> {after.ratio:.3f} "
                f"({after.after_first.vacuumed / before.after_first.vacuumed:.2f}× the bytes); "
                f"quiet day per checked article: {before.quiet_per_checked:,.0f} -> "
                f"{after.quiet_per_checked:,.0f} bytes"
            )


if __name__ == "__main__":
    main()
