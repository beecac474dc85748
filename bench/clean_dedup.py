"""Issue 4's benchmark: cleaning, validation and deduplication on 20,000 replica articles.

Prints the time per article of each step as a ratio to the extraction step alone, measured in the
same run on the same pages; then the time of one near-duplicate lookup with 2,000 and with 20,000
articles archived (lightly re-edited copies of archived articles, looked up through the MinHash
band index), and the ratio between the two, which shows how lookup cost grows with the archive.

    python -m bench.clean_dedup [--articles 20000] [--small 2000] [--lookups 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from archive import dedup
from archive.database import open_archive
from archive.records import Extracted, Observation, Outcome, PageKind
from archive.store import Store
from archive.text import similarity
from archive.text.clean import boilerplate_share
from crawler.extract.article import ArticleExtractor
from crawler.extract.record import clean_record
from crawler.extract.validate import Validation
from crawler.sites.profile import load_profile
from crawler.sites.urls import SiteUrls
from tests.replica.process import ReplicaProcess

NOW = datetime(2025, 12, 1, 15, tzinfo=UTC)


def fetch_pages(site: ReplicaProcess, articles: list[dict]) -> list[tuple[bytes, str | None, str]]:
    def get(article: dict) -> tuple[bytes, str | None, str]:
        with urllib.request.urlopen(site.url(article["path"])) as response:
            return response.read(), response.headers.get("Content-Type"), article["url"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(get, articles))


def timed(step, items):
    started = time.perf_counter()
    results = [step(item) for item in items]
    return results, (time.perf_counter() - started) / max(1, len(items))


def observation(url: str, extracted: Extracted) -> Observation:
    return Observation(
        site="chencang",
        site_origin="http://www.chencang.gov.cn",
        url=url,
        kind=PageKind.ARTICLE,
        requested_url=url,
        final_url=url,
        fetched_at=NOW,
        verdict=Outcome.CONTENT,
        status=200,
        payload=url.encode(),
        extracted=extracted,
    )


class IndexTimer:
    """Accumulates the time the archive spends in deduplication (index_version) while recording."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.original = dedup.index_version

    def __enter__(self) -> IndexTimer:
        def measured(*args, **kwargs):
            started = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started

        dedup.index_version = measured
        return self

    def __exit__(self, *exc) -> None:
        dedup.index_version = self.original


def lookup_time(archive, bodies: list[str]) -> float:
    """Median seconds of one near-duplicate lookup (candidates from the band index, measured)."""
    times = []
    with archive.engine.connect() as connection:
        for body in bodies:
            fingerprint = similarity.fingerprint("", body)
            started = time.perf_counter()
            dedup._near(connection, -1, body, fingerprint)
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def edited(body: str) -> str:
    paragraphs = body.split("\n")
    return "\n".join(
        [*paragraphs, "区相关部门负责同志参加会议并作了交流发言，会议还对下一步工作作了具体安排。"]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20000)
    parser.add_argument("--small", type=int, default=2000)
    parser.add_argument("--lookups", type=int, default=200)
    options = parser.parse_args()
    profile = load_profile("chencang")
    extractor = ArticleExtractor(profile, SiteUrls(profile))
    validator = Validation(datetime(1990, 1, 1), 0.5)
    with ReplicaProcess(articles=options.articles) as site:
        articles = [a for a in site.truth()["articles"] if a["status"] == 200]
        pages = fetch_pages(site, articles)
    readings, extract_s = timed(lambda page: extractor.read(*page), pages)
    records = [
        (page[2], reading.extracted)
        for page, reading in zip(pages, readings, strict=True)
        if reading.extracted
    ]
    cleaned, clean_s = timed(lambda item: clean_record(item[1].record, profile), records)
    shares = [
        boilerplate_share(item[1].record.body, profile.article.boilerplate_lines)
        for item in records
    ]
    _, validate_s = timed(
        lambda pair: validator.problem(pair[0].record, pair[1], NOW),
        list(zip(cleaned, shares, strict=True)),
    )
    with tempfile.TemporaryDirectory() as folder:
        archive = open_archive(str(Path(folder) / "bench.db"))
        store = Store(archive)
        small_lookups = large_lookups = 0.0
        queries = [edited(c.record.body) for c in cleaned[: options.lookups]]
        with IndexTimer() as index:
            started = time.perf_counter()
            for number, ((url, extracted), clean) in enumerate(
                zip(records, cleaned, strict=True), 1
            ):
                store.record(
                    observation(
                        url, Extracted(clean.record, extracted.provenance, extracted.parser_version)
                    )
                )
                if number == options.small:
                    small_lookups = lookup_time(archive, queries)
            record_s = (time.perf_counter() - started) / len(records)
        large_lookups = lookup_time(archive, queries)
        dedup_s = index.seconds / len(records)
        archive.close()
    print(
        f"{len(records)} articles; per article, as a ratio to extraction ({extract_s * 1000:.2f} ms):"
    )
    for name, seconds in (
        ("cleaning", clean_s),
        ("validation", validate_s),
        ("deduplication", dedup_s),
    ):
        print(f"  {name:<14} {seconds / extract_s:5.2f}")
    together = clean_s + validate_s + dedup_s
    print(
        f"  {'all three':<14} {together / extract_s:5.2f}   (throughput {1 / together:,.0f} articles/s vs extraction {1 / extract_s:,.0f}/s)"
    )
    print(f"  (the whole archive write, dedup included: {record_s / extract_s:.2f})")
    print(
        f"near-duplicate lookup: {small_lookups * 1000:.2f} ms at {options.small:,} articles, "
        f"{large_lookups * 1000:.2f} ms at {len(records):,}: ratio {large_lookups / small_lookups:.2f} "
        f"for {len(records) / options.small:.0f}x the articles"
    )
    print(
        json.dumps(
            {
                "extract_ms": extract_s * 1000,
                "clean_ms": clean_s * 1000,
                "validate_ms": validate_s * 1000,
                "dedup_ms": dedup_s * 1000,
            }
        )
    )


if __name__ == "__main__":
    main()
