"""The documented exit codes, the worst of several, and a crawl that would not start: its sentence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from archive.errors import ArchiveError, NotArchived, SchemaTooOld, StorageError

# sysexits.h names the codes above 2.
EXIT_OK = 0
EXIT_ERRORS = 1  # finished, but some pages failed; or what was asked for is not archived
EXIT_USAGE = 2  # usage or configuration error
EXIT_DEGRADED = 3  # finished, but the profile's rules missed on too many pages (drift)
EXIT_REFUSED = 65  # EX_DATAERR: the page fetched is not one the archive takes (not HTML, too big)
EXIT_UNREACHABLE = 69  # EX_UNAVAILABLE: no request got any answer (DNS, refused, no network)
EXIT_STORAGE = 74  # EX_IOERR: the archive could not be opened or written (disk full)
EXIT_TEMPORARY = 75  # EX_TEMPFAIL: locked by another crawl, or the host answers challenges
EXIT_INTERRUPTED = 130  # stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report Ctrl-C)


# The exit code of several crawls in one process is the worst of theirs, worst first: stopped by
# a signal; what needs a person before any crawl can work (the archive, the configuration); a
# site not crawled at all (unreachable; blocked or locked: try later); a crawl whose profile
# drifted (as in one run, where drift outranks failed pages); one with failed pages; done.
WORST_FIRST = (
    EXIT_INTERRUPTED,
    EXIT_STORAGE,
    EXIT_USAGE,
    EXIT_UNREACHABLE,
    EXIT_TEMPORARY,
    EXIT_REFUSED,
    EXIT_DEGRADED,
    EXIT_ERRORS,
    EXIT_OK,
)


def worst_exit(codes: Iterable[int]) -> int:
    """The worst of `codes` by WORST_FIRST (a code not in it counts as worst of all); 0 if none."""
    rank = {code: place for place, code in enumerate(WORST_FIRST)}
    return min(codes, key=lambda code: rank.get(code, -1), default=EXIT_OK)


@dataclass(frozen=True)
class Refusal:
    """Why a crawl did not start, or a fetch kept nothing: one sentence and its exit code."""

    sentence: str
    exit_code: int


class CrawlRefused(Exception):
    """Raised while a crawl is being set up; the crawl then does nothing and exits with the code."""

    def __init__(self, sentence: str, exit_code: int) -> None:
        super().__init__(sentence)
        self.refusal = Refusal(sentence, exit_code)


def archive_refusal(exc: ArchiveError) -> Refusal:
    """What the user is told, and the exit code, when the archive refused: the commands that
    mend an archive are named here, never by the archive itself."""
    sentence = str(exc).rstrip(".") + "."
    if isinstance(exc, SchemaTooOld):
        sentence = f"{str(exc).rstrip('.')}: newsarchive db upgrade --db {exc.location}"
    if isinstance(exc, StorageError):
        return Refusal(sentence, EXIT_STORAGE)
    if isinstance(exc, NotArchived):
        return Refusal(sentence, EXIT_ERRORS)
    return Refusal(sentence, EXIT_USAGE)
