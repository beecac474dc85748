"""Which files an article references a crawl fetches, how (conditionally, once per run, a held
one again only once its re-check interval passed), and which it refuses and why: too big, of a
type not taken, on another host."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from posixpath import splitext
from urllib.parse import urlsplit

from archive.database import Archive
from archive.files import HOLDING, FileState, file_state, file_urls, latest_references
from archive.records import ArticleRecord, Outcome
from crawler.sites.profile import FileRules
from crawler.sites.urls import SiteUrls


@dataclass(frozen=True)
class FileRef:
    """A file an article references: its canonical URL and what it is to the article."""

    url: str
    role: str  # image | attachment


def references(record: ArticleRecord) -> list[FileRef]:
    """The record's images, then its attachments, each once."""
    found = [FileRef(url, "image") for url in record.images]
    found += [FileRef(link.url, "attachment") for link in record.attachments]
    return list({ref.url: ref for ref in found}.values())


class FilePolicy:
    """The profile's rules for files, as questions a crawl asks of each one."""

    def __init__(self, rules: FileRules, urls: SiteUrls, max_size: int | None = None) -> None:
        self.rules = rules
        self.urls = urls
        self.max_size = max_size or rules.max_size

    def offsite(self, url: str) -> str | None:
        """Why a file on another host is not fetched (None: it is)."""
        if self.rules.offsite or self.urls.is_own(url):
            return None
        host = urlsplit(url).hostname or url
        return f"on another host ({host}): recorded, not fetched (the profile's [files] offsite)"

    def too_big(self, announced: int | None) -> str | None:
        if announced is None or announced <= self.max_size:
            return None
        return f"{announced:,} bytes announced, over the {self.max_size:,}-byte cap for files"

    def type_refused(self, url: str, *media_types: str | None) -> str | None:
        """Why a file is not taken: neither its extension nor any of its media types (declared
        or sniffed) is one the profile takes. None when one of them is."""
        extension = splitext(urlsplit(url).path)[1].lstrip(".").lower()
        if extension in self.rules.extensions:
            return None
        for media_type in media_types:
            if media_type and self._takes(media_type):
                return None
        shown = ", ".join(t for t in media_types if t) or "no type"
        return f"a type not taken: .{extension or '(none)'}, {shown}"

    def _takes(self, media_type: str) -> bool:
        bare = media_type.split(";")[0].strip().lower()
        return any(fnmatch.fnmatchcase(bare, pattern) for pattern in self.rules.media_types)


# A file's capture that found the bytes the archive holds (or new ones): the file is held.
_HELD = HOLDING | {Outcome.NOT_MODIFIED.value}


class FilePlan:
    """The files a crawl asks for: each once per run, conditionally when the archive holds it,
    and a held one only when its last capture is `recheck_every` old (a zero interval: with
    every check of its article); a refusal for a reason already recorded is not recorded again
    every run."""

    def __init__(
        self,
        archive: Archive,
        policy: FilePolicy,
        recheck_every: timedelta = timedelta(0),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.archive = archive
        self.policy = policy
        self.recheck_every = recheck_every
        self.clock = clock
        self.asked: set[str] = set()
        # The archive's file URLs, read once a run: most files a crawl asks for are new, and
        # asking the archive about each cost the crawler more than fetching it.
        self._known: set[str] | None = None
        self._states: dict[str, FileState | None] = {}

    def new(self, refs: Iterable[FileRef]) -> list[FileRef]:
        """Those of `refs` not asked for yet in this run (now marked asked)."""
        fresh = [ref for ref in refs if ref.url not in self.asked]
        self.asked.update(ref.url for ref in fresh)
        return fresh

    def of_article(self, url: str) -> list[FileRef]:
        """The files the archived (latest) version of an article names: for a 304."""
        return [FileRef(u, role) for u, role, _ in latest_references(self.archive, url)]

    def validators(self, url: str) -> dict[str, str]:
        """Conditional request headers for a file the archive holds."""
        state = self._state(url)
        headers = {}
        if state is not None and state.etag:
            headers["If-None-Match"] = state.etag
        if state is not None and state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return headers

    def due(self, url: str) -> bool:
        """Whether the file is fetched: not held yet (new, or its last capture failed), or held
        and last captured `recheck_every` ago or more."""
        state = self._state(url)
        if state is None or state.outcome not in _HELD or state.captured_at is None:
            return True
        if not self.recheck_every or self.clock is None:
            return True
        return state.captured_at + self.recheck_every <= self.clock()

    def refused_before(self, url: str, reason: str) -> bool:
        state = self._state(url)
        return state is not None and state.outcome == Outcome.REJECTED and state.error == reason

    def _state(self, url: str) -> FileState | None:
        """The file's state in the archive; None for a URL no file page had when the run began
        (a file is asked for once a run, so none recorded since is asked about)."""
        if self._known is None:
            self._known = file_urls(self.archive)
        if url not in self._known:
            return None
        if url not in self._states:
            self._states[url] = file_state(self.archive, url)
        return self._states[url]
