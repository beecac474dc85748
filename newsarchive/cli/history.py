"""The commands that read an article's history: history, show, diff, changes, copies."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import click

from archive.changes import CLASSES
from archive.copies import copies
from archive.diff import diff_records
from archive.files import held_bytes
from archive.query import EVENT_KINDS, change_report, page_history, version_record
from archive.search import WHERE, QueryError, Where, search
from crawler.run.exits import EXIT_USAGE
from newsarchive.cli.base import Failed, page_key, reading, site_profile
from newsarchive.cli.options import (
    db_option,
    json_option,
    parse_moment,
    parse_window,
    writable_file,
)
from newsarchive.cli.render import (
    change_line,
    copy_lines,
    diff_lines,
    history_lines,
    json_text,
    record_lines,
    search_lines,
)


@click.command()
@click.argument("url")
@db_option
@json_option
def history(url: str, db_url: str | None, as_json: bool) -> None:
    """Show an article's versions (number, capture time, changed fields) and every capture.

    \b
    newsarchive history http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    """
    key = page_key(url)
    with reading(db_url) as archive:
        found = page_history(archive, key)
    click.echo(json_text(found.to_json()) if as_json else "\n".join(history_lines(found)))


@click.command()
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
    key, moment = page_key(url), parse_moment(at)
    with reading(db_url) as archive:
        record = version_record(archive, key, number=number, at=moment)
    click.echo(json_text(record.to_json()) if as_json else "\n".join(record_lines(record)))


@click.command()
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
    key = page_key(url)
    with reading(db_url) as archive:
        newer = version_record(archive, key, number=new)
        older_number = old if old is not None else newer.version - 1
        if older_number < 1:
            raise Failed(f"{key} has only one version; there is nothing to compare.")
        older = version_record(archive, key, number=older_number)
    changes = diff_records(older, newer)
    click.echo(
        json_text(changes.to_json()) if as_json else "\n".join(diff_lines(changes, context=context))
    )


@click.command()
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
    now = datetime.now(UTC)
    since_at, until_at = parse_window(since, until, default_since=now - timedelta(days=1))
    start, end = since_at or now - timedelta(days=1), until_at or now + timedelta(seconds=1)
    if site is not None:
        site_profile(site)
    with reading(db_url) as archive:
        found = change_report(
            archive, since=start, until=end, kinds=kinds, classes=classes, site=site
        )
    if no_cosmetic:
        found = [e for e in found if tuple(e.classes) != ("cosmetic",)]
    if as_json:
        click.echo(json_text([event.to_json() for event in found]))
    elif found:
        click.echo("\n".join(change_line(event) for event in found))
    else:
        click.echo(f"nothing happened between {start.isoformat()} and {end.isoformat()}")


@click.command("search")
@click.argument("query")
@click.option(
    "--in",
    "where",
    type=click.Choice(WHERE),
    default="any",
    show_default=True,
    help="current: the latest version holds it; removed: only earlier versions did.",
)
@click.option("--site", help="Only this site's articles.")
@click.option("--from", "published_from", metavar="DATE", help="Published on or after this date.")
@click.option("--to", "published_to", metavar="DATE", help="Published on or before this date.")
@click.option("--limit", default=20, show_default=True, help="How many articles to show.")
@db_option
@json_option
def search_command(
    query: str,
    where: str,
    site: str | None,
    published_from: str | None,
    published_to: str | None,
    limit: int,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Find the articles whose title or text holds QUERY, in any version: words of one, two or
    more Chinese characters, mixed with Latin letters and digits (full-width or not, any case).

    Results are grouped by article, titles first, the latest versions before earlier ones, with
    the versions that hold the query and a snippet. --in removed finds what an article said once
    and no longer says: deleted or reworded text.

    \b
    newsarchive search 会议
    newsarchive search 疫情防控 --in removed --json
    newsarchive search 2025年 --site chencang --from 2025-01-01 --to 2025-06-30
    """
    start, end = parse_window(published_from, published_to)
    if site is not None:
        site_profile(site)
    with reading(db_url) as archive:
        try:
            found = search(
                archive,
                query,
                where=cast(Where, where),
                site=site,
                published_from=start,
                published_to=end,
                limit=limit,
            )
        except QueryError as exc:
            raise Failed(str(exc), EXIT_USAGE) from None
    if as_json:
        click.echo(json_text(found.to_json()))
    elif found.hits:
        click.echo("\n".join(search_lines(found)))
    else:
        click.echo(f"no article holds {query!r}" + ("" if where == "any" else f" ({where})"))


@click.command("copies")
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
    key = page_key(url)
    with reading(db_url) as archive:
        found = copies(archive, key)
    if as_json:
        click.echo(json_text([copy.to_json() for copy in found]))
    elif found:
        click.echo("\n".join(line for copy in found for line in copy_lines(copy)))
    else:
        click.echo("no known copies")


@click.command("get")
@click.argument("url")
@click.option(
    "--at", metavar="DATETIME", help="As it was at this time (ISO 8601; default: latest)."
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    callback=writable_file,
    help="Write the bytes to FILE (default: standard output, unless it is a terminal).",
)
@db_option
def get_command(url: str, at: str | None, output: str | None, db_url: str | None) -> None:
    """Write out the bytes of an archived file (an image, an attachment) or page, exactly as
    the capture received them: the latest capture that holds them, or the one current at --at.
    Its SHA-256, size and capture time are printed on standard error.

    \b
    newsarchive get http://www.chencang.gov.cn/col8173/col8174/202511/P020251128705167589802.pdf -o notice.pdf
    newsarchive get http://www.chencang.gov.cn/col8173/col8174/202511/W020251128516713021192.jpg --at 2025-12-02 > photo.jpg
    """
    key = page_key(url)
    moment = parse_moment(at)
    if output is None and sys.stdout.isatty():
        raise Failed(
            "The bytes are not text: give --output FILE, or redirect standard output.", EXIT_USAGE
        )
    with reading(db_url) as archive:
        held = held_bytes(archive, key, moment)
    if output is None:
        sys.stdout.buffer.write(held.data)
        sys.stdout.flush()
    else:
        Path(output).write_bytes(held.data)
    where = output or "standard output"
    click.echo(
        f"sha256:{held.sha256}  {len(held.data):,} bytes  {held.content_type or 'no Content-Type'}"
        f"  captured {held.captured_at.isoformat()}  → {where}",
        err=True,
    )
