"""A crawl's hold on its archive: opened (created if new), its site's lock taken, runs a killed
holder left open marked interrupted. Every failure is a CrawlRefused with its sentence and code."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from archive.clock import Clock
from archive.database import Archive, open_archive
from archive.errors import ArchiveError
from archive.store import Store
from crawler.run.exits import EXIT_STORAGE, EXIT_TEMPORARY, CrawlRefused, archive_refusal
from crawler.run.lock import CrawlLock, LockHeld, ServerLock, lock_path

logger = logging.getLogger(__name__)
# The commands that hold a site's crawl lock (a fetch of one page does not).
LOCKED_COMMANDS = ("crawl", "recheck", "reparse")


@dataclass
class Session:
    archive: Archive
    lock: CrawlLock | ServerLock | None = None

    def close(self) -> None:
        """Release the lock (after the run was closed) and the archive's connections."""
        if self.lock is not None:
            self.lock.release()
        self.archive.close()


def open_session(db_url: str | None, site: str, clock: Clock, *, locked: bool) -> Session:
    """The archive at `db_url`, with `site`'s crawl lock held when `locked`."""
    archive = open_writable(db_url, clock)
    if not locked:
        return Session(archive)
    try:
        lock = hold_site(archive, site)
    except BaseException:
        archive.close()
        raise
    return Session(archive, lock)


def hold_site(archive: Archive, site: str) -> CrawlLock | ServerLock:
    """`site`'s crawl lock, taken (CrawlRefused when another run holds it); runs a killed
    holder left "running" are then marked interrupted."""
    lock = _take_lock(archive, site)
    try:
        _interrupt_abandoned_runs(archive, site, LOCKED_COMMANDS)
    except BaseException:
        lock.release()
        raise
    return lock


def open_writable(db_url: str | None, clock: Clock) -> Archive:
    try:
        return open_archive(db_url, clock=clock)
    except ArchiveError as exc:
        refusal = archive_refusal(exc)
        raise CrawlRefused(refusal.sentence, refusal.exit_code) from None


def _take_lock(archive: Archive, site: str) -> CrawlLock | ServerLock:
    """One crawl of a site into an archive at a time; a lock its dead holder left is taken over.
    On a server database the lock lives in the server: crawls on several machines share it."""
    lock: CrawlLock | ServerLock
    if archive.engine.dialect.name == "postgresql":
        lock = ServerLock(archive.engine, site)
    else:
        url = archive.engine.url.render_as_string(hide_password=False)
        lock = CrawlLock(lock_path(url, site))
    try:
        stale = lock.acquire()
    except LockHeld as exc:
        raise CrawlRefused(str(exc), EXIT_TEMPORARY) from None
    except OSError as exc:
        raise CrawlRefused(
            f"Cannot take the crawl lock {lock.where}: {exc.strerror}.", EXIT_STORAGE
        ) from None
    if stale is not None:
        logger.warning("Took over the crawl lock of %s left by %s.", site, stale.describe())
    return lock


def _interrupt_abandoned_runs(archive: Archive, site: str, commands: Collection[str]) -> None:
    """With the lock held, runs a killed holder left "running" are marked interrupted."""
    cut_short = Store(archive).interrupt_abandoned_runs(site, commands)
    if cut_short:
        logger.warning(
            "Run %s of %s stopped without closing (killed?) and is marked interrupted; this crawl "
            "fetches what it had still to fetch.",
            ", ".join(map(str, cut_short)),
            site,
        )
