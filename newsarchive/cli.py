"""The `newsarchive` command: crawl and fetch (crawler/), history, show, diff and export (archive/)."""

from __future__ import annotations

import csv
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime, time, timedelta
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import click

from archive import (
    ArchiveError,
    NotArchived,
    StorageError,
    Store,
    fixity,
    open_archive,
    upgrade_archive,
)
from archive.changes import CLASSES
from archive.database import Archive
from archive.diff import diff_records, render_spans
from archive.lifecycle import Event
from archive.query import (
    archived,
    change_report,
    copies,
    iter_records,
    page_history,
    runs,
    version_record,
)
from archive.records import RECORD_FIELDS
from archive.schedule import recheck_pages
from crawler.profile import ProfileError, SiteProfile, available_profiles, load_profile
from crawler.summary import (
    EXIT_ERRORS,
    EXIT_REFUSED,
    EXIT_STORAGE,
    EXIT_TEMPORARY,
    EXIT_USAGE,
)
from crawler.urls import SiteUrls, UrlError, well_formed
from newsarchive import __version__
from newsarchive.lock import CrawlLock, LockHeld, lock_path
from newsarchive.output import Output, output_options

DEFAULT_SITE = "chencang"
# Commands that take a site's crawl lock (a fetch of one page does not).
LOCKED_COMMANDS = ("crawl", "recheck")
LOG = logging.getLogger("newsarchive")
EVENT_KINDS = ("new", "changed", "reparsed", *(event.value for event in Event))


class Failed(click.ClickException):
    """One sentence for the user and a documented exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_ERRORS) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        "db_url",
        envvar="NEWSARCHIVE_DB",
        metavar="URL",
        help="Archive: a SQLAlchemy URL or a SQLite file path "
        "[env NEWSARCHIVE_DB; default ~/.local/share/newsarchive/newsarchive.db].",
    )(command)


def json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsarchive")
def main() -> None:
    """A versioned, evidence-grade archive of government news columns.

    \b
    newsarchive crawl                      # backfill, then incremental crawls of 陈仓要闻
    newsarchive history URL                # an article's versions and captures
    newsarchive export --output news.jsonl # latest version of every article
    """


@main.command()
@click.argument("site", default=DEFAULT_SITE)
@click.option("--base-url", metavar="URL", help="Send every request to this origin, same paths.")
@click.option(
    "--full",
    is_flag=True,
    help="Audit: every list page, every article re-fetched without validators.",
)
@click.option(
    "--max-revisits",
    type=click.IntRange(min=0),
    metavar="N",
    help="Check at most N known articles that are due, most overdue first.",
)
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
@output_options
@db_option
@json_option
def crawl(
    site: str,
    base_url: str | None,
    full: bool,
    max_revisits: int | None,
    overrides: tuple[str, ...],
    quiet: bool,
    log_file: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Crawl SITE's news column into the archive (SITE defaults to chencang).

    The first crawl walks every list page (a backfill). Later crawls page through the column
    until a whole list page holds only archived articles (every list page once a week, to notice
    unlisted articles), and re-check the known articles that are due: daily while they are under
    a month old or recently edited, less often as they age, each with If-None-Match and
    If-Modified-Since. Politeness (robots.txt, one request at a time, a delay) comes from the site
    profile and can be lifted with -s for a local replica.

    One crawl of a site into an archive runs at a time (a lock beside the archive). On a terminal
    a progress display shows list pages, articles done and queued, the rate and errors.

    Exit codes: 0 done; 1 finished, but some pages failed; 2 usage or configuration error;
    74 the archive could not be opened or written (disk full); 75 another crawl holds the lock, or the
    host answered with challenges (try later); 130 stopped by Ctrl-C or SIGTERM.

    \b
    newsarchive crawl
    newsarchive crawl --quiet --log-file ~/newsarchive.log     # from cron
    newsarchive crawl chencang --max-revisits 500
    newsarchive crawl chencang --full
    newsarchive crawl --base-url http://127.0.0.1:8000 -s DOWNLOAD_DELAY=0 \\
        -s CONCURRENT_REQUESTS_PER_DOMAIN=16 -s AUTOTHROTTLE_ENABLED=false
    """
    profile = _profile(site)
    _check_base_url(base_url)
    output = Output(quiet, log_file, as_json)
    arguments = {"base_url": base_url, "full": full or None, "max_revisits": max_revisits}
    result = _run(profile, db_url, overrides, output, locked=True, **arguments)
    output.summary(site, result)
    sys.exit(result.summary.exit_code)


@main.command()
@click.argument("url")
@click.option("--site", help="Site profile (default: the one whose host the URL is on).")
@click.option("--base-url", metavar="URL", help="Fetch from this origin instead, same path.")
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
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
    article, repaired, never as a new article; `copies` lists them.

    \b
    newsarchive fetch http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    newsarchive fetch http://jczszy.cn/col8173/col8174/202303/t20230313_142946.html

    Exit codes: 0 archived; 1 the page could not be fetched or read; 2 a URL, site or setting
    is wrong; 65 the response is not an HTML page, or is over the size cap (DOWNLOAD_MAXSIZE,
    10 MB): nothing is archived; 74 the archive could not be written.
    """
    _check_base_url(base_url)
    _check_well_formed(url)
    original = None if site else _archived_original(url, base_url, db_url)
    if original is not None:
        profile, canonical = original
        arguments = {"url": url.strip(), "copy_of": canonical}
    else:
        profile = _profile(site) if site else _profile_for(url, base_url)
        canonical = _fetchable(profile, url, base_url)
        arguments = {"url": canonical}
    result = _run(
        profile, db_url, overrides, Output(as_json=as_json), base_url=base_url, **arguments
    )
    if result.summary.refused:
        raise Failed(f"{result.summary.refused} Nothing was archived.", EXIT_REFUSED)
    recorded = result.last_recorded
    if recorded is None:
        raise Failed(f"{url} could not be fetched or read; the log above says why.")
    if as_json:
        click.echo(json.dumps(_recorded_json(recorded)))
    else:
        click.echo(_recorded_line(recorded))
    sys.exit(result.summary.exit_code)


@main.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--site", help="Site profile (default: the one whose host the first URL is on).")
@click.option("--base-url", metavar="URL", help="Fetch from this origin instead, same paths.")
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
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
    _check_base_url(base_url)
    for url in urls:
        _check_well_formed(url)
    profile = _profile(site) if site else _profile_for(urls[0], base_url)
    canonical = [_fetchable(profile, url, base_url) for url in urls]
    output = Output(quiet, log_file, as_json)
    result = _run(
        profile, db_url, overrides, output, locked=True, base_url=base_url, recheck=canonical
    )
    output.summary(profile.name, result)
    sys.exit(result.summary.exit_code)


@main.command()
@click.option("--since", metavar="DATETIME", help="From this time (default: 24 hours ago).")
@click.option("--until", metavar="DATETIME", help="Up to this time (default: now).")
@click.option(
    "--class",
    "classes",
    multiple=True,
    type=click.Choice(CLASSES),
    help="Only changes of this class (repeatable).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(EVENT_KINDS),
    help="Only events of this kind (repeatable).",
)
@click.option("--no-cosmetic", is_flag=True, help="Leave out changes that are only cosmetic.")
@click.option("--site", help="Only this site's articles.")
@db_option
@json_option
def changes(
    since: str | None,
    until: str | None,
    classes: tuple[str, ...],
    kinds: tuple[str, ...],
    no_cosmetic: bool,
    site: str | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """What happened in a time window: new, changed, unreachable, gone, reappeared, unlisted, moved.

    A changed article is listed with its change classes (title, body, published_at, source,
    images, attachments, links; cosmetic for whitespace or punctuation width only) and the
    characters added and removed. A date alone means the start of that day for --since and
    its end for --until; a time without offset is UTC.

    \b
    newsarchive changes --since 2025-12-01
    newsarchive changes --since 2025-12-01T00:00+08:00 --class title --class body --json
    """
    start = _moment(since, end_of_day=False) or datetime.now(UTC) - timedelta(days=1)
    end = _moment(until) or datetime.now(UTC) + timedelta(seconds=1)
    with _reading(db_url) as archive:
        found = change_report(
            archive, since=start, until=end, kinds=kinds, classes=classes, site=site
        )
    if no_cosmetic:
        found = [e for e in found if tuple(e.classes) != ("cosmetic",)]
    if as_json:
        _echo_json([event.to_json() for event in found])
        return
    for event in found:
        click.echo(_change_line(event))
    if not found:
        click.echo(f"nothing happened between {start.isoformat()} and {end.isoformat()}")


@main.command("copies")
@click.argument("url")
@db_option
@json_option
def copies_command(url: str, db_url: str | None, as_json: bool) -> None:
    """List the known copies of an article: mirror copies elsewhere, with the repairs they needed
    and their repaired text, and other pages of the same article, exact or lightly re-edited.

    Each with its URL, capture time and similarity (Jaccard similarity of the 10-character
    shingles of the texts, 1.0 for identical).

    \b
    newsarchive copies http://www.chencang.gov.cn/col8173/col8174/202303/t20230313_142946.html
    """
    with _reading(db_url) as archive:
        found = copies(archive, _lookup_url(url))
    if as_json:
        _echo_json([copy.to_json() for copy in found])
        return
    for copy in found:
        repairs = ", ".join(f"{name} {count}" for name, count in copy.repairs.items()) or "none"
        click.echo(
            f"{copy.kind:<15} {copy.found_at.isoformat()}  similarity {copy.similarity:.2f}  {copy.url}"
        )
        click.echo(f"  repairs: {repairs}")
        click.echo(f"  {copy.text[:120]}{'…' if len(copy.text) > 120 else ''}")
    if not found:
        click.echo("no known copies")


@main.command()
@click.argument("url")
@db_option
@json_option
def history(url: str, db_url: str | None, as_json: bool) -> None:
    """Show an article's versions (number, capture time, changed fields) and every capture.

    \b
    newsarchive history http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    """
    with _reading(db_url) as archive:
        found = page_history(archive, _lookup_url(url))
    if as_json:
        _echo_json(found.to_json())
        return
    click.echo(f"{found.url}\n  site {found.site} · doc id {found.doc_id or '—'} · {found.kind}")
    listed = "listed" if found.is_listed else "unlisted"
    click.echo(f"  state: {found.state}, {listed} (last listed {_when(found.last_listed_at)})")
    for earlier in found.urls[:-1] if len(found.urls) > 1 else ():
        click.echo(f"  also known as {earlier}")
    click.echo(f"versions ({len(found.versions)}):")
    for v in found.versions:
        changed = ", ".join(v.changed_fields) or "first version"
        classes = f"  [{', '.join(v.classes)}]" if v.classes else ""
        click.echo(f"  {v.number:>3}  {v.captured_at.isoformat()}  {changed}{classes}")
    click.echo(f"lifecycle ({len(found.events)}):")
    for e in found.events:
        click.echo(f"  {e.at.isoformat()}  {e.kind:<11} {_detail(e.detail)}")
    click.echo(f"captures ({len(found.captures)}):")
    for c in found.captures:
        version = f"v{c.version}" if c.version else "—"
        status = c.status if c.status is not None else "—"
        click.echo(
            f"  {c.captured_at.isoformat()}  {status!s:>3}  {c.outcome:<12} {version:<5} {c.error or ''}"
        )


@main.command()
@click.argument("url")
@click.option("--version", "number", type=int, help="Version number (default: the latest).")
@click.option("--at", "at", metavar="DATETIME", help="The version current at this time (ISO 8601).")
@db_option
@json_option
def show(url: str, number: int | None, at: str | None, db_url: str | None, as_json: bool) -> None:
    """Show an article as it was: the latest version, version N, or the one current at a time.

    A date alone means the end of that day; a time without offset is UTC.

    \b
    newsarchive show URL --version 1
    newsarchive show URL --at 2025-12-02T08:00+08:00 --json
    """
    if number is not None and at is not None:
        raise Failed("Give --version or --at, not both.", EXIT_USAGE)
    with _reading(db_url) as archive:
        record = version_record(archive, _lookup_url(url), number=number, at=_moment(at))
    if as_json:
        _echo_json(record.to_json())
        return
    for name, value in record.to_json().items():
        if name not in ("body", "body_html"):
            click.echo(f"{name}: {_plain(value)}")
    click.echo(f"\n{record.body}")


@main.command()
@click.argument("url")
@click.option("--from", "old", type=int, help="Older version (default: the one before --to).")
@click.option("--to", "new", type=int, help="Newer version (default: the latest).")
@click.option("--context", default=20, show_default=True, help="Characters of context kept.")
@db_option
@json_option
def diff(
    url: str, old: int | None, new: int | None, context: int, db_url: str | None, as_json: bool
) -> None:
    """Compare two versions field by field; text at character level ([-removed-]{+added+}).

    \b
    newsarchive diff URL                 # the latest change
    newsarchive diff URL --from 1 --to 3 --json
    """
    with _reading(db_url) as archive:
        canonical = _lookup_url(url)
        newer = version_record(archive, canonical, number=new)
        older_number = old if old is not None else newer.version - 1
        if older_number < 1:
            raise Failed(f"{canonical} has only one version; there is nothing to compare.")
        older = version_record(archive, canonical, number=older_number)
    changes = diff_records(older, newer)
    if as_json:
        _echo_json(changes.to_json())
        return
    click.echo(f"{canonical}: version {older.version} → {newer.version}")
    for field in changes.fields or ():
        click.echo(f"--- {field.field} (+{field.chars_added} −{field.chars_removed} characters)")
        click.echo(render_spans(field.spans, context=context))
    if not changes.fields:
        click.echo("no differences")


@main.command()
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="File (default: stdout)."
)
@click.option("--site", help="Only this site's articles.")
@db_option
def export(
    all_versions: bool, fmt: str, output: str | None, site: str | None, db_url: str | None
) -> None:
    """Export article records (the documented JSON record) as JSON Lines or CSV.

    \b
    newsarchive export --output chencang.jsonl
    newsarchive export --all-versions --format csv -o versions.csv
    """
    with _reading(db_url) as archive, _open_output(output) as out:
        records = iter_records(archive, all_versions=all_versions, site=site)
        count = (_write_csv if fmt == "csv" else _write_jsonl)(records, out)
    if output:
        click.echo(f"{count} records written to {output}", err=True)


@main.command()
@db_option
@json_option
def verify(db_url: str | None, as_json: bool) -> None:
    """Check the archive's fixity: every blob's SHA-256, every version's content hash against its
    fields, and the chain of digests over every run's captures (which shows a removed capture).

    Exits 1 and names the affected pages when anything does not match.

    \b
    newsarchive verify
    newsarchive verify --json
    """
    with _reading(db_url) as archive:
        report = fixity.verify(archive)
    if as_json:
        _echo_json(report.to_json())
    else:
        checked = (
            f"{report.blobs} blobs, {report.versions} versions, {report.captures} captures in "
            f"{report.runs} runs"
        )
        click.echo(
            f"checked {checked}: {'all intact' if report.ok else f'{len(report.problems)} problems'}"
        )
        for problem in report.problems:
            click.echo(f"  {problem.kind}: {problem.detail}")
            for page in problem.pages:
                click.echo(f"    {page}")
    sys.exit(0 if report.ok else EXIT_ERRORS)


@main.command("runs")
@click.option("--limit", default=20, show_default=True, help="How many of the latest runs.")
@db_option
@json_option
def runs_command(limit: int, db_url: str | None, as_json: bool) -> None:
    """List the latest crawl and fetch runs with their counts and exit codes.

    \b
    newsarchive runs --limit 5
    """
    with _reading(db_url) as archive:
        found = runs(archive, limit=limit)
    if as_json:
        _echo_json([_run_json(run) for run in found])
        return
    for run in found:
        counts = run.counts
        click.echo(
            f"{run.id:>5}  {run.started_at.isoformat()}  {run.site:<10} {run.command:<6} "
            f"{run.status:<11} new {counts.get('new', 0)} changed {counts.get('changed', 0)} "
            f"errors {counts.get('errors', 0)} exit {run.exit_code}"
        )


@main.command()
@json_option
def sites(as_json: bool) -> None:
    """List the site profiles that can be crawled.

    \b
    newsarchive sites --json
    """
    profiles = [_profile(name) for name in available_profiles()]
    if as_json:
        _echo_json(
            [
                {"name": p.name, "title": p.title, "origin": p.origin, "lists": p.listing.paths}
                for p in profiles
            ]
        )
        return
    for p in profiles:
        click.echo(f"{p.name:<10} {p.origin}{p.listing.paths[0]}  {p.title}")


@main.group()
def db() -> None:
    """Manage the archive database itself."""


@db.command("upgrade")
@db_option
def db_upgrade(db_url: str | None) -> None:
    """Upgrade an archive's schema to this version of newsarchive (back it up first).

    \b
    newsarchive db upgrade --db ~/archive/newsarchive.db
    """
    try:
        old, new = upgrade_archive(db_url)
    except ArchiveError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None
    click.echo(f"schema {old or 'empty'} → {new}")


def _run(
    profile: SiteProfile,
    db_url: str | None,
    overrides: tuple[str, ...],
    output: Output,
    *,
    locked: bool = False,
    **arguments: Any,
) -> Any:
    """Runs the site's spider; settings and pages are checked first, so mistakes are sentences.
    A crawl or recheck holds the site's lock on the archive while it runs."""
    from crawler.planning import Options  # Scrapy loads only for crawls
    from crawler.runner import CrawlNotStarted, project_settings, run_spider

    with _writing(db_url) as archive:  # a path or database that will not do is said first
        resolved = archive.engine.url.render_as_string(hide_password=False)
    with _site_lock(resolved, profile.name) if locked else nullcontext():
        if arguments.get("recheck"):
            with _writing(resolved) as archive:
                recheck_pages(archive, arguments["recheck"])
        settings = project_settings({**output.settings(), **_settings(overrides)})
        settings.set("NEWSARCHIVE_DB", resolved, priority="cmdline")
        try:
            Options.from_settings(settings, profile)
            now = settings.get("NEWSARCHIVE_NOW")
            if now:
                datetime.fromisoformat(now)
        except ValueError as exc:
            raise Failed(f"A setting is not valid: {exc}.", EXIT_USAGE) from None
        output.configure_logging(settings)
        _close_abandoned_runs(resolved, profile.name, locked)
        try:
            return run_spider(profile.name, settings, **arguments)
        except CrawlNotStarted as exc:
            raise Failed(str(exc)) from None


@contextmanager
def _site_lock(db_url: str, site: str) -> Iterator[None]:
    """The site's crawl lock on this archive, taken before anything else is done."""
    lock = CrawlLock(lock_path(db_url, site))
    try:
        stale = lock.acquire()
    except LockHeld as exc:
        raise Failed(str(exc), EXIT_TEMPORARY) from None
    except OSError as exc:
        message = f"Cannot take the crawl lock {lock.path}: {exc.strerror}."
        raise Failed(message, EXIT_STORAGE) from None
    try:
        if stale is not None:
            LOG.warning("Took over the crawl lock of %s left by %s.", site, stale.describe())
        yield
    finally:
        lock.release()


def _close_abandoned_runs(db_url: str, site: str, locked: bool) -> None:
    """With the lock held, runs a killed holder left "running" are marked interrupted."""
    if not locked:
        return
    with _writing(db_url) as archive:
        cut_short = Store(archive).interrupt_abandoned_runs(site, LOCKED_COMMANDS)
    if cut_short:
        LOG.warning(
            "Run %s of %s stopped without closing (killed?) and is marked interrupted; this crawl "
            "fetches what it had still to fetch.",
            ", ".join(map(str, cut_short)),
            site,
        )


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise Failed(f"-s {pair!r} is not NAME=VALUE.", EXIT_USAGE)
        parsed[name.strip()] = value
    return parsed


def _profile(name: str) -> SiteProfile:
    try:
        return load_profile(name)
    except ProfileError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _profile_for(url: str, base_url: str | None) -> SiteProfile:
    for name in available_profiles():
        profile = _profile(name)
        if SiteUrls(profile, base_url).is_own(url):
            return profile
    host = urlsplit(url).hostname or url
    raise Failed(f"No site profile covers {host}; name one with --site.", EXIT_USAGE)


def _archived_original(
    url: str, base_url: str | None, db_url: str | None
) -> tuple[SiteProfile, str] | None:
    """For a URL on no site's host: the site and archived article with the same path, if any."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    profiles = [_profile(name) for name in available_profiles()]
    if any(SiteUrls(p, base_url).is_own(url) for p in profiles):
        return None
    with _reading_if_exists(db_url) as archive:
        if archive is None:
            return None
        for profile in profiles:
            urls = SiteUrls(profile)
            candidate = urls.canonical(
                urlunsplit((*urlsplit(profile.origin)[:2], parts.path, parts.query, ""))
            )
            if archived(archive, candidate):
                return profile, candidate
    return None


def _fetchable(profile: SiteProfile, url: str, base_url: str | None) -> str:
    try:
        return SiteUrls(profile, base_url).check_fetchable(url)
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _check_well_formed(url: str) -> None:
    try:
        well_formed(url.strip())
    except UrlError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


def _check_base_url(base_url: str | None) -> None:
    if base_url is None:
        return
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failed(
            f"--base-url {base_url!r} is not an http(s) origin like http://127.0.0.1:8000.",
            EXIT_USAGE,
        )


def _lookup_url(url: str) -> str:
    """The archive key for `url`: canonical for the site whose host it is on, else as given."""
    for name in available_profiles():
        urls = SiteUrls(_profile(name))
        if urls.is_own(url):
            return urls.canonical(url)
    return url.strip()


def _moment(text: str | None, *, end_of_day: bool = True) -> datetime | None:
    """An ISO 8601 time; a date alone is the end of that day (or its start); naive means UTC."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Failed(
            f"{text!r} is not an ISO 8601 date or time, e.g. 2025-12-02T08:00+08:00.",
            EXIT_USAGE,
        ) from None
    if len(text.strip()) == 10:
        moment = datetime.combine(moment.date(), time.max if end_of_day else time.min)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def _reading(db_url: str | None) -> Iterator[Archive]:
    """An existing archive, for queries: never creates a file, turns archive errors into sentences."""
    with _opened(db_url, create=False) as archive:
        yield archive


@contextmanager
def _reading_if_exists(db_url: str | None) -> Iterator[Archive | None]:
    try:
        archive = open_archive(db_url, create=False)
    except ArchiveError:
        yield None
        return
    try:
        yield archive
    finally:
        archive.close()


@contextmanager
def _writing(db_url: str | None) -> Iterator[Archive]:
    with _opened(db_url, create=True) as archive:
        yield archive


@contextmanager
def _opened(db_url: str | None, *, create: bool) -> Iterator[Archive]:
    try:
        archive = open_archive(db_url, create=create)
    except StorageError as exc:
        raise Failed(str(exc), EXIT_STORAGE) from None
    except ArchiveError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None
    try:
        yield archive
    except NotArchived as exc:
        raise Failed(str(exc), EXIT_ERRORS) from None
    finally:
        archive.close()


@contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle


def _write_jsonl(records: Iterator[Any], out: TextIO) -> int:
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        out.write(json.dumps(record.to_json(), ensure_ascii=False) + "\n")
    return count


def _write_csv(records: Iterator[Any], out: TextIO) -> int:
    columns = ["url", *RECORD_FIELDS, "version", "captured_at", "changed_fields"]
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    count = 0
    for count, record in enumerate(records, 1):  # noqa: B007
        row = record.to_json()
        writer.writerow(
            {
                k: v if isinstance(v, str | int) or v is None else json.dumps(v, ensure_ascii=False)
                for k, v in row.items()
            }
        )
    return count


def _change_line(event: Any) -> str:
    line = f"{event.at.isoformat()}  {event.kind:<11} "
    if event.kind in ("changed", "reparsed"):
        line += f"v{event.version} [{', '.join(event.classes)}] +{event.chars_added} −{event.chars_removed}  "
    elif event.version:
        line += f"v{event.version}  "
    detail = dict(event.detail)
    if event.kind == "moved":
        line += f"→ {detail.get('to')}  "
    return line + event.url


def _when(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "never"


def _detail(detail: dict[str, Any]) -> str:
    return " ".join(f"{key}={value}" for key, value in detail.items())


def _recorded_json(recorded: Any) -> dict[str, Any]:
    return {
        "url": recorded.url,
        "outcome": recorded.outcome.value,
        "version": recorded.version,
        "changed_fields": list(recorded.changed_fields),
    }


def _recorded_line(recorded: Any) -> str:
    outcome = recorded.outcome.value
    if outcome == "mirror-copy":
        return f"mirror-copy: kept as a copy of {recorded.url} (see: newsarchive copies {recorded.url})"
    if recorded.version is None:
        return f"{outcome}: {recorded.url} (no version)"
    changed = f" ({', '.join(recorded.changed_fields)})" if recorded.changed_fields else ""
    return f"{outcome}: {recorded.url} is at version {recorded.version}{changed}"


def _run_json(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "site": run.site,
        "command": run.command,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "status": run.status,
        "arguments": run.arguments,
        "counts": run.counts,
        "exit_code": run.exit_code,
    }


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)
