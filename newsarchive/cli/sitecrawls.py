"""Which sites a crawl is of, each one's base URL, and their crawls side by side in one process."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from crawler.run.context import CrawlRequest, check_request
from crawler.run.exits import EXIT_USAGE, CrawlRefused
from crawler.sites.profile import SiteProfile, available_profiles
from newsarchive.cli.base import Failed, site_profile
from newsarchive.cli.options import parse_settings
from newsarchive.cli.output import Output, SiteOutcome

if TYPE_CHECKING:
    from scrapy.settings import Settings

DEFAULT_SITE = "chencang"


def chosen_sites(names: tuple[str, ...], all_sites: bool) -> list[SiteProfile]:
    """The sites named (each once, in order; chencang when none is), or with `all_sites` every
    enabled profile that has a news column. An unknown name is a usage error."""
    if all_sites and names:
        raise Failed("Name the sites to crawl or give --all, not both.", EXIT_USAGE)
    if not all_sites:
        return [site_profile(name) for name in dict.fromkeys(names or (DEFAULT_SITE,))]
    profiles = [site_profile(name) for name in available_profiles()]
    enabled = [profile for profile in profiles if profile.enabled and profile.listing.paths]
    if not enabled:
        raise Failed("No site profile is enabled; newsarchive sites lists them.", EXIT_USAGE)
    return enabled


def site_base_urls(values: tuple[str, ...], profiles: list[SiteProfile]) -> dict[str, str | None]:
    """Each site's --base-url (None: its own origin). `SITE=URL` names the site; a bare URL is
    the site's when only one is crawled. A site given two, or one not crawled, is an error."""
    names = [profile.name for profile in profiles]
    chosen: dict[str, str | None] = dict.fromkeys(names)
    for value in values:
        site, url = _site_and_url(value, names)
        if chosen[site] is not None:
            raise Failed(f"--base-url is given twice for {site}.", EXIT_USAGE)
        chosen[site] = url
    return chosen


def _site_and_url(value: str, names: list[str]) -> tuple[str, str]:
    """`SITE=URL`, or a bare URL (what precedes its first `=` holds a `:` or a `/`)."""
    site, equals, url = value.partition("=")
    if not equals or ":" in site or "/" in site:
        if len(names) > 1:
            raise Failed(
                f"--base-url {value} does not say which site it is for; with several sites, "
                "give --base-url SITE=URL.",
                EXIT_USAGE,
            )
        return names[0], value
    if site not in names:
        crawled = ", ".join(names)
        raise Failed(
            f"--base-url {value} is for {site}, which is not crawled here ({crawled}).", EXIT_USAGE
        )
    if not url.strip():
        raise Failed(f"--base-url {value} gives no URL for {site}.", EXIT_USAGE)
    return site, url


def check_sites(
    profiles: list[SiteProfile], origins: Mapping[str, str | None], db_url: str | None
) -> None:
    """What can be checked of every site's crawl before Scrapy starts (a base URL, a disabled
    profile): any one wrong is the command's usage error, and nothing is crawled or written."""
    for profile in profiles:
        request = CrawlRequest.from_arguments(base_url=origins[profile.name])
        try:
            check_request(profile, request, db_url)
        except CrawlRefused as refused:
            raise Failed(refused.refusal.sentence, refused.refusal.exit_code) from None


def crawl_settings(
    output: Output, overrides: tuple[str, ...], db_url: str | None, sites: int = 1
) -> Settings:
    """The project's settings for crawling `sites` sites in this process: the output's, then -s.
    The extraction workers ("auto": one per spare core) are shared out among several sites,
    rounded up, so that they do not start a spare core's worth of processes each."""
    from crawler.extract.pool import default_workers
    from crawler.runner import project_settings  # Scrapy, now

    shared: dict[str, Any] = {}
    if sites > 1:
        shared["NEWSARCHIVE_EXTRACT_WORKERS"] = math.ceil(default_workers() / sites)
    settings = project_settings(
        {**output.settings(sites=sites), **shared, **parse_settings(overrides)}
    )
    if db_url:
        settings.set("NEWSARCHIVE_DB", db_url, priority="cmdline")
    return settings


def run_sites(
    profiles: list[SiteProfile],
    origins: Mapping[str, str | None],
    settings: Settings,
    **arguments: Any,
) -> list[SiteOutcome]:
    """Every site's crawl, side by side in this process (crawler.runner.run_spiders), with the
    same `arguments` and its own base URL; how each ended, in the order of `profiles`."""
    from crawler.runner import run_spiders

    crawls = {p.name: {**arguments, "base_url": origins[p.name]} for p in profiles}
    results = run_spiders(crawls, settings)
    return [SiteOutcome.of(name, results[name]) for name in crawls]
