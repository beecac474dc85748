"""The `newsarchive` command: one thin click command per task, grouped by topic in this package."""

from __future__ import annotations

import click

from newsarchive import __version__
from newsarchive.cli.crawling import crawl, fetch, recheck
from newsarchive.cli.discovering import discover_command
from newsarchive.cli.extracting import extract_command
from newsarchive.cli.history import (
    changes,
    copies_command,
    diff,
    get_command,
    history,
    search_command,
    show,
)
from newsarchive.cli.importing import import_command
from newsarchive.cli.reparsing import reparse_command
from newsarchive.cli.serving import serve
from newsarchive.cli.tracking import track, untrack
from newsarchive.cli.upkeep import db, export, runs_command, sites, status, verify
from newsarchive.cli.working import worker_command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsarchive")
def main() -> None:
    """A versioned, evidence-grade archive of government news columns.

    \b
    newsarchive crawl                      # backfill, then incremental crawls of 陈仓要闻
    newsarchive history URL                # an article's versions and captures
    newsarchive export --output news.jsonl # latest version of every article
    """


# In the order `newsarchive --help` lists them: fetching, reading, the archive as a whole.
for command in (crawl, fetch, recheck, untrack, track, extract_command, discover_command):
    main.add_command(command)
for command in (history, show, diff, changes, search_command, copies_command, get_command, serve):
    main.add_command(command)
for command in (status, export, import_command, reparse_command, verify, runs_command, sites, db):
    main.add_command(command)
main.add_command(worker_command)  # a long-running crawler; after the archive's commands
