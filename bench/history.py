"""The history commands' queries on a large archive, as medians next to the issue's floors.

Times in this process the archive functions the commands call, each over many pages or days
drawn at random from the archive: `history` (archive.query.page_history), `show --at`
(version_record at a time), `diff` (its queries: the latest version and the one before; with the
character-level comparison apart, for reference), `changes` for one day (change_report over a
UTC day), and the crawl planners' re-checks at the day after the last run, as a crawl plans them
(crawler.plan.crawl.planned_revisits with chencang's profile and the shipped settings, within
the budget the profile's politeness allows): the schedule planner's (the most overdue up to the
run's budget, and the count; for reference, crawler.plan.revisits.due_revisits uncapped: every
due page; and as `--max-revisits 1000` plans: the count and the 1,000 most overdue), and the
budget planner's, the default (its inputs read and its plan made; with a floor of ten years, so
no article is past it and the run's checks go by the articles' next checks, as in an archive the
planner keeps up with: the synthetic archive's checks are spread log-uniformly, so otherwise the
articles past the floor fill every run; and, for reference, with no delay, so no limit: every
article's chance weighed). Before the probes, an archive whose articles have no next check yet
(a built one) gets them as a crawl within a budget works them out at its end, timed. The
probes take turns, sample by sample, so the shared machine's noise falls on all of them; the
first calls warm up and are not counted. Each median is shown in wall time and in this process's
CPU time (on a loaded machine the wall time also waits for a core), and as a multiple of a
baseline (one indexed lookup) timed in the same turns. Then the throughputs: `export` of the
latest version of every article (iter_record_json written as JSON Lines to /dev/null:
versions/s) and `verify` (MB/s of payload bytes, uncompressed, over the whole check). A few
whole `newsarchive` invocations follow for reference (each a fresh process: start-up included,
shown against `newsarchive --version`). Last, the EXPLAIN QUERY PLAN of every statement each
probe ran (recorded as SQLAlchemy sent them, SQLite only). Printed, never asserted.

Floors (the issue's): history, show --at, diff ≤ 10 ms; a day's changes ≤ 50 ms; a crawl's
plan of its re-checks ≤ 100 ms; export ≥ 20,000 versions/s; verify: MB/s, reported.

    python -m bench.history [--db PATH] [--samples 200] [--seed 1]
    python -m bench.history --pages 20000 --versions 40000 --captures 100000   # builds one first

Without --db, an archive is built with bench.synthetic (same defaults: 200,000 pages, 400,000
versions, 1,000,000 captures; minutes) into a temporary folder, and removed afterwards. An
archive built by an older newsarchive is refused unless --upgrade is given (it adds what the
newer schema has, indexes included, in place).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select

from archive.columns import from_micros
from archive.database import Archive, open_archive, upgrade_archive
from archive.diff import diff_records
from archive.errors import SchemaTooOld
from archive.fixity import verify
from archive.models import Page, PageUrl
from archive.query import change_report, iter_record_json, page_history, version_record
from archive.records import PageKind
from crawler.plan.crawl import ShippedSettings, planned_revisits, schedule_next_checks
from crawler.plan.options import Options
from crawler.plan.revisits import default_policy, due_revisits
from crawler.sites.profile import SiteProfile, load_profile
from newsarchive.cli.formats import write_jsonl

SITE = "chencang"
WARMUP = 3
RUN_HOUR_UTC = 14  # the synthetic archive's runs start at 22:00 in Shanghai


@dataclass(frozen=True)
class Draws:
    """What the probes are called with, drawn from the archive before anything is timed."""

    pages: list[str]  # article URLs
    moments: list[tuple[str, datetime]]  # (URL, a time after its first version)
    changed: list[str]  # URLs of articles with two versions or more
    days: list[date]
    nows: list[datetime]  # the planner's "now": the day after the last run
    counts: dict[str, int]
    load: float = field(default_factory=lambda: os.getloadavg()[0])


@dataclass(frozen=True)
class Probe:
    name: str
    floor_ms: float
    samples: Callable[[Draws], list[Any]]
    call: Callable[[Archive, Any], Any]


@dataclass
class Timing:
    times: list[float] = field(default_factory=list)  # wall, ms
    cpu: list[float] = field(default_factory=list)  # this process's CPU time, ms
    statements: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)  # rows or events each call returned


def draw(db: Path, rng: random.Random, wanted: int) -> Draws:
    """Random articles, times, changed articles and days, read with sqlite3 (read-only)."""
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as connection:
        counts = {
            table: connection.execute(f"SELECT max(rowid) FROM {table}").fetchone()[0] or 0
            for table in ("page", "version", "capture", "page_event")
        }
        versions = connection.execute(
            "SELECT p.current_url, v.created_at FROM version v JOIN page p ON p.id = v.page_id "
            "WHERE v.id IN (SELECT abs(random()) % ? + 1 FROM version LIMIT ?)",
            (counts["version"], wanted),
        ).fetchall()
        changed = connection.execute(
            "SELECT p.current_url FROM version v JOIN page p ON p.id = v.page_id "
            "WHERE v.number = 2 ORDER BY random() LIMIT ?",
            (wanted,),
        ).fetchall()
        first, last = connection.execute(
            "SELECT min(created_at), max(created_at) FROM version"
        ).fetchone()
        last_capture = connection.execute("SELECT max(captured_at) FROM capture").fetchone()[0]
    start, end = _utc(first).date(), _utc(last).date()
    span = (end - start).days
    after = datetime.combine(_utc(last_capture).date() + timedelta(days=1), datetime.min.time())
    now = after.replace(tzinfo=UTC) + timedelta(hours=RUN_HOUR_UTC)
    return Draws(
        pages=[url for url, _ in versions],
        moments=[
            (url, _utc(made) + timedelta(seconds=rng.randrange(30 * 86400)))
            for url, made in versions
        ],
        changed=[url for (url,) in changed],
        days=[start + timedelta(days=rng.randint(0, span)) for _ in range(wanted)],
        nows=[now + timedelta(minutes=rng.randrange(60)) for _ in range(wanted)],
        counts=counts,
    )


def _utc(stored: str | int) -> datetime:
    """A stored time: text (version), or integer microseconds (capture, archive.columns)."""
    if isinstance(stored, int):
        return from_micros(stored)
    return datetime.fromisoformat(stored).replace(tzinfo=UTC)


def _diff_queries(archive: Archive, url: str) -> tuple[Any, Any]:
    """What `newsarchive diff URL` reads: the latest version and the one before it."""
    newer = version_record(archive, url)
    return version_record(archive, url, number=newer.version - 1), newer


def _diff(archive: Archive, url: str) -> object:
    """The whole of `diff` in process: its queries, then the character-level comparison."""
    return diff_records(*_diff_queries(archive, url))


def _day(archive: Archive, day: date) -> list[Any]:
    start = datetime.combine(day, datetime.min.time(), UTC)
    return change_report(archive, since=start, until=start + timedelta(days=1))


def _due(archive: Archive, now: datetime) -> Any:
    """The age schedule uncapped: every due page, most overdue first."""
    return due_revisits(archive, SITE, now, default_policy())


def _due_bounded(archive: Archive, now: datetime) -> Any:
    """What `crawl --max-revisits 1000` plans: how many are due, and the most overdue."""
    return due_revisits(archive, SITE, now, default_policy(), limit=BOUNDED)


@cache
def _shipped() -> tuple[SiteProfile, Options]:
    """chencang's profile and a crawl's options under the shipped settings (read once)."""
    profile = load_profile(SITE)
    settings = ShippedSettings(profile.settings)
    return profile, Options.from_settings(settings, profile.listing.stop_after_known_pages)


def _schedule(archive: Archive, now: datetime) -> Any:
    """What a crawl plans with the schedule planner: the most overdue, within the profile's
    budget."""
    profile, options = _shipped()
    return planned_revisits(archive, profile, replace(options, planner="schedule"), now)


def _budget(archive: Archive, now: datetime) -> Any:
    """What a crawl plans by default: the budget planner, within the profile's budget."""
    profile, options = _shipped()
    return planned_revisits(archive, profile, replace(options, planner="budget"), now)


def _budget_weighed(archive: Archive, now: datetime) -> Any:
    """The budget planner within the profile's budget, no article past its floor (ten years):
    the budget goes by the articles' next checks (crawler.plan.nextcheck), as when the planner
    keeps up."""
    profile, options = _shipped()
    steady = replace(options, planner="budget", floor=KEPT_UP)
    return planned_revisits(archive, profile, steady, now)


def _budget_unlimited(archive: Archive, now: datetime) -> Any:
    """The budget planner with no delay, so no budget: every article's chance worked out."""
    profile, options = _shipped()
    return planned_revisits(archive, profile, replace(options, planner="budget", delay=0.0), now)


BOUNDED = 1000
KEPT_UP = timedelta(days=3650)
WIDTH = 42  # the probes' names
PLANNER = (
    "schedule planner (profile's budget)",
    "due revisits (all due)",
    f"due revisits (count, {BOUNDED:,} most overdue)",
    "budget planner (profile's budget)",
    "budget planner (none past the floor)",
)
UNLIMITED = "budget planner (no delay, no limit)"


def _baseline(archive: Archive, url: str) -> object:
    """One indexed lookup on a connection from the pool: what every query costs at least."""
    with archive.engine.connect() as connection:
        return connection.execute(select(PageUrl.page_id).where(PageUrl.url == url)).first()


PROBES = (
    # The same code before and after any change here: the other medians are also shown as
    # multiples of it, which compare across runs on a shared, noisy machine.
    Probe("baseline (one lookup)", 0, lambda d: d.pages, _baseline),
    Probe("history", 10, lambda d: d.pages, page_history),
    Probe("show --at", 10, lambda d: d.moments, lambda a, m: version_record(a, m[0], at=m[1])),
    Probe("diff", 10, lambda d: d.changed, _diff_queries),
    Probe("changes (one day)", 50, lambda d: d.days, _day),
    Probe(PLANNER[0], 100, lambda d: d.nows, _schedule),
    # For reference: the age schedule uncapped, every due page.
    Probe(PLANNER[1], 0, lambda d: d.nows, _due),
    Probe(PLANNER[2], 100, lambda d: d.nows, _due_bounded),
    Probe(PLANNER[3], 100, lambda d: d.nows, _budget),
    Probe(PLANNER[4], 100, lambda d: d.nows, _budget_weighed),
    # For reference: the budget planner's model worked out for every article, with no budget.
    Probe(UNLIMITED, 0, lambda d: d.nows, _budget_unlimited),
    # For reference, no floor: diff's queries and its comparison of the two records (difflib).
    Probe("diff with comparison", 0, lambda d: d.changed, _diff),
)


def _size(found: Any) -> int:
    """How much a call returned: a day's events, a history's captures, the due pages."""
    if isinstance(found, list):
        return len(found)
    for name in ("captures", "pages"):
        if hasattr(found, name):
            return len(getattr(found, name))
    return 1


@contextmanager
def recording(engine: Engine, into: dict[str, tuple[Any, ...]]) -> Iterator[None]:
    """Every statement the engine sends meanwhile, with its first parameters."""

    def record(
        _c: Any, _cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
    ) -> None:
        if not many:
            into.setdefault(statement, tuple(parameters or ()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def measure(
    archive: Archive, draws: Draws, samples: int, planner: int, unlimited: int
) -> dict[str, Timing]:
    """Each probe over its samples, the probes taking turns; the first calls warm up."""
    timings = {probe.name: Timing() for probe in PROBES}
    counts = {probe.name: planner if probe.name in PLANNER else samples for probe in PROBES}
    counts[UNLIMITED] = unlimited
    queues = {probe.name: probe.samples(draws)[: WARMUP + counts[probe.name]] for probe in PROBES}
    for turn in range(max(len(queue) for queue in queues.values())):
        for probe in PROBES:
            queue, timing = queues[probe.name], timings[probe.name]
            if turn >= len(queue):
                continue
            if turn == 0:
                with recording(archive.engine, timing.statements):
                    probe.call(archive, queue[turn])
                continue
            started, cpu = time.perf_counter(), time.process_time()
            found = probe.call(archive, queue[turn])
            elapsed, used = time.perf_counter() - started, time.process_time() - cpu
            if turn >= WARMUP:
                timing.times.append(elapsed * 1000)
                timing.cpu.append(used * 1000)
                timing.sizes.append(_size(found))
    return timings


@dataclass
class Rate:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)  # per wall second
    cpu: list[float] = field(default_factory=list)  # per CPU second of this process
    detail: str = ""
    statements: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def export_rate(archive: Archive, runs: int) -> Rate:
    """The latest version of every article as JSON Lines to /dev/null, as `export` writes it."""
    rate = Rate("export (latest versions)", "versions/s")
    for run in range(runs):
        with open(os.devnull, "w", encoding="utf-8") as out:
            statements: dict[str, tuple[Any, ...]] = {}
            with recording(archive.engine, statements) if run == 0 else _nothing():
                started, cpu = time.perf_counter(), time.process_time()
                count = write_jsonl(iter_record_json(archive), out)
                seconds, used = time.perf_counter() - started, time.process_time() - cpu
        rate.statements.update(statements)
        rate.values.append(count / seconds)
        rate.cpu.append(count / used)
        rate.detail = f"{count:,} versions in {seconds:.1f} s"
    return rate


def verify_rate(archive: Archive, runs: int, payload_bytes: int) -> Rate:
    """The whole of `verify`, as MB (10⁶ bytes) of payload, uncompressed, per second."""
    rate = Rate("verify", "MB/s")
    for run in range(runs):
        statements: dict[str, tuple[Any, ...]] = {}
        with recording(archive.engine, statements) if run == 0 else _nothing():
            started, cpu = time.perf_counter(), time.process_time()
            report = verify(archive)
            seconds, used = time.perf_counter() - started, time.process_time() - cpu
        rate.statements.update(statements)
        rate.values.append(payload_bytes / 1e6 / seconds)
        rate.cpu.append(payload_bytes / 1e6 / used)
        rate.detail = (
            f"{payload_bytes / 1e6:,.0f} MB of payload in {seconds:.1f} s; {report.blobs:,} blobs, "
            f"{report.versions:,} versions, {report.captures:,} captures; "
            f"{'all intact' if report.ok else f'{len(report.problems)} problems'}"
        )
    return rate


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def payload_bytes(db: Path) -> int:
    with sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True) as connection:
        return int(connection.execute("SELECT coalesce(sum(size), 0) FROM blob").fetchone()[0])


def commands(db: Path, draws: Draws, runs: int) -> list[tuple[str, float]]:
    """Whole `newsarchive` invocations (fresh processes), medians of `runs` each."""
    day = draws.days[0].isoformat()
    url, at = draws.moments[0]
    invocations = [
        ("newsarchive --version", ["--version"]),
        ("newsarchive history URL", ["history", draws.pages[0], "--db", str(db)]),
        ("newsarchive show URL --at T", ["show", url, "--at", at.isoformat(), "--db", str(db)]),
        ("newsarchive diff URL", ["diff", draws.changed[0], "--db", str(db)]),
        (
            "newsarchive changes (one day)",
            ["changes", "--since", day, "--until", day, "--db", str(db)],
        ),
    ]
    found = []
    for name, argv in invocations:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "newsarchive", *argv], capture_output=True, text=True
            )
            times.append((time.perf_counter() - started) * 1000)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed: {done.stderr[-500:]}")
        found.append((name, statistics.median(times)))
    return found


_PLACEHOLDERS = re.compile(r"\?(?:, \?)+")
_COLUMNS = re.compile(r"^SELECT (?:DISTINCT )?([^()]{60,}?) FROM ")


def _shown(statement: str) -> str:
    """A statement on one line, IN lists and long column lists folded."""
    line = _PLACEHOLDERS.sub("?, …", " ".join(statement.split()))
    columns = _COLUMNS.match(line)
    if columns:
        line = f"{line[: columns.start(1)]}<{columns.group(1).count(',') + 1} columns>{line[columns.end(1) :]}"
    return line


def explain(engine: Engine, statements: dict[str, tuple[Any, ...]]) -> Iterator[str]:
    """Each distinct statement (IN lists folded) on one line, then its plan as SQLite prints it."""
    seen = set()
    with engine.connect() as connection:
        for statement, parameters in statements.items():
            shown = _shown(statement)
            if shown in seen or not shown.upper().startswith(("SELECT", "WITH")):
                continue
            seen.add(shown)
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            yield f"  {shown}"
            depth: dict[int, int] = {0: 0}
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                yield f"    {'  ' * (depth[node] - 1)}{detail}"


def report(
    archive: Archive,
    timings: dict[str, Timing],
    rates: list[Rate],
    invocations: list[tuple[str, float]],
    draws: Draws,
    db: Path,
) -> None:
    counts = ", ".join(f"{n:,} {table}s" for table, n in draws.counts.items())
    print(f"\n{db}: {counts}")
    print(
        f"load average (1 min) at the start {draws.load:.1f}, at the end {os.getloadavg()[0]:.1f}\n"
    )
    base = statistics.median(timings[PROBES[0].name].times)
    header = (
        f"{'query':<{WIDTH}} {'median ms':>10} {'CPU ms':>8} {'p90 ms':>9} {'× base':>7} {'floor':>9}"
        "  verdict"
    )
    print(header)
    print("-" * len(header))
    for probe in PROBES:
        timing = timings[probe.name]
        median, cpu = statistics.median(timing.times), statistics.median(timing.cpu)
        verdict = _verdict(median, cpu, probe.floor_ms)
        floor = f"≤ {probe.floor_ms:.0f} ms" if probe.floor_ms else "-"
        returned = statistics.median(timing.sizes)
        print(
            f"{probe.name:<{WIDTH}} {median:>10.2f} {cpu:>8.2f} {_p90(timing.times):>9.2f} "
            f"{median / base:>7.1f} {floor:>9}  {verdict}  "
            f"({len(timing.times)} samples; median size {returned:,.0f})"
        )
    for rate in rates:
        median, cpu = statistics.median(rate.values), statistics.median(rate.cpu)
        floor = ""
        if rate.unit == "versions/s":
            floor = f"  floor ≥ 20,000 versions/s: {_verdict(-median, -cpu, -20_000)}"
        print(
            f"{rate.name:<{WIDTH}} {median:>10,.0f} {rate.unit}, {cpu:,.0f} "
            f"{rate.unit.split('/')[0]} per CPU second "
            f"(median of {len(rate.values)}; last: {rate.detail}){floor}"
        )
    if invocations:
        base = invocations[0][1]
        print("\nwhole commands (fresh processes), medians:")
        for name, ms in invocations:
            print(f"  {name:<32} {ms:>8.0f} ms  {ms / base:>5.2f}× --version")
    print("\nEXPLAIN QUERY PLAN of each statement, per query:")
    for probe in PROBES:
        print(f"{probe.name}:")
        for line in explain(archive.engine, timings[probe.name].statements):
            print(line)
    for rate in rates:
        print(f"{rate.name}:")
        for line in explain(archive.engine, rate.statements):
            print(line)


def _verdict(wall: float, cpu: float, floor: float) -> str:
    """Against the floor: in wall time, or only in CPU time (the wall time waited for a core
    on a loaded machine), or neither."""
    if not floor:
        return ""
    if wall <= floor:
        return "meets"
    return "meets in CPU time" if cpu <= floor else "MISSES"


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def open_bench_archive(db: Path, upgrade: bool) -> Archive:
    """The archive read-only, as the commands open it; upgraded first if asked."""
    try:
        return open_archive(str(db), create=False, read_only=True)
    except SchemaTooOld:
        if not upgrade:
            raise SystemExit(f"{db} has an older schema: give --upgrade to upgrade it") from None
    started = time.perf_counter()
    old, new = upgrade_archive(str(db))
    print(f"upgraded {db} from {old} to {new} in {time.perf_counter() - started:.0f} s")
    return open_archive(str(db), create=False, read_only=True)


def schedule_once(db: Path, now: datetime) -> None:
    """Each article's next check, as a crawl within a budget works them out at its end (the
    budget planner's plans read them): for every article, the first time (a built archive has
    none), timed and printed."""
    archive = open_archive(str(db), create=False)
    try:
        with archive.engine.connect() as connection:
            unscheduled = connection.scalar(
                select(func.count()).where(
                    Page.kind == PageKind.ARTICLE.value, Page.next_check_at.is_(None)
                )
            )
        if not unscheduled:
            return
        profile, options = _shipped()
        steady = replace(options, planner="budget", floor=KEPT_UP)
        wall, cpu = time.perf_counter(), time.process_time()
        weighed = schedule_next_checks(archive, profile, steady, now, now)
        print(
            f"next checks worked out for {weighed:,} articles (as a crawl within a budget does "
            f"at its end, the first time): {time.perf_counter() - wall:.1f} s, "
            f"{time.process_time() - cpu:.1f} s of CPU",
            flush=True,
        )
    finally:
        archive.close()


def run(options: argparse.Namespace, db: Path) -> None:
    archive = open_bench_archive(db, options.upgrade)
    try:
        rng = random.Random(options.seed)
        draws = draw(db, rng, WARMUP + options.samples)
        schedule_once(db, draws.nows[0])
        timings = measure(
            archive, draws, options.samples, options.planner_samples, options.unlimited_samples
        )
        rates = [export_rate(archive, options.export_runs)]
        if options.verify_runs:
            rates.append(verify_rate(archive, options.verify_runs, payload_bytes(db)))
        invocations = commands(db, draws, options.command_runs) if options.command_runs else []
        report(archive, timings, rates, invocations, draws, db)
    finally:
        archive.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", type=Path, help="a synthetic archive (default: build one into a temp folder)"
    )
    parser.add_argument("--upgrade", action="store_true", help="upgrade an older --db first")
    parser.add_argument("--samples", type=int, default=200, help="per query")
    parser.add_argument("--planner-samples", type=int, default=20)
    parser.add_argument(
        "--unlimited-samples", type=int, default=5, help="the budget planner with no limit"
    )
    parser.add_argument("--export-runs", type=int, default=3)
    parser.add_argument("--verify-runs", type=int, default=1, help="0: none")
    parser.add_argument("--command-runs", type=int, default=3, help="0: none")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pages", type=int, default=200_000, help="for the archive built")
    parser.add_argument("--versions", type=int, default=400_000, help="for the archive built")
    parser.add_argument("--captures", type=int, default=1_000_000, help="for the archive built")
    parser.add_argument("--workers", type=int, default=None, help="for the archive built")
    options = parser.parse_args()
    if options.db is not None:
        run(options, options.db)
        return
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        from bench.synthetic import build

        db = Path(folder) / "synthetic.db"
        summary = build(
            db,
            pages=options.pages,
            versions=options.versions,
            captures=options.captures,
            seed=options.seed,
            workers=options.workers,
            progress=lambda line: print(line, flush=True),
        )
        print("\n".join(summary.lines()), flush=True)
        run(options, db)


if __name__ == "__main__":
    main()
