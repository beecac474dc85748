"""Running the `newsarchive` command: crawls in a subprocess, as users and cron run them (one Twisted
reactor per process); every other command in this process through click's test runner, which
calls the same entry point with the same arguments, output streams and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from newsarchive.cli import main

# Politeness lifted for the local replica, as the README shows.
FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s",
    "AUTOTHROTTLE_ENABLED=false",
]
# Every article checked every day and every list page walked every day, so each event can be
# expected on the day it happens; in-process extraction and writes keep 30 crawls quick.
DAILY = [
    *("-s", "NEWSARCHIVE_REVISIT_STEPS=1d=0", "-s", "NEWSARCHIVE_REVISIT_FLOOR=1d"),
    *("-s", "NEWSARCHIVE_LIST_WALK_EVERY=0"),
    *("-s", "NEWSARCHIVE_EXTRACT_WORKERS=0", "-s", "NEWSARCHIVE_WRITER_PROCESS=false"),
]
# The record fields the replica's truth states (the archive's record has bylines too).
RECORD_FIELDS = (
    "title",
    "published_at",
    "source",
    "column",
    "body",
    "images",
    "attachments",
    "links",
    "doc_id",
)


# The commands that run a crawl, and so need a process of their own.
CRAWLING = frozenset({"crawl", "fetch", "recheck"})


def newsarchive(*args: str | Path, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`newsarchive ARGS --db DB`, its output captured; never raises on a non-zero exit."""
    argv = [*map(str, args), *(["--db", str(db)] if db is not None else [])]
    if argv and argv[0] in CRAWLING and "--help" not in argv:
        command = [sys.executable, "-m", "newsarchive", *argv]
        return subprocess.run(command, capture_output=True, text=True, timeout=600)
    return in_process(argv)


def in_process(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """The command run by click's test runner; an exception that escapes the command (which a
    real process would print as a traceback) fails the test where it happened."""
    result = CliRunner().invoke(main, argv, prog_name="newsarchive", catch_exceptions=False)
    return subprocess.CompletedProcess(
        ["newsarchive", *argv], result.exit_code, result.stdout, result.stderr
    )


def crawl(
    base_url: str, db: Path, *extra: str, exit_codes: tuple[int, ...] = (0,)
) -> dict[str, Any]:
    """A crawl of the replica; returns the run's --json summary."""
    done = newsarchive("crawl", "--base-url", base_url, *FAST, "--json", *extra, db=db)
    assert done.returncode in exit_codes, done.stderr + done.stdout
    return json.loads(done.stdout)


def export(db: Path, *extra: str) -> list[dict[str, Any]]:
    done = newsarchive("export", *extra, db=db)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def as_json(*args: str | Path, db: Path) -> Any:
    done = newsarchive(*args, "--json", db=db)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
