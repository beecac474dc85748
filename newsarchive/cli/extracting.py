"""`newsarchive extract`: the record of a page (a file, standard input or a live URL), no archive."""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from crawler.run.exits import EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_USAGE
from crawler.sites.profile import ProfileError, SiteProfile, generic_name, load_profile
from crawler.sites.resolve import profile_for
from crawler.sites.urls import UrlError, check_http
from newsarchive import __version__
from newsarchive.cli.base import Failed, site_profile
from newsarchive.cli.options import json_option
from newsarchive.cli.render import json_text

# A live page is read like a fetch reads one: at most this much, within this many seconds.
MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = 30
USER_AGENT = f"newsarchive/{__version__} (extract)"


@dataclass(frozen=True)
class Page:
    """The bytes to read, where they came from, and the URL they are the page of."""

    body: bytes
    content_type: str | None
    url: str
    named: str  # how the user named it: a path, "-", or the URL


@click.command("extract")
@click.argument("source", metavar="FILE|URL|-")
@click.option("--url", "page_url", help="The page's URL, for a file or standard input.")
@click.option("--site", help="Read with this site's profile (default: the URL's site).")
@click.option("--generic", is_flag=True, help="Read with the generic reader alone.")
@json_option
def extract_command(
    source: str, page_url: str | None, site: str | None, generic: bool, as_json: bool
) -> None:
    """Show the record newsarchive would archive for a page, and how each field was read,
    without touching any archive: from a local HTML file, standard input (-) or a live URL.

    The site's profile reads it when the URL is on a site's host (or --site names one); a
    field its rules miss is read by the generic reader, and the output says so. --generic uses
    the generic reader alone; so does a page of a host no profile covers.

    \b
    newsarchive extract saved.html --url http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    newsarchive extract http://www.baoji.gov.cn/art/2024/2/7/art_1_2.html --json
    curl -s URL | newsarchive extract - --url URL --generic

    Exit codes: 0 a record; 2 a bad option or URL; 65 the input is empty, not HTML, or holds
    no article; 69 the live URL could not be reached.
    """
    if site is not None and generic:
        raise Failed("Give --site or --generic, not both.", EXIT_USAGE)
    page = _page(source, page_url)
    profile = _profile(page.url, site, generic)
    record = _read(page, profile)
    click.echo(json_text(record) if as_json else "\n".join(_lines(record)))


def _page(source: str, page_url: str | None) -> Page:
    if source.startswith(("http://", "https://")):
        return _download(page_url or source)
    url = _checked_url(page_url or "http://localhost/page.html")
    if source == "-":
        return Page(sys.stdin.buffer.read(), None, url, "standard input")
    path = Path(source)
    if not path.is_file():
        raise Failed(f"{source} is neither a file nor an http(s) URL.", EXIT_USAGE)
    try:
        return Page(path.read_bytes(), None, url, source)
    except OSError as exc:
        raise Failed(f"{source} cannot be read: {exc.strerror or exc}.", EXIT_USAGE) from None


def _checked_url(url: str) -> str:
    try:
        check_http(url)
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None
    return url


def _download(url: str) -> Page:
    request = urllib.request.Request(_checked_url(url), headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            body = response.read(MAX_BYTES + 1)
            content_type = response.headers.get("Content-Type")
            final = response.geturl()
    except urllib.error.HTTPError as exc:
        sentence = f"{url} answered HTTP {exc.code}: there is no page to read."
        raise Failed(sentence, EXIT_REFUSED) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise Failed(f"Cannot reach {url}: {reason}.", EXIT_UNREACHABLE) from None
    if len(body) > MAX_BYTES:
        raise Failed(
            f"{url} is over {MAX_BYTES // (1024 * 1024)} MB: not an article.", EXIT_REFUSED
        )
    return Page(body, content_type, final, url)


def _profile(url: str, site: str | None, generic: bool) -> SiteProfile:
    if site is not None:
        return site_profile(site)
    found = None if generic else profile_for(url)
    try:
        return found or load_profile(generic_name(url))
    except ProfileError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _read(page: Page, profile: SiteProfile) -> dict[str, Any]:
    """The page's record as a crawl would archive it (read, then cleaned), with provenance;
    a sentence and exit 65 when it holds none."""
    from crawler.extract.article import ArticleExtractor
    from crawler.extract.judge import is_html
    from crawler.extract.record import read_and_clean
    from crawler.extract.sniff import media_type
    from crawler.sites.urls import SiteUrls

    if not page.body.strip():
        raise Failed(f"{page.named} is empty: there is no page to read.", EXIT_REFUSED)
    sniffed = media_type(page.body)
    if sniffed or (page.content_type and not is_html(page.content_type)):
        kind = sniffed or page.content_type
        raise Failed(f"{page.named} is not an HTML page ({kind}).", EXIT_REFUSED)
    urls = SiteUrls(profile)
    extractor = ArticleExtractor(profile, urls)
    reading = read_and_clean(extractor, page.body, page.content_type, page.url)
    if reading.extracted is None or reading.cleaned is None:
        why = (reading.problem or "").removeprefix("the page has no article: ")
        raise Failed(f"{page.named} holds no article: {why}.", EXIT_REFUSED)
    provenance = dict(reading.extracted.provenance)
    fallback = [name for name in provenance.pop("fallback", "").split(",") if name]
    return {
        "url": page.url,
        **reading.cleaned.record.fields(),
        "profile": profile.name,
        "parser_version": reading.extracted.parser_version,
        "fallback": fallback,
        "provenance": provenance,
    }


def _lines(record: dict[str, Any]) -> list[str]:
    provenance = record["provenance"]
    lines = [f"url: {record['url']}", f"profile: {record['profile']}"]
    for name in ("title", "published_at", "source", "column", "editor", "author"):
        how = provenance.get(name)
        lines.append(f"{name}: {record[name] or '—'}" + (f"  [{how}]" if how else ""))
    if record["fallback"]:
        lines.append(f"read by the generic fallback: {', '.join(record['fallback'])}")
    lines.append(
        f"images: {len(record['images'])}, attachments: {len(record['attachments'])}, "
        f"links: {len(record['links'])}"
    )
    lines.append(f"body  [{provenance.get('body', '')}; {provenance.get('encoding', '')}]")
    return [*lines, "", record["body"]]
