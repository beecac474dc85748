"""`newsarchive import`: WARC files and WACZ packages recorded into the archive."""

from __future__ import annotations

from pathlib import Path

import click

from crawler.run.exits import EXIT_REFUSED
from newsarchive.cli.base import Failed, site_profile, writing
from newsarchive.cli.options import db_option, json_option
from newsarchive.cli.render import json_text


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--site",
    help="Record captures on hosts no profile knows as this site's (a local copy of it).",
)
@click.option("--dry-run", is_flag=True, help="Read and judge every capture; write nothing.")
@db_option
@json_option
def import_command(
    file: Path, site: str | None, dry_run: bool, db_url: str | None, as_json: bool
) -> None:
    """Record the captures of a WARC file (.warc, .warc.gz) or WACZ package into the archive,
    each as a crawl records a page: judged, read, cleaned and validated by the same rules,
    versioned and deduplicated, at its WARC-Date. A newsarchive export imports whole: pages,
    captures, versions and lifecycle events as they were.

    Captures are taken in time order: one older than what the archive holds of its page is
    refused (counted). Records of hosts no site profile knows are skipped (counted), unless
    --site names the site they are a copy of. A record that cannot be read (a digest that does
    not match, a file cut short) is one sentence on standard error, and the rest is imported;
    then the exit code is 1. A file that is no WARC is exit 65, and nothing is written.

    \b
    newsarchive import chencang-2025-12.warc.gz
    newsarchive import wget-copy.warc.gz --site chencang --dry-run
    """
    from crawler.imports.importer import Importer, ImportOptions
    from crawler.imports.warc import NotAWarc

    if site is not None:
        site_profile(site)
    options = ImportOptions(site=site, dry_run=dry_run)
    with writing(db_url, create=not dry_run) as archive:
        try:
            summary = Importer(archive, options).run(file)
        except NotAWarc as exc:
            raise Failed(str(exc), EXIT_REFUSED) from None
    for sentence in summary.unreadable:
        click.echo(f"Error: {sentence}", err=True)
    if as_json:
        click.echo(json_text(summary.to_json()))
    else:
        click.echo(_summary_line(summary.to_json()))
    if summary.exit_code:
        raise SystemExit(summary.exit_code)


def _summary_line(shape: dict[str, object]) -> str:
    verb = "would record" if shape["dry_run"] else "recorded"
    parts = [f"{shape['file']}: {verb} {shape['captures']} captures"]
    for key in ("recorded", "skipped", "refused"):
        counts = shape[key]
        assert isinstance(counts, dict)
        if counts and key != "recorded":
            parts.append(f"{key} " + ", ".join(f"{n} {why}" for why, n in counts.items()))
        elif counts:
            parts[0] += " (" + ", ".join(f"{n} {o}" for o, n in counts.items()) + ")"
    if shape["events"]:
        parts.append(f"{shape['events']} events")
    if shape["versions"]:
        parts.append(f"{shape['versions']} versions read again by a reparse")
    if shape["unreadable"]:
        parts.append(f"{len(shape['unreadable'])} records unreadable")  # type: ignore[arg-type]
    return "; ".join(parts)
