"""The generic reader's and reparse's speed, as ratios to the profile path measured in the same run.

1. Extraction per page: N article pages rendered by the replica (in this process, no HTTP) are
   read by the profile path (ArticleExtractor with the chencang profile), by the generic reader
   (crawler.extract.generic.read_generic), and by the profile path again on the replica's
   re-platformed template, where the profile's rules miss and the generic fallback fills fields
   in. Each round times every page of each reader, in alternating order; the medians of the
   rounds are compared (issue floor: generic ≤ 3× the profile path).
2. Reparse: a replica of N articles is crawled into a new SQLite archive, then
   `newsarchive reparse` re-reads it (in a subprocess) a few times; its pages/s (the run's own
   recorded duration, so not the interpreter's start; the process's wall time too) against
   the profile path's extraction rate from part 1 and the crawl's articles/s. The archive is
   unchanged, so each page is read, cleaned and validated and found unchanged: nothing but the
   run record is written.

Printed, not asserted.

    python -m bench.extraction_speed [--pages 500] [--rounds 5] [--reparses 3]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.extract.article import ArticleExtractor
from crawler.extract.generic import read_generic
from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls
from tests.cli import FAST
from tests.replica import truth
from tests.replica.model import Options
from tests.replica.process import ReplicaProcess
from tests.replica.replatform import PLATFORM, REPLATFORMED, TemplateSettings
from tests.replica.site import Site

HOST = "www.chencang.gov.cn"


@dataclass(frozen=True)
class Page:
    body: bytes
    content_type: str | None
    url: str  # canonical, as the crawler reads it


@dataclass(frozen=True)
class Reader:
    name: str
    read: Callable[[Page], Any]
    pages: list[Page]


# --- part 1: extraction per page


def rendered_pages(articles: int, template: str) -> list[Page]:
    """Day 1's live article pages of a replica of `articles`, in `template`, as served."""
    site = Site(Options(articles=articles), templates=TemplateSettings(article_template=template))
    found = []
    for article in truth.site_truth(site.timeline, 1)["articles"]:
        if article["status"] != 200:
            continue
        response = site.get(article["path"], {}, HOST)
        content_type = dict(response.headers).get("Content-Type")
        found.append(Page(response.body, content_type, article["url"]))
    return found


def readers(articles: int) -> list[Reader]:
    """The three readers; each gets the page's Content-Type, as a crawl has it."""
    profile = load_profile("chencang")
    extractor = ArticleExtractor(profile, SiteUrls(profile))
    platform, replatformed = (
        rendered_pages(articles, PLATFORM),
        rendered_pages(articles, REPLATFORMED),
    )

    def by_profile(page: Page) -> Any:
        return extractor.read(page.body, page.content_type, page.url)

    def generic(page: Page) -> Any:
        return read_generic(page.body, page.url, page.content_type)

    return [
        Reader("profile path", by_profile, platform),
        Reader("generic reader", generic, platform),
        Reader("profile path, re-platformed", by_profile, replatformed),
    ]


def timed_pass(reader: Reader) -> tuple[list[float], list[Any]]:
    """CPU seconds per page of one pass over the reader's pages, and what it read. (This
    process's CPU time, not the wall clock: the machine is shared, and reading is CPU work.)"""
    gc.collect()  # no reader pays for the garbage of the one before
    times, results = [], []
    for page in reader.pages:
        started = time.process_time()
        results.append(reader.read(page))
        times.append(time.process_time() - started)
    return times, results


def warm_up(all_readers: list[Reader], pages: int = 20) -> None:
    """Untimed reads first, so no reader's first round pays for lazy imports and caches."""
    for reader in all_readers:
        for page in reader.pages[:pages]:
            reader.read(page)


def extraction_rounds(
    all_readers: list[Reader], rounds: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[Any]]]:
    """Per reader, the medians over rounds of the per-page median and mean (seconds); and the
    last round's results. Odd rounds run the readers in reverse order."""
    medians: dict[str, list[float]] = {r.name: [] for r in all_readers}
    means: dict[str, list[float]] = {r.name: [] for r in all_readers}
    results: dict[str, list[Any]] = {}
    warm_up(all_readers)
    for number in range(rounds):
        order = all_readers if number % 2 == 0 else all_readers[::-1]
        for reader in order:
            times, results[reader.name] = timed_pass(reader)
            medians[reader.name].append(statistics.median(times))
            means[reader.name].append(statistics.fmean(times))
    figures = {
        name: {"median": statistics.median(medians[name]), "mean": statistics.median(means[name])}
        for name in medians
    }
    return figures, results


def what_was_read(name: str, results: list[Any]) -> str:
    """One phrase: pages with no record, and (profile path) where the fallback filled fields."""
    if name == "generic reader":
        return f"no record on {sum(r is None for r in results)}"
    empty = sum(r.extracted is None for r in results)
    fallback = Counter(
        field
        for r in results
        if r.extracted is not None
        for field in r.extracted.provenance.get("fallback", "").split(",")
        if field
    )
    filled = ", ".join(f"{field} {count}" for field, count in sorted(fallback.items()))
    return f"no record on {empty}; fallback filled: {filled or 'nothing'}"


# --- part 2: reparse against the crawl and the profile path


def newsarchive(db: Path, *args: str) -> tuple[str, float]:
    """`newsarchive ARGS --db DB` in a subprocess: its standard output and wall seconds."""
    command = [sys.executable, "-m", "newsarchive", *args, "--db", str(db)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout, wall


def last_run_seconds(db: Path) -> float:
    """The duration the archive recorded for its latest run (started to finished)."""
    run = json.loads(newsarchive(db, "runs", "--limit", "1", "--json")[0])[0]
    started, finished = run["started_at"], run["finished_at"]
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


def crawled_archive(articles: int, db: Path) -> dict[str, Any]:
    """A first crawl of a replica of `articles` into `db`: its --json summary, plus seconds."""
    with ReplicaProcess(articles=articles) as site:
        output, _ = newsarchive(db, "crawl", "--base-url", site.base_url, *FAST, "--json")
    summary = json.loads(output)
    summary["seconds"] = last_run_seconds(db)
    return summary


def reparse_runs(db: Path, runs: int) -> dict[str, Any]:
    """Medians over `runs` reparses of the archive: pages read, run seconds and wall seconds;
    and the last one's outcomes."""
    shapes, recorded, walls = [], [], []
    for _ in range(runs):
        output, wall = newsarchive(db, "reparse", "--json")
        shapes.append(json.loads(output))
        recorded.append(last_run_seconds(db))
        walls.append(wall)
    return {
        "read": shapes[-1]["read"],
        "outcomes": shapes[-1]["outcomes"],
        "seconds": statistics.median(recorded),
        "wall": statistics.median(walls),
    }


# --- the report


def print_extraction(
    figures: dict[str, dict[str, float]], results, pages: int, rounds: int
) -> None:
    print(
        f"{pages} replica article pages per reader, rounds: {rounds} (readers in alternating "
        "order); per page, the median of the rounds:"
    )
    for name, figure in figures.items():
        print(
            f"  {name:<28} {figure['median'] * 1000:6.2f} ms median, "
            f"{figure['mean'] * 1000:6.2f} ms mean  ({what_was_read(name, results[name])})"
        )
    profile, generic = figures["profile path"], figures["generic reader"]
    replatformed = figures["profile path, re-platformed"]
    print(
        f"generic / profile: {generic['median'] / profile['median']:.2f}  "
        f"(by means {generic['mean'] / profile['mean']:.2f}; issue floor: at most 3)"
    )
    print(
        f"re-platformed profile path / profile: {replatformed['median'] / profile['median']:.2f}  "
        f"(by means {replatformed['mean'] / profile['mean']:.2f})"
    )


def reparse_outcomes(outcomes: dict[str, int], read: int) -> str:
    """What the pages' outcomes say was measured."""
    if outcomes == {"unchanged": read}:
        return "all unchanged: each read, cleaned and validated, nothing written but the run"
    listed = ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items()))
    return f"outcomes: {listed or 'none'} (unreadable or refused pages are not counted there)"


def print_reparse(reparse: dict[str, Any], crawl: dict[str, Any], extraction_rate: float) -> None:
    rate = reparse["read"] / reparse["seconds"]
    wall_rate = reparse["read"] / reparse["wall"]
    crawl_rate = crawl["new"] / crawl["seconds"]
    print(
        f"reparse of the crawled archive: {reparse['read']} stored answers read; "
        f"{reparse_outcomes(reparse['outcomes'], reparse['read'])}"
    )
    print(
        f"  reparse        {rate:7,.0f} pages/s  (median run {reparse['seconds']:.2f} s as the "
        f"archive recorded it; {wall_rate:,.0f} pages/s by the process's wall time, "
        f"{reparse['wall']:.2f} s)"
    )
    print(f"  profile path   {extraction_rate:7,.0f} pages/s  (part 1, by the mean)")
    print(
        f"  crawl          {crawl_rate:7,.0f} articles/s  ({crawl['new']} articles, "
        f"{crawl['requested']} requests in {crawl['seconds']:.2f} s as the archive recorded it)"
    )
    print(
        f"reparse / profile extraction: {rate / extraction_rate:.2f}  "
        f"(by wall time {wall_rate / extraction_rate:.2f})"
    )
    print(f"reparse / crawl: {rate / crawl_rate:.2f}  (by wall time {wall_rate / crawl_rate:.2f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500, help="articles (at least 40)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reparses", type=int, default=3)
    options = parser.parse_args()
    all_readers = readers(options.pages)
    figures, results = extraction_rounds(all_readers, options.rounds)
    print_extraction(figures, results, len(all_readers[0].pages), options.rounds)
    extraction_rate = 1 / figures["profile path"]["mean"]
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.db"
        crawl = crawled_archive(options.pages, db)
        reparse = reparse_runs(db, options.reparses)
    print_reparse(reparse, crawl, extraction_rate)
    medians = {name: figure["median"] * 1000 for name, figure in figures.items()}
    print(
        json.dumps(
            {
                "profile_ms": medians["profile path"],
                "generic_ms": medians["generic reader"],
                "replatformed_ms": medians["profile path, re-platformed"],
                "profile_pages_per_s": extraction_rate,
                "reparse_pages_per_s": reparse["read"] / reparse["seconds"],
                "crawl_articles_per_s": crawl["new"] / crawl["seconds"],
            }
        )
    )


if __name__ == "__main__":
    main()
