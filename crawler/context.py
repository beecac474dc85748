"""How newsarchive's Scrapy components reach the crawl's context (crawler.run.context)."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from crawler.run.context import CrawlContext


def crawl_context(crawler: Crawler) -> CrawlContext:
    """The context the crawl's spider set up; NotConfigured (the component stays off) when the
    spider is not newsarchive's."""
    context = getattr(crawler.spider, "context", None)
    if not isinstance(context, CrawlContext):
        raise NotConfigured("newsarchive's components work with its site spiders only")
    return context
