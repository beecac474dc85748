"""`newsarchive reparse`: stored captures read again by today's profiles, never fetching."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import click

from archive.browse import site_names
from archive.database import Archive
from archive.runs import FINISHED, RunArguments
from archive.store import Store
from crawler.run.exits import EXIT_OK, CrawlRefused
from newsarchive.cli.base import Failed, page_key, site_profile, writing
from newsarchive.cli.options import db_option, json_option, parse_moment
from newsarchive.cli.render import json_text


@click.command("reparse")
@click.option("--site", help="Only this site's articles (default: every site's).")
@click.option("--since", metavar="DATETIME", help="Only answers captured at or after this time.")
@click.option("--url", "urls", multiple=True, metavar="URL", help="Only this article (repeatable).")
@click.option("--dry-run", is_flag=True, help="Say what would change; write nothing.")
@db_option
@json_option
def reparse_command(
    site: str | None,
    since: str | None,
    urls: tuple[str, ...],
    dry_run: bool,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Read the archive's stored answers again with today's site profiles and extractor,
    fetching nothing: for each article, its latest answer the archive holds the bytes of.

    A page that could not be read becomes a version (new); one whose reading now differs from
    its latest version gets a version classed `reparse` (reparsed), as a crawl records a
    parser's change. Each site's crawl lock is held; each page is its own transaction, so a
    reparse killed midway keeps what it did and the next one goes on from there; a second
    run adds nothing. --dry-run prints what would change.

    \b
    newsarchive reparse --site chencang --dry-run
    newsarchive reparse --since 2026-11-01 --json
    newsarchive reparse --url http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html
    """
    from crawler.imports.importer import default_validation
    from crawler.run.reparse import ReparseOptions, Reparser

    if site is not None:
        site_profile(site)
    options = ReparseOptions(site, parse_moment(since), tuple(page_key(u) for u in urls), dry_run)
    with writing(db_url) as archive, _held(archive, options) as runs:
        reparser = Reparser(archive, default_validation(), archive.clock)
        answers = list(reparser.answers(options))
        with _progress(len(answers), as_json) as advance:
            summary = reparser.run(options, iter(answers), advance)
        for run_id in runs.values():
            Store(archive).finish_run(run_id, FINISHED, summary.to_json(), EXIT_OK)
    click.echo(json_text(summary.to_json()) if as_json else "\n".join(_lines(summary.to_json())))


@contextmanager
def _held(archive: Archive, options: Any) -> Iterator[dict[str, int]]:
    """The crawl lock of each site concerned, and a run of each (none for a dry run): a run
    killed midway stays "running" until the next holder of the lock marks it interrupted."""
    from crawler.run.session import hold_site
    from crawler.sites.profile import load_profile

    sites = [options.site] if options.site is not None else site_names(archive)
    runs: dict[str, int] = {}
    with ExitStack() as stack:
        for name in sites:
            try:
                lock = hold_site(archive, name)
            except CrawlRefused as refused:
                raise Failed(refused.refusal.sentence, refused.refusal.exit_code) from None
            stack.callback(lock.release)
            if not options.dry_run:
                arguments = RunArguments(command="reparse", site=name)
                runs[name] = Store(archive).begin_run(load_profile(name).origin, arguments)
        yield runs


@contextmanager
def _progress(total: int, as_json: bool) -> Iterator[Any]:
    """A progress bar on a terminal; nothing otherwise."""
    if as_json or not sys.stderr.isatty() or total == 0:
        yield lambda _: None
        return
    with click.progressbar(length=total, label="reparse", file=sys.stderr) as bar:
        yield lambda _: bar.update(1)


def _lines(shape: dict[str, Any]) -> list[str]:
    verb = "would make" if shape["dry_run"] else "made"
    outcomes = shape["outcomes"]
    made = outcomes.get("new", 0) + outcomes.get("reparsed", 0)
    lines = [
        f"read {shape['read']} stored answers: {verb} {made} versions "
        f"({outcomes.get('new', 0)} new, {outcomes.get('reparsed', 0)} reparsed), "
        f"{outcomes.get('unchanged', 0)} unchanged, {sum(shape['unreadable'].values())} "
        f"unreadable, {sum(shape['rejected'].values())} refused by validation"
    ]
    for version in shape["versions"]:
        fields = ", ".join(version["changed_fields"])
        lines.append(
            f"  {version['outcome']:<9} {version['url']}" + (f"  [{fields}]" if fields else "")
        )
    return lines
