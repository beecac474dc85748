"""Helpers for the operations tests: crawls started in the background, and archives compared."""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from tests.cli import FAST

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


ROOT = Path(__file__).resolve().parent.parent
# The two ways to run a crawl: the newsarchive command, and Scrapy's own from the project folder.
ENTRY_POINTS = ("newsarchive", "scrapy")


def crawl_command(base_url: str, db: Path, *extra: str, entry: str = "newsarchive") -> list[str]:
    """`newsarchive crawl` (with --json), or `scrapy crawl chencang`, of the replica into `db`."""
    if entry == "scrapy":
        arguments = ["-a", f"base_url={base_url}", *FAST, "-s", f"NEWSARCHIVE_DB={db}"]
        return [sys.executable, "-m", "scrapy", "crawl", "chencang", *arguments, *extra]
    command = [sys.executable, "-m", "newsarchive", "crawl", "--base-url", base_url, *FAST]
    return [*command, *extra, "--json", "--db", str(db)]


def start_crawl(
    base_url: str, db: Path, *extra: str, entry: str = "newsarchive", **popen: Any
) -> subprocess.Popen[str]:
    """A crawl in the background, in its own process group (as cron starts it)."""
    return subprocess.Popen(
        crawl_command(base_url, db, *extra, entry=entry),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=ROOT,
        **popen,
    )


def run_crawl(
    base_url: str, db: Path, *extra: str, entry: str = "newsarchive"
) -> subprocess.CompletedProcess[str]:
    """A crawl run to its end, its output captured; never raises on a non-zero exit."""
    command = crawl_command(base_url, db, *extra, entry=entry)
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)


def count(db: Path, sql: str) -> int:
    """One number from the archive, read as another process would (0 before it exists)."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)) as connection:
            return int(connection.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:  # no tables yet: the archive is being created
        return 0


def wait_until(
    condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float
) -> bool:
    """Poll until `condition` holds (True) or the process ends or time runs out (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.02)
    return False


def child_holding(pid: int, path: Path) -> int | None:
    """The child process of `pid` that has `path` open (the archive writer holds the archive)."""
    children = [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    for child in children:
        with contextlib.suppress(OSError):
            if any(str(path) == os.readlink(fd) for fd in Path(f"/proc/{child}/fd").iterdir()):
                return child
    return None


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])


def content(db: Path) -> dict[str, Any]:
    """What an archive holds, independent of how many times it was crawled: every page by URL with
    its kind, state and versions (number and content hash), and the blobs of those versions."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        pages = {
            url: (kind, state, [])
            for url, kind, state in connection.execute(
                "SELECT current_url, kind, state FROM page WHERE kind = 'article'"
            )
        }
        versions = connection.execute(
            "SELECT p.current_url, v.number, v.content_sha256 FROM version v "
            "JOIN page p ON p.id = v.page_id ORDER BY p.current_url, v.number"
        )
        for url, number, sha256 in versions:
            pages[url][2].append((number, sha256))
    return {url: (kind, state, tuple(found)) for url, (kind, state, found) in pages.items()}


def limit_file_size(limit: int) -> Callable[[], None]:
    """A preexec_fn: no file the crawl writes may grow past `limit` bytes (a disk that fills up).
    SIGXFSZ is ignored, so the write fails with EFBIG instead of killing the process."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def honour_file_modes() -> None:
    """A preexec_fn: root, too, is refused what file modes forbid (CAP_DAC_OVERRIDE dropped from
    the bounding set, so the exec'd process does not get it back). Nothing to do for other users."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")
