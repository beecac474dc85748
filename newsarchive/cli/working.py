"""`newsarchive worker`: a long-running crawler that shares the sites with other workers by lease."""

from __future__ import annotations

import json
import re
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from crawler.run.exits import EXIT_USAGE
from crawler.run.leasing import Worker, WorkerOptions, lease_table, site_platforms
from crawler.sites.profile import available_profiles, load_profile
from newsarchive.cli.base import Failed, site_profile, writing
from newsarchive.cli.options import db_option, json_option, parse_settings

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration(context: click.Context, parameter: click.Parameter, value: str) -> timedelta:
    """A click callback: 90s, 30m, 6h, 1d, or a number of seconds, as a positive timedelta."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", value)
    if found is None or float(found.group(1)) <= 0:
        raise click.BadParameter(f"{value!r} is not a duration such as 90s, 30m, 6h or 1d.")
    number, unit = found.groups()
    return timedelta(seconds=float(number) * UNITS[unit or "s"])


@click.command("worker")
@click.option("--sites", metavar="A,B", help="Only these sites [default: every enabled profile].")
@click.option("--max-sites", type=click.IntRange(min=1), metavar="N", help="Exit after N crawls.")
@click.option(
    "--every",
    callback=duration,
    metavar="DURATION",
    default="6h",
    show_default=True,
    help="Crawl a site again once this long has passed since its last crawl ended.",
)
@click.option(
    "--ttl",
    callback=duration,
    metavar="DURATION",
    default="60s",
    show_default=True,
    help="A lease's life: renewed every third of it; a dead worker's site is free after it.",
)
@click.option(
    "--poll",
    callback=duration,
    metavar="DURATION",
    default="60s",
    show_default=True,
    help="The longest wait for a site to come due.",
)
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="SITE=URL",
    help="Send SITE's requests to this origin, same paths (repeatable).",
)
@click.option(
    "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
)
@click.option(
    "--log-dir",
    metavar="DIR",
    type=click.Path(file_okay=False, exists=True, writable=True, path_type=Path),
    help="Append each crawl's log (INFO and up) to DIR/SITE.log instead of stderr.",
)
@click.option("--list", "list_only", is_flag=True, help="Print the sites' leases and exit.")
@db_option
@json_option
def worker_command(
    sites: str | None,
    max_sites: int | None,
    every: timedelta,
    ttl: timedelta,
    poll: timedelta,
    base_urls: tuple[str, ...],
    overrides: tuple[str, ...],
    log_dir: Path | None,
    list_only: bool,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Crawl due sites, one at a time, sharing them with the other workers of the archive.

    A worker claims the most overdue site that is due (crawled longer than --every ago, or
    never) and free: no other worker holds its lease, nor a lease on another site of its
    platform (the profile's `platform`; the sites of one share a back end). It crawls it as
    `newsarchive crawl SITE` does, in a child process, renewing the lease while the crawl runs,
    then records the exit code and frees the site. Run one worker per machine (or several) on
    one PostgreSQL archive: no site, and no two sites of one platform, are ever crawled by two
    of them at once, so a platform's politeness holds across machines (all workers must read
    the same profiles). A worker killed even by SIGKILL takes its crawl with it; its lease
    expires after --ttl and another worker takes the site over, its crawl resuming as after any
    crawl killed mid-way. On a SQLite archive, workers on the one machine share the sites the
    same way. --list shows each site's platform.

    SIGTERM or Ctrl-C stops the crawl running gracefully (its run interrupted, the site free for
    another worker at once) and exits 0. Prints one line per event (--json: one object).

    \b
    newsarchive worker --db postgresql://newsarchive@db.example.org/archive
    newsarchive worker --sites chencang,meixian --every 1h --max-sites 2
    newsarchive worker --list --json
    """
    names = _sites(sites)
    options = WorkerOptions(
        sites=names,
        every=every,
        ttl=ttl,
        poll=poll.total_seconds(),
        max_sites=max_sites,
        base_urls=_base_urls(base_urls, names),
        overrides=_checked(overrides),
        log_dir=log_dir,
        platforms=site_platforms(names),
    )
    with writing(db_url, create=True) as archive:
        if list_only:
            _print_leases(lease_table(archive.engine, names, options.platforms), as_json)
            return
        url = archive.engine.url.render_as_string(hide_password=False)
        worker = Worker(archive.engine, url, options, _reporter(as_json))
        signal.signal(signal.SIGTERM, worker.stop)
        signal.signal(signal.SIGINT, worker.stop)
        worker.run()


def _sites(given: str | None) -> tuple[str, ...]:
    """The sites named (each a profile that can be crawled), or every enabled profile."""
    if given is None:
        return tuple(name for name in available_profiles() if load_profile(name).enabled)
    names = tuple(dict.fromkeys(name.strip() for name in given.split(",") if name.strip()))
    if not names:
        raise Failed("--sites names no site.", EXIT_USAGE)
    for name in names:
        if not site_profile(name).enabled:
            raise Failed(f"The site {name} is disabled: its news column is unknown.", EXIT_USAGE)
    return names


def _base_urls(pairs: tuple[str, ...], sites: tuple[str, ...]) -> dict[str, str]:
    urls = {}
    for pair in pairs:
        site, sep, url = pair.partition("=")
        if not sep or not url:
            raise Failed(f"--base-url {pair!r} is not SITE=URL.", EXIT_USAGE)
        if site not in sites:
            raise Failed(f"--base-url names {site}, which this worker does not crawl.", EXIT_USAGE)
        urls[site] = url
    return urls


def _checked(overrides: tuple[str, ...]) -> tuple[str, ...]:
    parse_settings(overrides)  # each NAME=VALUE, else one sentence and exit 2
    return overrides


def _reporter(as_json: bool) -> Any:
    def report(event: dict[str, Any]) -> None:
        click.echo(json.dumps(event, ensure_ascii=False) if as_json else _event_line(event))

    return report


def _event_line(event: dict[str, Any]) -> str:
    """One line for people: when, what, and the details that matter."""
    kind, site = event["event"], event.get("site")
    words = {
        "started": f"worker {event['holder']} started: {', '.join(event.get('sites', []))}",
        "claimed": f"claimed {site} until {event.get('expires_at')}",
        "took-over": f"took {site} over from {event.get('previous')}, whose lease had expired",
        "crawled": f"crawled {site}: exit {event.get('exit_code')} after "
        f"{event.get('seconds')} s{_counts(event.get('summary'))}",
        "released": f"released {site}",
        "lost": f"lost the lease of {site} ({event.get('why')}): stopping its crawl",
        "error": f"error{f' ({site})' if site else ''}: {event.get('error')}",
        "stopped": f"worker stopped after {_crawls(event.get('crawls', 0))}",
    }
    return f"{event['at']} {words.get(kind, kind)}"


def _crawls(number: int) -> str:
    return f"{number} crawl" if number == 1 else f"{number} crawls"


def _counts(summary: dict[str, Any] | None) -> str:
    if not summary:
        return ""
    keys = ("requested", "new", "changed", "errors")
    return " (" + ", ".join(f"{summary.get(key, 0)} {key}" for key in keys) + ")"


def _print_leases(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        held = f"held by {row['holder']} until {row['expires_at']}" if row["holder"] else "free"
        last = "never crawled"
        if row["last_finished_at"]:
            last = f"last crawl ended {row['last_finished_at']}, exit {row['last_exit_code']}"
        click.echo(f"{row['site']:<10} {row['platform']:<16} {held}; {last}")
