"""Daily crawls of a replica whose articles get edited: how soon the edits are archived, and at
what cost, for each revisit planner.

`recall` (the default; issue 15): for each edit model — `uniform` (edits fall on articles of
every age alike) and `decaying` (mostly within days of publication) — and each planner — the
shipped age schedule as shipped, the same capped at the budget (`--max-revisits`, most overdue
first), and the budget planner — a first crawl, then one crawl a day at 23:00 for `--days` days,
with a re-check budget of `--budget-share` of the archive's articles a day. Prints, per run:
re-checks a day, the share of the edits archived the same day and within 7 days (the edit's
day and the six after; over the edits made at least 6 days before the last crawl), and the
versions no edit explains (false changes). The model's edits and the replica's scripted
scenario (a fixed set of edits on the newest initial articles) are counted apart; the floors
are on the model's. The round-robin bound, 7 × the daily share, is what checking every article
in turn would catch within 7 days of uniform edits. Floors: decaying same-day recall ≥ 90%;
uniform within-7-days recall ≥ 90% of the bound; no false changes. `--simulate` runs the same
planners without HTTP (bench.freshness: the planners fed by the replica's model), for archives
too big to crawl daily for weeks.

`costs` (issue 3): a first crawl, then `--days` daily crawls, then a day on which nothing
changed: requests, bytes downloaded and archive growth per day as shares of the first crawl, and
the detection recall per day. Floors: a daily crawl's bytes at most 5% of the first crawl's,
growth on the day without edits at most 1 KB per checked article. `--schedule daily` checks
every article every day (what a 100% same-day recall over edits to articles of any age takes),
`schedule` by the age schedule, `default` with the shipped settings (the budget planner: with
the replica's politeness lifted there is no budget, so every article every day as well).

    python -m bench.daily_crawls [recall] [--articles 2000] [--days 30] [--budget-share 0.05]
        [--uniform-rate 0.01] [--decaying-edits 4] [--simulate] [--seed S] [--planners P,…]
    python -m bench.daily_crawls costs [--articles 20000] [--days 7] [--edit-rate 0.01]
        [--schedule daily|schedule|default]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import tempfile
import time as clock
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli import FAST
from tests.replica.model import DEFAULT_SEED, Options
from tests.replica.process import ReplicaProcess
from tests.replica.timeline import Timeline

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = date(2025, 12, 1)
DAILY = ["-s", "NEWSARCHIVE_REVISIT_STEPS=1d=0", "-s", "NEWSARCHIVE_REVISIT_FLOOR=1d"]
# Extraction and writes in the crawler's process: daily crawls are small.
INLINE = ["-s", "NEWSARCHIVE_EXTRACT_WORKERS=0", "-s", "NEWSARCHIVE_WRITER_PROCESS=false"]
SHIPPED = ["-s", "NEWSARCHIVE_REVISIT_PLANNER=schedule"]
PLANNERS = ("shipped", "shipped-capped", "budget")


def evening(day: int) -> str:
    return datetime.combine(START + timedelta(days=day - 1), time(23), SHANGHAI).isoformat()


def crawl(base_url: str, db: Path, day: int, settings: list[str]) -> dict:
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    command += [*settings, "-s", f"NEWSARCHIVE_NOW={evening(day)}", "--json", "--db", str(db)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout)


def versions(db: Path) -> list[tuple[str, int]]:
    """Every version after an article's first, as (doc id, the simulated day it was archived)."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT p.doc_id, v.created_at FROM version v JOIN page p ON p.id = v.page_id "
            "WHERE v.number > 1"
        ).fetchall()
    return [(doc_id, _day(created)) for doc_id, created in rows]


def _day(created: str) -> int:
    moment = datetime.fromisoformat(created).replace(tzinfo=ZoneInfo("UTC")).astimezone(SHANGHAI)
    return (moment.date() - START).days + 1


@dataclass
class Recall:
    """Edits and how many were archived the same day and within 7 days (the edit's day and the
    six after, over the edits made at least six days before the last crawl)."""

    edits: int = 0
    same_day: int = 0
    full_weeks: int = 0
    within_week: int = 0

    def add(self, day: int, found: int | None, last_day: int) -> None:
        self.edits += 1
        self.same_day += found == day
        if day + 6 <= last_day:
            self.full_weeks += 1
            self.within_week += found is not None and found <= day + 6

    def text(self) -> str:
        return (
            f"{pct(self.same_day, self.edits):>6} {pct(self.within_week, self.full_weeks):>6} "
            f"({self.edits:>4} edits)"
        )


def pct(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def recall_of(
    edits: list[tuple[str, int]],
    scripted: set[tuple[str, int]],
    archived: list[tuple[str, int]],
    last_day: int,
) -> tuple[Recall, Recall, int]:
    """(recall over the model's edits, over the scripted ones, false changes) from the edits as
    (doc id, day) and the versions archived as (doc id, day): an edit is found by the first
    version of its article archived on its day or later; a version that finds none is false."""
    model, script, explained = Recall(), Recall(), set()
    for (doc_id, day), found in zip(edits, found_days(edits, archived), strict=True):
        (script if (doc_id, day) in scripted else model).add(day, found, last_day)
        if found is not None:
            explained.add((doc_id, found))
    return model, script, len(set(archived) - explained)


def found_days(edits: list[tuple[str, int]], archived: list[tuple[str, int]]) -> list[int | None]:
    """The day each edit was archived: its article's first version that day or later."""
    days = defaultdict(list)
    for doc_id, day in archived:
        days[doc_id].append(day)
    return [min((seen for seen in days[doc] if seen >= day), default=None) for doc, day in edits]


def scripted_edits(options: Options) -> set[tuple[str, int]]:
    """The scenario's edits (doc id, day): the replica's own model, rebuilt with its options."""
    timeline = Timeline(options)
    keys = {(e.key, e.day) for e in timeline._scripted() if e.kind == "edited"}
    return {(str(timeline.doc_ids[key]), day) for key, day in keys}


def planner_settings(planner: str, per_day: int) -> list[str]:
    if planner == "shipped":
        return SHIPPED
    if planner == "shipped-capped":
        return [*SHIPPED, "--max-revisits", str(per_day)]
    return ["-s", f"NEWSARCHIVE_DAILY_BUDGET={per_day}"]


def crawled_run(options: Options, planner: str, per_day: int) -> tuple[Recall, Recall, int, float]:
    """A replica crawled daily with `planner`: its recalls, false changes and checks a day."""
    replica = {
        "articles": options.articles,
        "days": options.days,
        "edit_rate": options.edit_rate,
        "seed": options.seed,
    }
    with (
        ReplicaProcess(**replica, edit_model=options.edit_model) as site,
        tempfile.TemporaryDirectory() as folder,
    ):
        db = Path(folder) / "archive.db"
        settings = [*INLINE, *planner_settings(planner, per_day)]
        crawl(site.base_url, db, 1, settings)
        checks = 0
        for day in range(2, options.days + 1):
            site.set_day(day)
            checks += crawl(site.base_url, db, day, settings)["revisits_checked"]
        truth, archived = site.truth(), versions(db)
    doc_ids = {a["url"]: a["doc_id"] for a in truth["articles"]}
    edits = [(doc_ids[c["url"]], c["day"]) for c in truth["changes"] if c["kind"] == "edited"]
    model, script, false = recall_of(edits, scripted_edits(options), archived, options.days)
    return model, script, false, checks / (options.days - 1)


def simulated_run(
    options: Options, planner: str, per_day: int
) -> tuple[Recall, Recall, int, float]:
    """The same without HTTP: bench.freshness over the replica's model."""
    from bench.freshness import simulate

    name = "budget" if planner == "budget" else "schedule"
    limit = None if planner == "shipped" else per_day
    found = simulate(options, name, limit, options.days)
    model, script, false = recall_of(
        found.edits, scripted_edits(options), found.versions, options.days
    )
    return model, script, false, found.checks / (options.days - 1)


def recall_main(arguments: argparse.Namespace) -> None:
    per_day = round(arguments.articles * arguments.budget_share)
    bound = min(1.0, 7 * arguments.budget_share)
    run = simulated_run if arguments.simulate else crawled_run
    how = "simulated (bench.freshness)" if arguments.simulate else "real crawls of the replica"
    print(
        f"{arguments.articles:,} articles, {arguments.days} days, seed {arguments.seed}, {how}; "
        f"budget {per_day} "
        f"re-checks a day ({arguments.budget_share:.0%}); round-robin bound within 7 days "
        f"{bound:.0%} (floor {0.9 * bound:.1%})"
    )
    print(
        "model     planner          checks/day  same-day 7-days (model's edits)  "
        "same-day 7-days (scripted)  false  seconds"
    )
    models = (
        ("uniform", arguments.uniform_rate),
        ("decaying", arguments.decaying_edits / arguments.articles),
    )
    for name, rate in models:
        options = Options(
            articles=arguments.articles,
            days=arguments.days,
            edit_rate=rate,
            edit_model=name,
            seed=arguments.seed,
        )
        for planner in arguments.planners.split(","):
            started = clock.monotonic()
            model, script, false, checks = run(options, planner, per_day)
            print(
                f"{name:<9} {planner:<16} {checks:>10.0f}  {model.text():<30}  "
                f"{script.text():<26}  {false:>5}  {clock.monotonic() - started:>7.0f}",
                flush=True,
            )


# --- costs (issue 3)


def archive_bytes(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def detected_edits(db: Path, edits: list[dict], doc_ids: dict[str, str]) -> tuple[int, int, int]:
    """(edits archived as a version that day, edits archived by a later crawl, versions no edit
    explains). A late one is an edit first seen when its article fell due again."""
    archived = versions(db)
    found = [(doc_ids[e["url"]], e["day"]) for e in edits]
    days = found_days(found, archived)
    same = sum(seen == day for (_, day), seen in zip(found, days, strict=True))
    late = sum(seen is not None and seen > day for (_, day), seen in zip(found, days, strict=True))
    _, _, false = recall_of(found, set(), archived, 10**6)
    return same, late, false


def share(part: float, whole: float) -> str:
    return f"{part / whole:.2%}" if whole else "n/a"


def costs_main(options: argparse.Namespace) -> None:
    schedule = {"daily": DAILY, "schedule": SHIPPED, "default": []}[options.schedule]
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
            "day  requests (share)      bytes (share)            growth (share)        "
            "checked  edits  found  recall  late  false"
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
            every = [c for c in truth["changes"] if c["kind"] == "edited"]
            edits = [c for c in every if c["day"] == day and not quiet]
            found, late, false = detected_edits(db, every, doc_ids)
            found_today, late_today = found - all_found, late - all_late
            false_today = false - all_false
            all_edits, all_found, all_late, all_false = all_edits + len(edits), found, late, false
            label = f"{day}{'*' if quiet else ' '}"
            recall = share(found_today, len(edits)) if edits else "—"
            print(
                f"{label:<4} {run['requested']:>7} ({share(run['requested'], first['requested']):>6})  "
                f"{run['bytes']:>12,} ({share(run['bytes'], first['bytes']):>6})  "
                f"{grown:>11,} ({share(grown, first_size):>6})  {run['revisits_checked']:>7}  "
                f"{len(edits):>5}  {found_today:>5}  {recall:>6}  {late_today:>4}  {false_today:>5}"
            )
            if quiet:
                per_article = grown / max(1, run["revisits_checked"])
                print(
                    f"\n* a day without edits: archive growth {per_article:,.0f} bytes per "
                    "checked article (floor ≤ 1,024)"
                )
        print(
            f"recall over {options.days} days: {share(all_found, all_edits)} the same day "
            f"({all_found} of {all_edits} edits), {share(all_found + all_late, all_edits)} by the "
            f"last crawl; versions the change log does not have: {all_false}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command")
    recall = commands.add_parser("recall", help="recall of each planner under two edit models")
    costs = commands.add_parser("costs", help="requests, bytes and growth per daily crawl")
    for sub, articles, days in ((recall, 2000, 30), (costs, 20000, 7)):
        sub.add_argument("--articles", type=int, default=articles)
        sub.add_argument("--days", type=int, default=days)
    recall.add_argument("--budget-share", type=float, default=0.05)
    recall.add_argument("--uniform-rate", type=float, default=0.01, help="share edited a day")
    recall.add_argument("--decaying-edits", type=float, default=4.0, help="edits a day")
    recall.add_argument("--simulate", action="store_true", help="no HTTP: bench.freshness")
    recall.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the replica's seed")
    recall.add_argument(
        "--planners", default=",".join(PLANNERS), help=f"some of {','.join(PLANNERS)}"
    )
    costs.add_argument("--edit-rate", type=float, default=0.01)
    costs.add_argument("--schedule", choices=["daily", "schedule", "default"], default="daily")
    given = sys.argv[1:]
    if not given or given[0] not in ("recall", "costs", "-h", "--help"):
        given = ["recall", *given]
    arguments = parser.parse_args(given)
    unknown = set(getattr(arguments, "planners", "budget").split(",")) - set(PLANNERS)
    if unknown:
        parser.error(
            f"--planners: {', '.join(sorted(unknown))} is not one of {', '.join(PLANNERS)}"
        )
    if arguments.command == "costs":
        costs_main(arguments)
    else:
        recall_main(arguments)


if __name__ == "__main__":
    main()
