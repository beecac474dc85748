"""Options the commands share, and the parsing of values click does not know (times, -s pairs)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, TypeVar

import click

from crawler.run.exits import EXIT_USAGE
from newsarchive.cli.base import Failed

F = TypeVar("F", bound=Callable[..., Any])


def db_option(command: F) -> F:
    return click.option(
        "--db",
        "db_url",
        envvar="NEWSARCHIVE_DB",
        metavar="URL",
        help="Archive: a SQLAlchemy URL or a SQLite file path "
        "[env NEWSARCHIVE_DB; default ~/.local/share/newsarchive/newsarchive.db].",
    )(command)


def json_option(command: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(command)


def settings_option(command: F) -> F:
    """-s NAME=VALUE: Scrapy settings, as `scrapy crawl -s` takes them."""
    return click.option(
        "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
    )(command)


def source_options(command: F) -> F:
    """--base-url and -s: where the site's pages are fetched from, and Scrapy settings."""
    command = settings_option(command)
    return click.option(
        "--base-url", metavar="URL", help="Send every request to this origin, same paths."
    )(command)


def fetch_options(command: F) -> F:
    """--site and the source options: for the commands given URLs rather than a site."""
    site = click.option("--site", help="Site profile (default: the one whose host the URL is on).")
    return site(source_options(command))


def output_options(command: F) -> F:
    """--quiet and --log-file, for the commands that crawl."""
    command = click.option(
        "--log-file",
        metavar="PATH",
        callback=writable_file,
        help="Append the crawl's log (INFO and up) to this file instead of stderr.",
    )(command)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="For cron: print nothing unless something changed or went wrong.",
    )(command)


def writable_file(
    context: click.Context, parameter: click.Parameter, path: str | None
) -> str | None:
    """A click callback for an option naming a file to write: its folder must exist (a typo in
    a cron line should not silently create folders) and be writable. One sentence if not."""
    if path is None:
        return None
    option = parameter.opts[0] if parameter.opts else parameter.name
    target = Path(path).expanduser()
    if target.is_dir():
        raise Failed(f"{option} {path} is a folder, not a file.", EXIT_USAGE)
    folder = target.parent
    if not folder.is_dir():
        raise Failed(f"The folder {folder} for {option} does not exist.", EXIT_USAGE)
    if not os.access(target if target.exists() else folder, os.W_OK):
        raise Failed(f"{option} {path} cannot be written here (permission denied).", EXIT_USAGE)
    return str(target)


def parse_window(
    since: str | None, until: str | None, *, default_since: datetime | None = None
) -> tuple[datetime | None, datetime | None]:
    """--since and --until as times; a window that ends before it starts is a usage error."""
    start = parse_moment(since, end_of_day=False) or default_since
    end = parse_moment(until)
    if start is not None and end is not None and start >= end:
        raise Failed(f"{since} is not before {until}: the window is empty.", EXIT_USAGE)
    return start, end


def parse_settings(pairs: tuple[str, ...]) -> dict[str, str]:
    """`-s NAME=VALUE` pairs as a dict."""
    parsed = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise Failed(f"-s {pair!r} is not NAME=VALUE.", EXIT_USAGE)
        parsed[name.strip()] = value
    return parsed


def parse_moment(text: str | None, *, end_of_day: bool = True) -> datetime | None:
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
