"""The commands about the archive as a whole: export, verify, runs, sites, db upgrade/compact."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import click

from archive.compaction import compact
from archive.database import Archive, upgrade_archive
from archive.errors import ArchiveError
from archive.fixity import verify as verify_archive
from archive.formats.state import StateError
from archive.overview import overview
from archive.query import iter_record_json
from archive.runs import runs
from crawler.plan.crawl import due_now
from crawler.run.exits import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from crawler.sites.profile import available_profiles
from newsarchive.cli.base import Failed, reading, site_profile, writing
from newsarchive.cli.formats import (
    ARCHIVE_FORMATS,
    ArchiveExport,
    write_archive_format,
    write_csv,
    write_jsonl,
)
from newsarchive.cli.options import db_option, json_option, parse_window, writable_file
from newsarchive.cli.render import (
    RUNS_HEADER,
    compact_lines,
    json_text,
    run_line,
    site_json,
    site_line,
    status_lines,
    verify_lines,
)


@click.command()
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", *ARCHIVE_FORMATS]),
    default="jsonl",
    show_default=True,
    help="Records (jsonl, csv), or the captures as a WARC 1.1 file, its CDXJ index, or a WACZ.",
)
@click.option(
    "--output", "-o", metavar="FILE", callback=writable_file, help="File (default: stdout)."
)
@click.option("--site", help="Only this site's articles (warc, cdxj, wacz: captures).")
@click.option(
    "--since", metavar="DATETIME", help="Only versions (or captures) captured from this time."
)
@click.option(
    "--until", metavar="DATETIME", help="Only versions (or captures) captured before this time."
)
@click.option("--excel", is_flag=True, help="CSV for spreadsheets: UTF-8 with a byte order mark.")
@click.option(
    "--state",
    "state_path",
    metavar="FILE",
    callback=writable_file,
    help="warc, cdxj, wacz: only what came after the export this file records; then record this "
    "one (for cron: each capture exactly once).",
)
@click.option(
    "--warc-name",
    metavar="NAME",
    help="cdxj: the WARC file the index names [default: the output's name, ending .warc.gz].",
)
@db_option
def export(
    all_versions: bool,
    fmt: str,
    output: str | None,
    site: str | None,
    since: str | None,
    until: str | None,
    excel: bool,
    state_path: str | None,
    warc_name: str | None,
    db_url: str | None,
) -> None:
    """Export article records (the documented JSON record, with the page's state) as JSON Lines
    or CSV: the latest version of every article, or every version; with --since/--until, only
    versions captured in that window (the latest of those per article, by default). A date
    alone means the start of that day for --since and its end for --until.

    --format warc writes every capture (of every page: articles, list pages, files) in the
    window as a WARC 1.1 file for web archives and replay tools: each HTTP exchange as
    received (a 304 as a revisit of the page it confirms), and metadata records with each
    capture, version and lifecycle event (README: Standards). --format cdxj writes the CDXJ
    index of that same WARC, --format wacz both in one WACZ package with a page list. The
    same archive gives the same bytes. With --state FILE, an export holds only the captures
    and events after those of the export FILE records, then records its own: run daily, it
    exports each capture exactly once.

    \b
    newsarchive export --output chencang.jsonl
    newsarchive export --all-versions --format csv --excel -o versions.csv
    newsarchive export --since 2025-12-01 --until 2025-12-07 -o week.jsonl
    newsarchive export --format warc -o chencang.warc.gz
    newsarchive export --format cdxj -o chencang.cdxj    # indexes chencang.warc.gz
    newsarchive export --format wacz --since 2025-12-01 -o december.wacz
    newsarchive export --format warc --state warc.state -o "chencang-$(date +%F).warc.gz"
    """
    start, end = parse_window(since, until)
    if site is not None:
        site_profile(site)
    if fmt in ARCHIVE_FORMATS:
        job = _archive_job(fmt, output, site, start, end, state_path, warc_name)
        _refuse_record_options(fmt, all_versions, excel)
        with reading(db_url) as archive:
            click.echo(_archive_export(archive, job), err=True)
        return
    if state_path or warc_name:
        option = "--state" if state_path else "--warc-name"
        raise Failed(f"{option} is for --format warc, cdxj or wacz.", EXIT_USAGE)
    if excel and fmt != "csv":
        raise Failed("--excel is for --format csv.", EXIT_USAGE)
    encoding = "utf-8-sig" if excel else "utf-8"
    with reading(db_url) as archive, _open_output(output, encoding) as out:
        records = iter_record_json(
            archive, all_versions=all_versions, site=site, since=start, until=end
        )
        count = (write_csv if fmt == "csv" else write_jsonl)(records, out)
    if output:
        click.echo(f"{count} records written to {output}", err=True)


def _archive_job(
    fmt: str,
    output: str | None,
    site: str | None,
    start: datetime | None,
    end: datetime | None,
    state_path: str | None,
    warc_name: str | None,
) -> ArchiveExport:
    if output is None:
        raise Failed(f"--format {fmt} needs --output FILE.", EXIT_USAGE)
    if state_path is not None and end is not None:
        raise Failed(
            "--until cannot be used with --state: the state moves on by capture, not by time.",
            EXIT_USAGE,
        )
    if warc_name is not None and fmt != "cdxj":
        raise Failed("--warc-name is for --format cdxj.", EXIT_USAGE)
    state = Path(state_path) if state_path else None
    return ArchiveExport(fmt, Path(output), site, start, end, state, warc_name)


def _refuse_record_options(fmt: str, all_versions: bool, excel: bool) -> None:
    if all_versions or excel:
        option = "--all-versions" if all_versions else "--excel"
        raise Failed(f"{option} is for records (jsonl, csv), not --format {fmt}.", EXIT_USAGE)


def _archive_export(archive: Archive, job: ArchiveExport) -> str:
    try:
        return write_archive_format(archive, job)
    except StateError as exc:
        raise Failed(str(exc), EXIT_USAGE) from None


@click.command()
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
    with reading(db_url) as archive:
        report = verify_archive(archive)
    click.echo(json_text(report.to_json()) if as_json else "\n".join(verify_lines(report)))
    sys.exit(EXIT_OK if report.ok else EXIT_ERRORS)


@click.command()
@db_option
@json_option
def status(db_url: str | None, as_json: bool) -> None:
    """The archive at a glance: each site's articles by state, versions and captures, its last
    run and how it ended, and the re-checks a crawl would make now (by the shipped settings and
    the site's profile) with the one past its floor the longest; the blobs stored and their
    bytes.

    \b
    newsarchive status
    newsarchive status --json
    """
    now = datetime.now(UTC)
    with reading(db_url) as archive:
        found = overview(archive)
        due = {site.name: due_now(archive, site.name, now) for site in found.sites}
    if as_json:
        shape = found.to_json()
        for site in shape["sites"]:
            site["rechecks_due"] = due[site["name"]].to_json()
        click.echo(json_text(shape))
    else:
        click.echo("\n".join(status_lines(found, due)))


@click.command("runs")
@click.option("--limit", default=20, show_default=True, help="How many of the latest runs.")
@db_option
@json_option
def runs_command(limit: int, db_url: str | None, as_json: bool) -> None:
    """List the latest crawl and fetch runs with their counts and exit codes.

    \b
    newsarchive runs --limit 5
    """
    with reading(db_url) as archive:
        found = runs(archive, limit=limit)
    if as_json:
        click.echo(json_text([run.to_json() for run in found]))
    elif found:
        click.echo("\n".join([RUNS_HEADER, *(run_line(run) for run in found)]))


@click.command()
@json_option
def sites(as_json: bool) -> None:
    """List the site profiles: each site's news column, what vouches for it (confidence, whether
    a crawl from here has verified it, the evidence in words), and whether it can be crawled.

    \b
    newsarchive sites --json
    """
    profiles = [site_profile(name) for name in available_profiles()]
    if as_json:
        click.echo(json_text([site_json(profile) for profile in profiles]))
    else:
        click.echo("\n".join(site_line(profile) for profile in profiles))


@click.group()
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


@db.command("compact")
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Pages (or versions) per transaction.",
)
@click.option("--vacuum", is_flag=True, help="SQLite: then VACUUM, so the file itself shrinks.")
@db_option
@json_option
def db_compact(batch: int, vacuum: bool, db_url: str | None, as_json: bool) -> None:
    """Re-encode the archive's payloads and stored text in their smallest forms: Zstandard with
    each site's dictionary (trained now from what the site holds, if it has none), a page's
    payloads as deltas of its previous one, version text and search segments packed. Crawls
    write these forms themselves; run this once on an archive written before (after `db
    upgrade`).

    Nothing is lost: each new form is decoded again and must give the same bytes (the same
    SHA-256) or the same text before it replaces the old one. Each batch is one transaction, so
    it may be stopped at any time and run again: it carries on with what is left. A crawl may
    run meanwhile. Exits 1 and names them when some payloads no longer match their SHA-256
    (those are left as they are; `verify` reports them too).

    \b
    newsarchive db compact
    newsarchive db compact --vacuum --json
    """
    with writing(db_url) as archive:
        progress = compact(archive, batch=batch)
        vacuumed = vacuum and archive.engine.dialect.name == "sqlite"
        if vacuumed:
            with archive.engine.connect() as connection:
                connection.exec_driver_sql("VACUUM")
    found = {**progress.to_json(), "vacuumed": vacuumed}
    click.echo(json_text(found) if as_json else "\n".join(compact_lines(found)))
    sys.exit(EXIT_OK if not progress.damaged else EXIT_ERRORS)


@contextmanager
def _open_output(path: str | None, encoding: str) -> Iterator[TextIO]:
    if path is None:
        if encoding == "utf-8-sig":
            sys.stdout.write("\ufeff")
        yield sys.stdout
        return
    with open(path, "w", encoding=encoding, newline="") as handle:
        yield handle
