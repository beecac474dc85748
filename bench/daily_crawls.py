"""Issue 3's benchmark: a first crawl of a 20,000-article replica, then 7 daily crawls with 1% of
the articles edited each day, then one day on which nothing changed.

Prints, per daily crawl and as a share of the first crawl: requests made, bytes downloaded and
archive growth; and the detection recall: edits archived as a version on the day they were made,
edits archived late (when their article next fell due), and versions no edit explains (false
changes). Floors: recall 100%, a daily crawl's
bytes downloaded at most 5% of the first crawl's, growth on the day without edits at most 1 KB per
checked article.

By default every known article is re-checked every day (conditional requests), which is what a
100% same-day recall over edits to articles of any age takes; `--schedule default` uses the
shipped adaptive schedule instead and shows what it costs and catches.

    python -m bench.daily_crawls [--articles 20000] [--days 7] [--edit-rate 0.01] [--schedule daily]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli import FAST
from tests.replica.process import ReplicaProcess

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2025, 12, 1)
DAILY = ["-s", "NEWSARCHIVE_REVISIT_STEPS=1d=0", "-s", "NEWSARCHIVE_REVISIT_FLOOR=1d"]


def evening(day: int) -> str:
    return datetime.combine(START + timedelta(days=day - 1), time(23), SHANGHAI).isoformat()


def crawl(base_url: str, db: Path, day: int, schedule: list[str]) -> dict:
    command = [
        sys.executable,
        "-m",
        "newsarchive",
        "crawl",
        "--base-url",
        base_url,
        *FAST,
        *schedule,
    ]
    command += ["-s", f"NEWSARCHIVE_NOW={evening(day)}", "--json", "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def archive_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def detected_edits(db: Path, edits: list[dict], doc_ids: dict[str, str]) -> tuple[int, int, int]:
    """(edits archived as a version that day, edits archived by a later crawl, versions no edit
    explains). A late one is an edit first seen when its article fell due again."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT p.doc_id, v.created_at FROM version v JOIN page p ON p.id = v.page_id WHERE v.number > 1"
        ).fetchall()
    versions = {(doc_id, _day(created)) for doc_id, created in rows}
    same_day = late = 0
    explained = set()
    for edit in edits:
        doc_id, day = doc_ids[edit["url"]], edit["day"]
        later = [seen for doc, seen in versions if doc == doc_id and seen >= day]
        if later:
            same_day, late = (same_day + 1, late) if min(later) == day else (same_day, late + 1)
            explained.add((doc_id, min(later)))
    return same_day, late, len(versions - explained)


def _day(created: str) -> int:
    moment = datetime.fromisoformat(created).replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)
    return (moment.date() - START).days + 1


def share(part: float, whole: float) -> str:
    return f"{part / whole:.2%}" if whole else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--edit-rate", type=float, default=0.01)
    parser.add_argument("--schedule", choices=["daily", "default"], default="daily")
    options = parser.parse_args()
    schedule = DAILY if options.schedule == "daily" else []
    with (
        ReplicaProcess(articles=options.articles, edit_rate=options.edit_rate) as site,
        tempfile.TemporaryDirectory() as folder,
    ):
        db = Path(folder) / "archive.db"
        first = crawl(site.base_url, db, 1, schedule)
        first_size = archive_bytes(db)
        print(
            f"schedule: {options.schedule}; first crawl: {first['requested']} requests, "
            f"{first['bytes']:,} bytes, archive {first_size:,} bytes ({first['new']} articles)"
        )
        print(
            "day  requests (share)      bytes (share)            growth (share)        checked  edits  found  recall  late  false"
        )
        size, all_edits, all_found, all_late, all_false = first_size, 0, 0, 0, 0
        for day in range(2, options.days + 3):
            quiet = day == options.days + 2  # the replica stays on the last day: nothing changes
            if not quiet:
                site.set_day(day)
            run = crawl(site.base_url, db, day, schedule)
            grown, size = archive_bytes(db) - size, archive_bytes(db)
            truth = site.truth()
            doc_ids = {a["url"]: a["doc_id"] for a in truth["articles"]}
            edits = [
                c
                for c in truth["changes"]
                if c["kind"] == "edited" and c["day"] == day and not quiet
            ]
            found, late, false = detected_edits(
                db, [c for c in truth["changes"] if c["kind"] == "edited"], doc_ids
            )
            found_today, late_today, false_today = (
                found - all_found,
                late - all_late,
                false - all_false,
            )
            all_edits, all_found, all_late, all_false = all_edits + len(edits), found, late, false
            label = f"{day}{'*' if quiet else ' '}"
            print(
                f"{label:<4} {run['requested']:>7} ({share(run['requested'], first['requested']):>6})  "
                f"{run['bytes']:>12,} ({share(run['bytes'], first['bytes']):>6})  "
                f"{grown:>11,} ({share(grown, first_size):>6})  {run['revisits_checked']:>7}  "
                f"{len(edits):>5}  {found_today:>5}  {share(found_today, len(edits)) if edits else '—':>6}  {late_today:>4}  {false_today:>5}"
            )
            if quiet:
                per_article = grown / max(1, run["revisits_checked"])
                print(
                    f"\n* a day without edits: archive growth {per_article:,.0f} bytes per checked article (floor ≤ 1,024)"
                )
        print(
            f"recall over {options.days} days: {share(all_found, all_edits)} the same day ({all_found} of "
            f"{all_edits} edits), {share(all_found + all_late, all_edits)} by the last crawl; "
            f"versions the change log does not have: {all_false}"
        )


if __name__ == "__main__":
    main()
