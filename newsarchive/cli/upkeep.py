"""The commands about the archive as a whole: export, verify, runs, sites, db upgrade."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import click

from archive.database import upgrade_archive
from archive.errors import ArchiveError
from archive.fixity import verify as verify_archive
from archive.query import iter_records
from archive.runs import runs
from crawler.run.exits import EXIT_ERRORS, EXIT_OK, EXIT_USAGE
from crawler.sites.profile import available_profiles
from newsarchive.cli.base import Failed, reading, site_profile
from newsarchive.cli.formats import write_csv, write_jsonl
from newsarchive.cli.options import db_option, json_option
from newsarchive.cli.render import json_text, run_line, site_json, site_line, verify_lines


@click.command()
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
    with reading(db_url) as archive, _open_output(output) as out:
        records = iter_records(archive, all_versions=all_versions, site=site)
        count = (write_csv if fmt == "csv" else write_jsonl)(records, out)
    if output:
        click.echo(f"{count} records written to {output}", err=True)


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
        click.echo("\n".join(run_line(run) for run in found))


@click.command()
@json_option
def sites(as_json: bool) -> None:
    """List the site profiles that can be crawled.

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


@contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as handle:
        yield handle
