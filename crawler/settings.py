"""Scrapy settings for newsarchive; a site's politeness lives in its profile's [settings] table."""

BOT_NAME = "newsarchive"

# One generic spider, one class per site profile: `scrapy crawl chencang`, `scrapy list`.
SPIDER_LOADER_CLASS = "crawler.spiderloader.ProfileSpiderLoader"
SPIDER_MODULES: list[str] = []
NEWSPIDER_MODULE = "crawler.spiders"
# `scrapy crawl` exits with newsarchive's codes (75 locked or blocked, 74 storage, 130 signal…).
COMMANDS_MODULE = "crawler.commands"

USER_AGENT = (
    "newsarchive/0.1 (archive of public government news; +https://pypi.org/project/newsarchive/)"
)
ROBOTSTXT_OBEY = True
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Freshness is decided by the archive, never by a heuristic cache (docs/decisions.md).
HTTPCACHE_ENABLED = False
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# Scrapy starts this many worker tasks for every response's output; an article yields one item
# and a list page a few dozen requests, so the default (100) costs more than it overlaps.
CONCURRENT_ITEMS = 8

# clean → validate → archive; duplicates and near-duplicates are found in the archive's write
# transaction, where the index is (see archive.dedup).
ITEM_PIPELINES = {
    "crawler.pipelines.clean.CleanPipeline": 100,
    "crawler.pipelines.validate.ValidatePipeline": 200,
    "crawler.pipelines.archive.ArchivePipeline": 900,
}
LOG_FORMATTER = "crawler.logformatter.NewsLogFormatter"
# A live progress line on stderr; `newsarchive crawl` turns it on when stderr is a terminal.
EXTENSIONS = {
    "crawler.extensions.ProgressDisplay": 500,
    "crawler.extensions.CollectorTuning": 600,
}
NEWSARCHIVE_PROGRESS = False
# The garbage collector once the spider opens: start-up's objects frozen, a collection after this
# many new objects (Python's default is 700; 0 leaves the collector as Python sets it). Each
# young collection of the crawler's walks tens of milliseconds of objects that are not garbage:
# on a 5,000-article first crawl, 1.3 CPU seconds at 50,000, 0.1 at 200,000, and the garbage
# collected at the end as little (900 objects).
NEWSARCHIVE_GC_THRESHOLD = 200_000

# Requests are built from the profile and the list pages, never by following arbitrary links: depth,
# URL length bookkeeping have nothing to do, and each layer costs every response.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
}
# Retries back off and honour Retry-After; no credentials, cookies or HTTP cache are used.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
}
# A download slot is the process's, not one crawler's: the sites of one platform crawled side by
# side (`newsarchive crawl --all`) share the platform's politeness as one crawler's requests do.
DOWNLOADER = "crawler.downloader.SharedSlotDownloader"
# Requests already queued when the host turns out to block the crawler are never sent.
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.PoliteHTTPDownloadHandler",
    "https": "crawler.handlers.PoliteHTTPDownloadHandler",
}
RETRY_BACKOFF_BASE = 1.0
RETRY_BACKOFF_MAX = 60.0
RETRY_AFTER_MAX = 300.0
# An anti-bot challenge (403, 412, 521) on a list page stops the crawl (exit 75), and so do this
# many in a row on articles (one article behind a challenge is recorded like any page).
NEWSARCHIVE_STOP_AFTER_CHALLENGES = 3
# A page bigger than this is not downloaded (Scrapy's cap; a 10 MB article is not an article).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# Validation: an article dated before this, or more than a day after the crawl, is not kept as a
# version; nor is one whose body is more than this share boilerplate.
NEWSARCHIVE_EARLIEST_DATE = "1990-01-01"
NEWSARCHIVE_MAX_BOILERPLATE = 0.5
# Drift: a run whose profile's body or title rule missed on more than this share of the article
# pages it read, and on at least NEWSARCHIVE_DRIFT_MIN_PAGES of them, is "degraded" (exit 3) and
# says which rule in one sentence; `changes` lists it as a drift event.
NEWSARCHIVE_DRIFT_SHARE = 0.10
NEWSARCHIVE_DRIFT_MIN_PAGES = 5

# Processes that read article pages beside the crawler: "auto" is one per core beyond the first
# (at most 4); 0 reads them in the crawler process. A single `fetch` always reads inline.
NEWSARCHIVE_EXTRACT_WORKERS = "auto"
# Pages are committed by one writer process beside the crawler (False: by the crawler itself).
NEWSARCHIVE_WRITER_PROCESS = True
# Those processes start once a crawl has read (or written) this many pages; until then, and in a
# crawl that never gets there (a daily increment), the crawler does the work itself.
NEWSARCHIVE_WORKERS_AFTER = 50
# Worker processes hand results back through asyncio.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# Conditional revisits decide freshness; a body cut short is kept (as a truncated capture).
DOWNLOAD_FAIL_ON_DATALOSS = False

# Which known articles a crawl re-checks (README: "Re-checks within a daily budget"). "budget":
# NEWSARCHIVE_DAILY_BUDGET checks a day, spent where changes are likely (rates learnt from the
# archive's checks by column, age and page), above a round-robin floor; "schedule": by age alone,
# the most overdue first, within the same budget.
NEWSARCHIVE_REVISIT_PLANNER = "budget"
# Re-checks a day: "auto" is what the profile's DOWNLOAD_DELAY allows in a day, shared by the
# platform's enabled sites, less the list pages and new articles a day (no limit without a
# delay); or a number. A crawl spends the share of it the time since the last crawl is of a day.
NEWSARCHIVE_DAILY_BUDGET = "auto"
# The longest an article goes unchecked: "auto" derives it from the budget (every article once
# in N / (budget / 2) days: half the budget goes round); the schedule's "auto" is 30 days.
NEWSARCHIVE_REVISIT_FLOOR = "auto"
# An article a day old or more is not checked again sooner than this (younger: every crawl).
NEWSARCHIVE_REVISIT_MIN_INTERVAL = "6h"
# The schedule planner: AGE=INTERVAL steps by age since publication or last change (the floor
# above is its interval for anything older).
NEWSARCHIVE_REVISIT_STEPS = "1d=0,7d=6h,30d=1d,365d=7d"
# At most this many re-checks per run, in the planner's order, when fewer than the run's share of
# the budget (None: the budget alone).
NEWSARCHIVE_MAX_REVISITS = None
# Every list page is walked once in this period, spread over the crawls in between (each walks
# the share of the pages the time since the last crawl is of the period): only list pages can
# tell that an article was taken off the list. 0 walks every list page on every crawl.
NEWSARCHIVE_LIST_WALK_EVERY = "7d"
# A file (image, attachment) the archive holds is asked for again, with its article's check,
# only once its last capture is this old: files are seldom replaced at the same URL, and
# re-checking them with every article check made 40% of a quiet day's captures. 0: every time.
NEWSARCHIVE_FILE_RECHECK_EVERY = "7d"
# A page is gone after missing (404, 410, soft 404) at two checks at least this far apart.
NEWSARCHIVE_GONE_AFTER = "24h"
# The crawl's clock: None is real time; an ISO 8601 instant freezes it (tests, replays).
NEWSARCHIVE_NOW = None

# Incremental crawls stop paging after this many list pages of known articles in a row
# (None: the profile's `stop_after_known_pages`).
NEWSARCHIVE_STOP_AFTER_KNOWN_PAGES = None

# The archive: a SQLAlchemy URL or a path; None means $NEWSARCHIVE_DB, then the default file.
NEWSARCHIVE_DB = None

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
