"""The commands that fetch: crawl a site's column, fetch one page, re-check archived pages."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

from crawler.run.context import CrawlRequest, check_request
from crawler.run.exits import EXIT_USAGE, CrawlRefused
from crawler.sites.profile import ProfileError, SiteProfile, generic_name, load_profile
from crawler.sites.resolve import copied_article, profile_for
from crawler.sites.urls import UrlError, check_http
from newsarchive.cli.base import Failed, site_profile
from newsarchive.cli.options import (
    db_option,
    fetch_options,
    json_option,
    output_options,
    settings_option,
)
from newsarchive.cli.output import Output
from newsarchive.cli.render import recorded_json, recorded_line
from newsarchive.cli.sitecrawls import (
    check_sites,
    chosen_sites,
    crawl_settings,
    run_sites,
    site_base_urls,
)

if TYPE_CHECKING:
    from crawler.runner import CrawlResult


@click.command()
@click.argument("sites", nargs=-1, metavar="[SITE]...")
@click.option(
    "--all",
    "all_sites",
    is_flag=True,
    help="Every enabled site profile with a news column (newsarchive sites lists them).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Audit: every list page, every article re-fetched without validators.",
)
@click.option(
    "--max-revisits",
    type=click.IntRange(min=0),
    metavar="N",
    help="Check at most N known articles in this run, in the planner's order (per site).",
)
@click.option(
    "--daily-budget",
    type=click.IntRange(min=0),
    metavar="N",
    help="Re-check at most N known articles a day, in the planner's order (per site; "
    "default: what the site's politeness allows, NEWSARCHIVE_DAILY_BUDGET).",
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="[SITE=]URL",
    help="Send SITE's requests to this origin, same paths (repeatable; SITE= may be left out "
    "when one site is crawled).",
)
@settings_option
@output_options
@db_option
@json_option
def crawl(
    sites: tuple[str, ...],
    all_sites: bool,
    full: bool,
    max_revisits: int | None,
    daily_budget: int | None,
    base_urls: tuple[str, ...],
    overrides: tuple[str, ...],
    quiet: bool,
    log_file: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Crawl each SITE's news column into the archive (SITE defaults to chencang).

    The first crawl walks every list page (a backfill). Later crawls page through the column
    until a whole list page holds only archived articles (every list page once a week, to notice
    unlisted articles), and re-check known articles within a daily budget (--daily-budget; by
    default what the profile's politeness allows): those whose round-robin floor has come, then
    the likeliest to have changed, by the rates the archive's checks show for their column,
    age and own history; and, at once, any a list page shows under a changed title. Each check
    sends If-None-Match and If-Modified-Since. Politeness (robots.txt, one request at a time, a
    delay) comes from the site profile and can be lifted with -s for a local replica.

    Several sites (or --all: every enabled profile with a news column) are crawled side by side
    in this one process, each with its own run, lock, summary line and exit code: one site that
    cannot be reached, is blocked or is locked fails alone. The sites of one platform share its
    politeness (one download slot). With several sites, --base-url takes SITE=URL, and --json
    prints {"exit_code": N, "sites": [one summary per site, with its "exit_code" and "error"]}.

    One crawl of a site into an archive runs at a time (a lock beside the archive). On a terminal
    a progress display shows list pages, articles done and queued, the rate and errors (one site
    only). `scrapy crawl SITE` is the same crawl, with the same lock and exit codes.

    Exit codes: 0 done; 1 finished, but some pages failed; 2 usage or configuration error;
    3 finished, but the profile's rules missed on too many pages (drift); 69 the site could not
    be reached at all; 74 the archive could not be opened or written (disk full); 75 another crawl
    holds the lock, or the host answered with challenges (try later); 130 stopped by Ctrl-C or
    SIGTERM. Several sites exit with the worst of their codes, in this order: 130, 74, 2, 69, 75,
    3, 1, 0.

    \b
    newsarchive crawl
    newsarchive crawl --quiet --log-file ~/newsarchive.log     # from cron
    newsarchive crawl --all --quiet --log-file ~/newsarchive.log
    newsarchive crawl chencang meixian taibai
    newsarchive crawl chencang --max-revisits 500
    newsarchive crawl chencang --daily-budget 2000
    newsarchive crawl chencang --full
    newsarchive crawl --base-url http://127.0.0.1:8000 -s DOWNLOAD_DELAY=0 \\
        -s CONCURRENT_REQUESTS_PER_DOMAIN=16 -s AUTOTHROTTLE_ENABLED=false
    newsarchive crawl chencang meixian --base-url chencang=http://127.0.0.1:8000 \\
        --base-url meixian=http://127.0.0.2:8000 -s DOWNLOAD_DELAY=0
    """
    profiles = chosen_sites(sites, all_sites)
    origins = site_base_urls(base_urls, profiles)
    output = Output(quiet, log_file, as_json)
    arguments = {"full": full or None, "max_revisits": max_revisits, "daily_budget": daily_budget}
    if len(profiles) == 1:
        profile = profiles[0]
        result = _run(
            profile, db_url, overrides, output, base_url=origins[profile.name], **arguments
        )
        output.summary(profile.name, result)
        sys.exit(result.summary.exit_code)
    check_sites(profiles, origins, db_url)
    settings = crawl_settings(output, overrides, db_url, sites=len(profiles))
    sys.exit(output.summaries(run_sites(profiles, origins, settings, **arguments)))


@click.command()
@click.argument("url")
@fetch_options
@db_option
@json_option
def fetch(
    url: str,
    site: str | None,
    base_url: str | None,
    overrides: tuple[str, ...],
    db_url: str | None,
    as_json: bool,
) -> None:
    """Archive one article now, through the same pipelines as a crawl.

    Prints whether it was new, changed or unchanged, and its version number. A URL on another
    host whose path is an archived article's (a mirror site's copy) is kept as a copy of that
    article, repaired, never as a new article; `copies` lists them. Any other page on a host no
    site profile covers (a city or provincial site quoting the district) is read by the generic
    reader and archived as a page of the site `generic-SCHEME-HOST`.

    \b
    newsarchive fetch http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    newsarchive fetch http://jczszy.cn/col8173/col8174/202303/t20230313_142946.html

    Exit codes: 0 archived; 1 the page could not be fetched or read; 2 a URL, site or setting
    is wrong; 65 the response is not an HTML page, or is over the size cap (DOWNLOAD_MAXSIZE,
    10 MB): nothing is archived; 74 the archive could not be written.
    """
    profile = site_profile(site) if site else _site_of(url, base_url, db_url, copies=True)
    result = _run(profile, db_url, overrides, Output(as_json=as_json), base_url=base_url, url=url)
    recorded = result.last_recorded
    if result.summary.unreachable:
        raise Failed(f"{result.summary.unreachable}.", result.summary.exit_code)
    if recorded is None:
        raise Failed(f"{url} could not be fetched or read; the log above says why.")
    click.echo(json.dumps(recorded_json(recorded)) if as_json else recorded_line(recorded))
    sys.exit(result.summary.exit_code)


@click.command()
@click.argument("urls", nargs=-1, required=True)
@fetch_options
@output_options
@db_option
@json_option
def recheck(
    urls: tuple[str, ...],
    site: str | None,
    base_url: str | None,
    overrides: tuple[str, ...],
    quiet: bool,
    log_file: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Check archived articles now, whatever their schedule says.

    Each is requested with the validators of its last capture, so an unchanged page costs a 304;
    a changed one gets a new version. For a page not yet archived, use fetch. It takes the
    site's crawl lock, like crawl, and has crawl's exit codes.

    \b
    newsarchive recheck http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    """
    profile = site_profile(site) if site else _site_of(urls[0], base_url, db_url, copies=False)
    output = Output(quiet, log_file, as_json)
    result = _run(profile, db_url, overrides, output, base_url=base_url, recheck=list(urls))
    output.summary(profile.name, result)
    sys.exit(result.summary.exit_code)


def _run(
    profile: SiteProfile,
    db_url: str | None,
    overrides: tuple[str, ...],
    output: Output,
    **arguments: Any,
) -> CrawlResult:
    """Runs the site's spider in this process. The crawl itself checks its arguments, takes the
    lock and opens the archive; what stops it before it starts comes back as its refusal. The
    arguments that can be checked without Scrapy are checked first, so a typo costs no start-up."""
    try:
        check_request(profile, CrawlRequest.from_arguments(**arguments), db_url)
    except CrawlRefused as refused:
        raise Failed(refused.refusal.sentence, refused.refusal.exit_code) from None
    from crawler.runner import CrawlNotStarted, run_spider  # Scrapy, now

    settings = crawl_settings(output, overrides, db_url)
    try:
        result = run_spider(profile.name, settings, **arguments)
    except CrawlNotStarted as exc:
        raise Failed(str(exc)) from None
    refusal = result.summary.refusal
    if refusal is not None:
        raise Failed(refusal.sentence, refusal.exit_code)
    return result


def _site_of(url: str, base_url: str | None, db_url: str | None, *, copies: bool) -> SiteProfile:
    """The site whose host `url` is on; with `copies`, else the site of the archived article a
    mirror's URL copies."""
    try:
        host = check_http(url).hostname or url
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None
    found = profile_for(url, base_url)
    if found is not None:
        return found
    copied = copied_article(url, db_url) if copies else None
    if copied is not None:
        return copied[0]
    # A page on a host no profile covers is read by the generic reader, as its host's page.
    try:
        return load_profile(generic_name(url))
    except ProfileError as exc:
        raise Failed(f"No site profile covers {host} ({exc}).", EXIT_USAGE) from None
