"""Scrapy extensions: a live progress display for crawls run on a terminal."""

from __future__ import annotations

import time
from typing import Self

from rich.console import Console
from rich.live import Live
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from archive.records import Outcome
from crawler.run.summary import STATS, RunSummary

REFRESH_SECONDS = 0.5


class ProgressDisplay:
    """One line on stderr, redrawn twice a second while the crawl runs: list pages read, articles
    done and queued, the rate, and errors. On when NEWSARCHIVE_PROGRESS is (the CLI turns it on
    when stderr is a terminal); it leaves nothing behind, the summary line follows."""

    def __init__(self, crawler: Crawler, console: Console) -> None:
        self.crawler = crawler
        self.live = Live(console=console, transient=True, auto_refresh=False)
        self.ticker = task.LoopingCall(self.refresh)
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NEWSARCHIVE_PROGRESS"):
            raise NotConfigured
        display = cls(crawler, Console(stderr=True))
        crawler.signals.connect(display.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(display.spider_closed, signal=signals.spider_closed)
        return display

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.live.start()
        self.ticker.start(REFRESH_SECONDS)

    def spider_closed(self) -> None:
        if self.ticker.running:
            self.ticker.stop()
        self.live.stop()

    def refresh(self) -> None:
        self.live.update(self.line(), refresh=True)

    def line(self) -> Text:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        done = sum(int(stats.get(f"{STATS}/outcome/{o.value}", 0)) for o in Outcome)
        waiting = int(stats.get("scheduler/enqueued", 0)) - int(stats.get("scheduler/dequeued", 0))
        engine = self.crawler.engine
        in_flight = len(engine.downloader.active) if engine is not None else 0
        errors = RunSummary.from_stats(stats).errors
        rate = done / max(time.monotonic() - self.started, 1e-9)
        text = Text(f"{self.crawler.spider.name if self.crawler.spider else ''}: ")
        text.append(f"{int(stats.get(f'{STATS}/list_pages', 0))} list pages · ")
        text.append(f"{done} articles done, {waiting + in_flight} queued · {rate:.1f}/s · ")
        text.append(f"{errors} errors", style="bold red" if errors else "")
        return text
