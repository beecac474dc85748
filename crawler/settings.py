"""Scrapy settings for newsarchive; a site's politeness lives in its profile's [settings] table."""

BOT_NAME = "newsarchive"

# One generic spider, one class per site profile: `scrapy crawl chencang`, `scrapy list`.
SPIDER_LOADER_CLASS = "crawler.spiderloader.ProfileSpiderLoader"
SPIDER_MODULES: list[str] = []
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    "newsarchive/0.1 (archive of public government news; +https://pypi.org/project/newsarchive/)"
)
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Freshness is decided by the archive, never by a heuristic cache (see USERS.md).
HTTPCACHE_ENABLED = False
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# Scrapy starts this many worker tasks for every response's output; an article yields one item
# and a list page a few dozen requests, so the default (100) costs more than it overlaps.
CONCURRENT_ITEMS = 8

ITEM_PIPELINES = {
    "crawler.pipelines.archive.ArchivePipeline": 900,
}

# Processes that read article pages beside the crawler: "auto" is one per core beyond the first
# (at most 4); 0 reads them in the crawler process. A single `fetch` always reads inline.
NEWSARCHIVE_EXTRACT_WORKERS = "auto"
# Pages are committed by one writer process beside the crawler (False: by the crawler itself).
NEWSARCHIVE_WRITER_PROCESS = True
# Worker processes hand results back through asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Incremental crawls stop paging after this many list pages of known articles in a row
# (None: the profile's `stop_after_known_pages`).
NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES = None

# The archive: a SQLAlchemy URL or a path; None means $NEWSARCHIVE_DB, then the default file.
NEWSARCHIVE_DB = None

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
