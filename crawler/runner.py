"""Running site spiders in this process, one or several side by side, and reading what happened."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from archive.records import Recorded
from crawler.run.summary import STATS, RunSummary


class CrawlNotStarted(RuntimeError):
    """Scrapy could not create or open the spider."""


@dataclass(frozen=True)
class CrawlResult:
    summary: RunSummary
    last_recorded: Recorded | None
    run_id: int | None

    @classmethod
    def of(cls, crawler: Crawler) -> CrawlResult:
        """What a finished crawl did, from its stats; CrawlNotStarted if it never ran."""
        try:
            stats = crawler.stats.get_stats()
        except RuntimeError:  # the crawl never started; Scrapy has logged why
            raise CrawlNotStarted(
                f"The {crawler.spidercls.name} crawl could not start; the log above says why."
            ) from None
        return cls(
            summary=RunSummary.from_stats(stats),
            last_recorded=stats.get(f"{STATS}/last_recorded"),
            run_id=stats.get(f"{STATS}/run_id"),
        )


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """crawler.settings, then `overrides` at command-line priority (above a profile's settings)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_spider(site: str, settings: Settings, **spider_arguments: Any) -> CrawlResult:
    """Crawl `site` to the end (one Twisted reactor per process) and return what happened.
    (LOG_INSTALL_ROOT_HANDLER False: the caller has set up logging already.)"""
    result = run_spiders({site: spider_arguments}, settings)[site]
    if isinstance(result, CrawlNotStarted):
        raise result
    return result


def run_spiders(
    crawls: Mapping[str, Mapping[str, Any]], settings: Settings
) -> dict[str, CrawlResult | CrawlNotStarted]:
    """Crawl every site of `crawls` (its spider arguments) side by side in this process, each as
    a crawler of its own (its own run, lock, stats), until the last one ends; what each did, or
    why it could not start. One site's failure never stops another's crawl (a signal stops all).
    """
    process = CrawlerProcess(settings)
    crawlers = {}
    for site, arguments in crawls.items():
        crawlers[site] = crawler = process.create_crawler(site)
        process.crawl(crawler, **{k: v for k, v in arguments.items() if v is not None})
    process.start()
    return {site: _outcome(crawler) for site, crawler in crawlers.items()}


def _outcome(crawler: Crawler) -> CrawlResult | CrawlNotStarted:
    try:
        return CrawlResult.of(crawler)
    except CrawlNotStarted as exc:
        return exc
