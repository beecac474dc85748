"""Options the commands share, and the parsing of values click does not know (times, -s pairs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
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


def source_options(command: F) -> F:
    """--base-url and -s: where the site's pages are fetched from, and Scrapy settings."""
    command = click.option(
        "-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Scrapy setting."
    )(command)
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
        type=click.Path(dir_okay=False, writable=True),
        help="Append the crawl's log (INFO and up) to this file instead of stderr.",
    )(command)
    return click.option(
        "-q",
        "--quiet",
        is_flag=True,
        help="For cron: print nothing unless something changed or went wrong.",
    )(command)


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
