"""Running the `newsarchive` command in a subprocess, as users and cron do (one reactor per process)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# Politeness lifted for the local replica, as the README shows.
FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "-s",
    "AUTOTHROTTLE_ENABLED=false",
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


def newsarchive(*args: str | Path, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`newsarchive ARGS --db DB`, its output captured; never raises on a non-zero exit."""
    command = [sys.executable, "-m", "newsarchive", *map(str, args)]
    if db is not None:
        command += ["--db", str(db)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


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
