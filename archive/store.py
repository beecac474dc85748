"""The one write path: an observed fetch, its payload and any new version, in one transaction."""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    Insert,
    Select,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from archive import blobs, captures, changes, dedup, fixity, lifecycle, search
from archive.changes import version_counts
from archive.compression import Compression
from archive.copies import keep_mirror_copy
from archive.database import Archive
from archive.diff import field_counts
from archive.errors import ArchiveError, NotArchived
from archive.lifecycle import Event, Rules, State, Status
from archive.models import (
    Capture,
    CrawlRun,
    Page,
    PageEvent,
    PageUrl,
    Site,
    Version,
    VersionChange,
)
from archive.records import (
    RECORD_FIELDS,
    Observation,
    Outcome,
    PageKind,
    Recorded,
    changed_fields,
    content_sha256,
    record_sha256,
)
from archive.runs import INTERRUPTED, RUNNING, RunArguments
from archive.text import similarity

# Re-reads an earlier payload with today's parser: (payload, Content-Type, url) -> record fields,
# or None if it holds no article. Lets a parser upgrade be told apart from an edit.
Reparser = Callable[[bytes, str | None, str], Mapping[str, Any] | None]

# Core statements, not the ORM's unit of work: a page is a handful of statements in one
# transaction, and a crawl writes thousands of pages.
PAGE, VERSION = cast(Table, Page.__table__), cast(Table, Version.__table__)
CAPTURE, CHANGE, SITE, RUN = (
    cast(Table, m.__table__) for m in (Capture, VersionChange, Site, CrawlRun)
)
PAGE_URL, EVENT = cast(Table, PageUrl.__table__), cast(Table, PageEvent.__table__)
_UPSERT_DIALECTS: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
# Statements built once and executed with parameters: SQLAlchemy then compiles each only once.
_PAGE_COLUMNS = (
    PAGE.c.id,
    PAGE.c.kind,
    PAGE.c.current_url,
    PAGE.c.state,
    PAGE.c.missing_since,
    PAGE.c.missing_checks,
    PAGE.c.last_captured_at,
    PAGE.c.is_listed,
)
_PAGE_BY_URL = (
    select(*_PAGE_COLUMNS)
    .join(PAGE_URL, PAGE_URL.c.page_id == PAGE.c.id)
    .where(PAGE_URL.c.url == bindparam("url"))
)
# The site's pages with a doc id (the article among them is picked out after): with the kind in
# the query, SQLite reads the site's articles through an index of (site_id, kind), every one.
_PAGES_BY_DOC_ID = select(*_PAGE_COLUMNS).where(
    PAGE.c.site_id == bindparam("site_id"), PAGE.c.doc_id == bindparam("doc_id")
)
_URL_OWNER = select(PAGE_URL.c.page_id).where(PAGE_URL.c.url == bindparam("url"))
_LATEST_VERSION = (
    select(VERSION.c.id, VERSION.c.number, VERSION.c.content_sha256, VERSION.c.parser_version)
    .where(VERSION.c.page_id == bindparam("page_id"))
    .order_by(VERSION.c.number.desc())
    .limit(1)
)
_VERSION_FIELDS = select(*(VERSION.c[name] for name in RECORD_FIELDS)).where(
    VERSION.c.id == bindparam("version_id")
)
_VERSION_PAYLOAD = (
    select(CAPTURE.c.payload_sha256, CAPTURE.c.headers)
    .where(CAPTURE.c.version_id == bindparam("version_id"), CAPTURE.c.payload_sha256.is_not(None))
    .order_by(CAPTURE.c.id)
    .limit(1)
)
# The latest capture that holds a file's bytes: what a new fetch of it is compared with.
_LATEST_FILE_BYTES = (
    select(CAPTURE.c.payload_sha256)
    .where(
        CAPTURE.c.page_id == bindparam("page_id"),
        CAPTURE.c.payload_sha256.is_not(None),
        CAPTURE.c.outcome.in_([o.value for o in (Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED)]),
    )
    .order_by(CAPTURE.c.captured_at.desc(), CAPTURE.c.id.desc())
    .limit(1)
)
_REFERRER_VERSION = (
    select(VERSION.c.id)
    .join(PAGE_URL, PAGE_URL.c.page_id == VERSION.c.page_id)
    .where(PAGE_URL.c.url == bindparam("url"))
    .order_by(VERSION.c.number.desc())
    .limit(1)
)
_UPDATE_PAGE = update(PAGE).where(PAGE.c.id == bindparam("page_id_"))
_SET_PUBLISHED = _UPDATE_PAGE.values(published_at=bindparam("published"))
# A run's chain head as of the transaction's end (archive.fixity: kept with every commit).
_KEEP_RUN_HEAD = (
    update(RUN).where(RUN.c.id == bindparam("run_id")).values(chain_sha256=bindparam("digest"))
)
# A quiet capture stores its digest when this many before it in its run stored none: a damaged
# one is then found within this many captures (archive.fixity).
CHECKPOINT_EVERY = 64


class _FetchFailed(Exception):
    """A fetch of a batch written without savepoints failed: the batch is rolled back."""


@dataclass(frozen=True)
class _Decision:
    """What a capture does to the page's versions."""

    outcome: Outcome
    version_id: int | None = None
    number: int | None = None
    changed: tuple[str, ...] = ()
    new_fields: Mapping[str, Any] | None = None
    duplicates: tuple[tuple[str, str, float], ...] = ()


class Store:
    """Writes into an archive. Nothing here updates or deletes history rows."""

    def __init__(
        self, archive: Archive, *, reparse: Reparser | None = None, rules: Rules | None = None
    ) -> None:
        self.archive = archive
        self.reparse = reparse
        self.rules = rules or Rules()
        self._site_ids: dict[str, int] = {}
        self._heads: dict[int, str] = {}
        # Per run written in the transaction, its chain's head: kept on the run before commit.
        self._run_heads: dict[int, str] = {}
        # Per run, its captures since the last that stored its digest (archive.fixity).
        self._unstored: dict[int, int] = {}
        # The captures of the transaction being written: none is a base yet (archive.captures).
        self._written: set[int] = set()
        # The search index rows of the versions written in the transaction, inserted at its end.
        self._unindexed: list[dict[str, Any]] = []
        # Told of every rollback by _writing and record_many, not by engine events: any engine
        # event costs every statement SQLAlchemy's dispatch of its execution events.
        self.compression = Compression()

    def begin_run(self, origin: str, arguments: RunArguments) -> int:
        """Open a crawl_run row and return its id."""
        with self.archive.engine.begin() as connection:
            values = {
                "site_id": self._site_id(connection, arguments.site, origin),
                "command": arguments.command,
                "arguments": arguments.to_json(),
                "started_at": self.archive.clock(),
                "status": RUNNING,
                "counts": {},
            }
            return _insert(connection, RUN, values)

    def finish_run(
        self, run_id: int, status: str, counts: Mapping[str, Any], exit_code: int
    ) -> None:
        """Close a run with its final status, counts and exit code (a run row is set once, here)."""
        values = {
            "finished_at": self.archive.clock(),
            "status": status,
            "counts": dict(counts),
            "exit_code": exit_code,
        }
        with self.archive.engine.begin() as connection:
            values["chain_sha256"] = fixity.chain_head(connection, run_id)
            connection.execute(update(RUN).where(RUN.c.id == run_id).values(values))

    def interrupt_abandoned_runs(self, site: str, commands: Collection[str]) -> list[int]:
        """Mark `site`'s runs of these commands still "running" as interrupted. Only the holder of
        the site's crawl lock may call this: no other such run can then be alive."""
        where = (
            (RUN.c.status == RUNNING)
            & RUN.c.command.in_(list(commands))
            & (RUN.c.site_id == select(SITE.c.id).where(SITE.c.name == site).scalar_subquery())
        )
        with self.archive.engine.begin() as connection:
            ids = list(connection.scalars(select(RUN.c.id).where(where)))
            if ids:
                connection.execute(
                    update(RUN).where(RUN.c.id.in_(ids)).values(status=INTERRUPTED, exit_code=None)
                )
            return ids

    def record(self, observation: Observation, run_id: int | None = None) -> Recorded:
        """Record one fetch: payload, page state, capture, lifecycle events and any new version."""
        self._written.clear()
        with self._writing() as connection:
            capture, recorded = self._write(connection, observation, run_id)
            self._keep_run_heads(connection)
        self._commit_chain(capture)
        return recorded

    def record_many(
        self, fetches: Sequence[tuple[Observation, int | None]]
    ) -> list[Recorded | Exception]:
        """Record several fetches in one transaction: a fetch that fails (its exception in its
        place) leaves the others' writes, and the commit makes all the others durable at once,
        or none (then each gets the commit's exception). What record() does for each, for the
        cost of one commit (most of a page's on SQLite).

        The fetches are first written with no savepoints (two statements a page saved); when one
        fails, that transaction is rolled back and all are written again, each in a savepoint
        of its own, so that only the failing one is left out."""
        heads, sites = dict(self._heads), dict(self._site_ids)
        try:
            return self._record_all(fetches)
        except _FetchFailed:  # rolled back: written again below, one savepoint a fetch
            self._heads, self._site_ids = dict(heads), dict(sites)
        except Exception as exc:  # nothing was committed: the chain ends where it did
            self._heads, self._site_ids = heads, sites
            return [exc] * len(fetches)
        results: list[Recorded | Exception] = []
        self._written.clear()
        try:
            with self._writing() as connection:
                for observation, run_id in fetches:
                    run_heads, unindexed = dict(self._run_heads), len(self._unindexed)
                    try:
                        with connection.begin_nested():
                            capture, recorded = self._write(connection, observation, run_id)
                    except Exception as exc:  # this fetch only: its savepoint is rolled back
                        self._run_heads = run_heads
                        del self._unindexed[unindexed:]
                        self.compression.forget()
                        results.append(exc)
                        continue
                    self._commit_chain(capture)  # the next capture of the run chains to it
                    results.append(recorded)
                self._keep_run_heads(connection)
        except Exception as exc:  # nothing was committed: the chain ends where it did
            self._heads, self._site_ids = heads, sites
            return [exc] * len(fetches)
        return results

    def _record_all(
        self, fetches: Sequence[tuple[Observation, int | None]]
    ) -> list[Recorded | Exception]:
        """Every fetch written in one transaction, or none: _FetchFailed when one fails."""
        results: list[Recorded | Exception] = []
        with self._writing() as connection:
            for observation, run_id in fetches:
                try:
                    capture, recorded = self._write(connection, observation, run_id)
                except Exception as exc:
                    raise _FetchFailed from exc
                self._commit_chain(capture)
                results.append(recorded)
            self._keep_run_heads(connection)
        return results

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction: the database's write lock taken first (_take_write_lock), the
        search index rows of the versions written in it inserted last (search.index_version
        says why). When it is rolled back, the dictionaries Compression found are forgotten:
        they may have been made in it."""
        self._unindexed.clear()
        self._run_heads.clear()
        try:
            with self.archive.engine.begin() as connection:
                _take_write_lock(connection)
                yield connection
                rows, self._unindexed = self._unindexed, []
                search.insert_pairs(connection, rows)
        except BaseException:
            self.compression.forget()
            raise

    def _write(
        self, connection: Connection, observation: Observation, run_id: int | None
    ) -> tuple[dict[str, Any], Recorded]:
        site_id = self._site_id(connection, observation.site, observation.site_origin)
        if observation.verdict is Outcome.MIRROR_COPY:
            payload_sha256 = self._put_payload(connection, site_id, None, observation)
            return self._record_mirror_copy(connection, observation, run_id, payload_sha256)
        return self._record_page(connection, site_id, observation, run_id)

    def record_reading(
        self,
        observation: Observation,
        capture_id: int | None = None,
        captured_at: datetime | None = None,
    ) -> Recorded:
        """A stored answer read again by today's rules, the archive fetching nothing: a new
        version when the reading differs from the page's latest (reparsed: same bytes, another
        reading) or the page had none (new). No capture, no lifecycle event, no page state but
        its publication time; the version's provenance names the capture it read
        (`reread_capture`, `reread_captured_at`; an import passes them in the provenance it
        carries). Reading the same bytes the same way again adds nothing."""
        assert observation.extracted is not None
        extracted = observation.extracted
        if capture_id is not None and captured_at is not None:
            read = {
                "reread_capture": str(capture_id),
                "reread_captured_at": captured_at.isoformat(),
            }
            provenance = {**extracted.provenance, **read}
            observation = replace(observation, extracted=replace(extracted, provenance=provenance))
        with self._writing() as connection:
            page = _locked_page(connection, observation.url)
            if page is None:
                raise NotArchived(f"{observation.url} is not in the archive.", observation.url)
            decision = self._decide_version(connection, page, observation, reread=True)
            if decision.new_fields is not None:
                published = _instant(decision.new_fields["published_at"])
                connection.execute(_SET_PUBLISHED, {"page_id_": page.id, "published": published})
        return Recorded(
            observation.url,
            decision.outcome,
            decision.number,
            decision.changed,
            decision.duplicates,
        )

    def _record_page(
        self,
        connection: Connection,
        site_id: int,
        observation: Observation,
        run_id: int | None,
    ) -> tuple[dict[str, Any], Recorded]:
        page, moved_from = _page_for(connection, site_id, observation)
        known = None if isinstance(page, _NewPage) else page.id
        payload_sha256 = self._put_payload(connection, site_id, known, observation)
        if observation.kind is PageKind.FILE:
            decision = _decide_file(connection, page, observation, payload_sha256)
        else:
            decision = self._decide_version(connection, page, observation)
        capture = _capture_values(observation, page.id, run_id, payload_sha256, decision)
        if observation.referrer is not None:
            referrer = {"url": observation.referrer}
            capture["referrer_version_id"] = connection.scalar(_REFERRER_VERSION, referrer)
        capture_id = self._insert_capture(connection, capture, site_id)
        events = _Events(connection, page.id, observation.fetched_at, capture_id, run_id)
        self._update_page(connection, page, observation, decision, events, moved_from)
        recorded = Recorded(
            observation.url,
            decision.outcome,
            decision.number,
            decision.changed,
            decision.duplicates,
        )
        return capture, recorded

    def set_tracked(self, url: str, tracked: bool, reason: str) -> str:
        """Take the page at `url` out of the crawl (an article archived by mistake), or put it
        back: its state, and an event with the archivist's reason. Its history stays whole.
        Returns the page's current URL."""
        at = self.archive.clock()
        with self.archive.engine.begin() as connection:
            page = connection.execute(_PAGE_BY_URL, {"url": url}).first()
            if page is None:
                raise NotArchived(f"{url} is not in the archive.", url)
            if (page.state == State.UNTRACKED.value) != tracked:
                already = "tracked" if tracked else "untracked"
                raise ArchiveError(f"{page.current_url} is {already} already.")
            state = State.LIVE if tracked else State.UNTRACKED
            event = Event.TRACKED if tracked else Event.UNTRACKED
            values = {"page_id_": page.id, "state": state.value, "state_since": at}
            connection.execute(_UPDATE_PAGE, values)
            _Events(connection, page.id, at, None, None).add(event, {"reason": reason})
        return str(page.current_url)

    def record_event(
        self, url: str, kind: Event, at: datetime, detail: Mapping[str, Any], run_id: int | None
    ) -> bool:
        """A lifecycle event no capture caused, as another archive recorded it (an import): the
        event, and the page's listing or tracking as the event leaves it. False when the page
        has that event at that time already (the same file imported again)."""
        effects: dict[Event, dict[str, Any]] = {
            Event.UNLISTED: {"is_listed": False},
            Event.RELISTED: {"is_listed": True, "last_listed_at": at},
            Event.UNTRACKED: {"state": State.UNTRACKED.value, "state_since": at},
            Event.TRACKED: {"state": State.LIVE.value, "state_since": at},
        }
        if kind not in effects:
            raise ArchiveError(f"A {kind.value} event comes from a capture, not on its own.")
        with self.archive.engine.begin() as connection:
            page = connection.execute(_PAGE_BY_URL, {"url": url}).first()
            if page is None:
                raise NotArchived(f"{url} is not in the archive.", url)
            same = (EVENT.c.page_id == page.id) & (EVENT.c.kind == kind.value) & (EVENT.c.at == at)
            if connection.scalar(select(EVENT.c.id).where(same).limit(1)) is not None:
                return False
            connection.execute(_UPDATE_PAGE, {"page_id_": page.id, **effects[kind]})
            _Events(connection, page.id, at, None, run_id).add(kind, detail)
            return True

    def record_listing(
        self,
        site: str,
        urls: Collection[str],
        at: datetime,
        run_id: int | None,
        *,
        covered_since: datetime | None = None,
    ) -> int:
        """The article URLs the list pages showed during a crawl started at `at`.

        Their pages were listed then (a page shown again after being unlisted is relisted). When
        every list page has been read since `covered_since`, live articles listed before and not
        seen since then have been taken off the list: they become unlisted. Returns how many did.
        """
        with self.archive.engine.begin() as connection:
            site_id = self._site_id(connection, site, "")
            pages = connection.execute(
                select(
                    PAGE.c.id, PAGE.c.is_listed, PAGE.c.state, PAGE.c.last_listed_at, PAGE_URL.c.url
                )
                .join(PAGE_URL, PAGE_URL.c.page_id == PAGE.c.id)
                .where(PAGE.c.site_id == site_id, PAGE.c.kind == PageKind.ARTICLE.value)
            ).all()
            shown = {row.id for row in pages if row.url in urls}
            by_page = {row.id: row for row in pages}
            for page_id in shown:
                if not by_page[page_id].is_listed:
                    _Events(connection, page_id, at, None, run_id).add(Event.RELISTED, {})
            if shown:
                listed = [
                    {"page_id_": page_id, "last_listed_at": at, "is_listed": True}
                    for page_id in shown
                ]
                connection.execute(_UPDATE_PAGE, listed)
            gone = [
                page
                for page in by_page.values()
                if page.id not in shown
                and covered_since is not None
                and _unlisted_since(page, covered_since)
            ]
            for page in gone:
                detail = {"last_listed_at": page.last_listed_at.astimezone(UTC).isoformat()}
                _Events(connection, page.id, at, None, run_id).add(Event.UNLISTED, detail)
                connection.execute(_UPDATE_PAGE, {"page_id_": page.id, "is_listed": False})
            return len(gone)

    def _record_mirror_copy(
        self,
        connection: Connection,
        observation: Observation,
        run_id: int | None,
        payload_sha256: str | None,
    ) -> tuple[dict[str, Any], Recorded]:
        """A copy of an archived article on another site: a capture of the original, and the
        copy kept beside it (archive.copies). Never a version, never a lifecycle change."""
        page = connection.execute(_PAGE_BY_URL, {"url": observation.url}).first()
        if page is None:
            raise NotArchived(
                f"{observation.url} is not in the archive, so a copy of it cannot be kept.",
                observation.url,
            )
        decision = _Decision(Outcome.MIRROR_COPY)
        capture = _capture_values(observation, page.id, run_id, payload_sha256, decision)
        site_id = self._site_id(connection, observation.site, observation.site_origin)
        capture_id = self._insert_capture(connection, capture, site_id)
        keep_mirror_copy(connection, page.id, capture_id, observation)
        return capture, Recorded(observation.url, Outcome.MIRROR_COPY, None)

    def _put_payload(
        self, connection: Connection, site_id: int, page_id: int | None, observation: Observation
    ) -> str | None:
        """The payload stored once, smallest form first (archive.compression): a delta of the
        page's previous payload when `page_id` names a page that has one."""
        now = self.archive.clock()
        return self.compression.put_payload(connection, site_id, page_id, observation.payload, now)

    def _insert_capture(self, connection: Connection, values: dict[str, Any], site_id: int) -> int:
        """A capture, chained to the one before it in its run (see archive.fixity), its headers
        packed (the digest is of the headers themselves). This store is the run's only writer,
        so the run's last digest is kept here between captures."""
        run_id = values.get("run_id")
        stored = values
        if run_id is not None:
            linked = self._heads.get(run_id)
            head = linked if linked is not None else fixity.chain_head(connection, run_id)
            values["chain_sha256"] = fixity.capture_digest(head, values)
            stored = self._stored_chain(values, run_id, first=linked is None)
        now = self.archive.clock()
        headers = self.compression.pack_json(connection, site_id, values["headers"], now)
        base = captures.base_of(connection, values["page_id"])
        if base is not None and base.id in self._written:
            base = None  # written in this transaction: others read it only once committed
        capture_id = _insert(connection, CAPTURE, captures.compact(stored, headers, base))
        self._written.add(capture_id)
        if run_id is not None:
            self._run_heads[run_id] = values["chain_sha256"]
        return capture_id

    def _stored_chain(self, values: dict[str, Any], run_id: int, first: bool) -> dict[str, Any]:
        """The capture's values as stored: without its digest when it is quiet, not the first
        this store writes of its run, and not due for a checkpoint (archive.fixity)."""
        unstored = self._unstored.get(run_id, 0)
        if first or fixity.checkpoint(values["outcome"]) or unstored + 1 >= CHECKPOINT_EVERY:
            self._unstored[run_id] = 0
            return values
        self._unstored[run_id] = unstored + 1
        return {**values, "chain_sha256": None}

    def _keep_run_heads(self, connection: Connection) -> None:
        """Before commit: each run written keeps the head its chain reached, so that a capture
        storing no digest is covered even when it is its run's last (fixity.chain_head)."""
        for run_id, digest in self._run_heads.items():
            connection.execute(_KEEP_RUN_HEAD, {"run_id": run_id, "digest": digest})
        self._run_heads.clear()

    def _commit_chain(self, capture: dict[str, Any]) -> None:
        """After the transaction committed: the run's chain now ends at this capture."""
        if capture.get("run_id") is not None:
            self._heads[capture["run_id"]] = capture["chain_sha256"]

    def _site_id(self, connection: Connection, name: str, origin: str) -> int:
        if name not in self._site_ids:
            found = connection.scalar(select(SITE.c.id).where(SITE.c.name == name))
            if found is None:
                values = {"name": name, "origin": origin, "created_at": self.archive.clock()}
                found = _insert_once(connection, SITE, values, "name")
            if found is None:  # another writer made it meanwhile
                found = connection.scalar(select(SITE.c.id).where(SITE.c.name == name))
            assert found is not None
            self._site_ids[name] = int(found)
        return self._site_ids[name]

    def _decide_version(
        self, connection: Connection, page: Any, observation: Observation, reread: bool = False
    ) -> _Decision:
        # A page created by this very capture has no version yet: no need to look.
        fresh = isinstance(page, _NewPage)
        page_id = page.id
        latest = (
            None if fresh else connection.execute(_LATEST_VERSION, {"page_id": page_id}).first()
        )
        if observation.verdict is not Outcome.CONTENT:
            outcome = observation.verdict
            if observation.verdict is Outcome.NOT_MODIFIED and latest is not None:
                return _Decision(outcome, latest.id, latest.number)
            return _Decision(outcome)
        assert observation.extracted is not None
        fields = observation.extracted.record.fields()
        digest = content_sha256(fields)
        if latest is not None and latest.content_sha256 == digest:
            return _Decision(Outcome.UNCHANGED, latest.id, latest.number)
        return self._new_version(connection, page_id, latest, observation, fields, digest, reread)

    def _new_version(
        self,
        connection: Connection,
        page_id: int,
        latest: Any,
        observation: Observation,
        fields: dict[str, Any],
        digest: str,
        reread: bool = False,
    ) -> _Decision:
        """`reread`: stored bytes read again, so any difference is the reading's, not an edit."""
        assert observation.extracted is not None
        parent = _fields_of(connection, latest.id) if latest else {}
        changed = changed_fields(parent, fields) if latest else []
        baseline = None
        if latest is not None and not reread:
            baseline = self._baseline(connection, latest, observation)
        if (latest is not None and reread) or (
            baseline is not None and content_sha256(baseline) == digest
        ):
            outcome = Outcome.REPARSED
            field_classes: dict[str, str | None] = dict.fromkeys(changed, changes.REPARSE)
        else:
            outcome = Outcome.CHANGED if latest else Outcome.NEW
            field_classes = _classes(changed, baseline or parent, fields)
        counts = field_counts(parent, fields, changed)
        added, removed = version_counts(counts, field_classes)
        number = latest.number + 1 if latest else 1
        fingerprint = observation.extracted.fingerprint or similarity.fingerprint(
            fields["title"], fields["body"]
        )
        site_id = self._site_id(connection, observation.site, observation.site_origin)

        def pack(value: str) -> str | bytes:
            return self.compression.pack_text(connection, site_id, value, observation.fetched_at)

        values = {
            "page_id": page_id,
            "number": number,
            "parent_id": latest.id if latest else None,
            "created_at": observation.fetched_at,
            "content_sha256": digest,
            "record_sha256": record_sha256(fields),
            "parser_version": observation.extracted.parser_version,
            "provenance": self.compression.pack_json(
                connection, site_id, dict(observation.extracted.provenance), observation.fetched_at
            ),
            "classes": changes.version_classes(field_classes),
            "chars_added": added,
            "chars_removed": removed,
            "repairs": dict(observation.extracted.repairs),
            "content_key": fingerprint.content_key,
            "signature": fingerprint.signature,
            **fields,
            "body": pack(fields["body"]),
            "body_html": pack(fields["body_html"]),
        }
        version_id = _insert(connection, VERSION, values)
        search.index_version(
            connection,
            version_id,
            fields["title"],
            fields["body"],
            pack,
            self._unindexed,
            observation.extracted.segments,
        )
        at = observation.fetched_at
        duplicates = dedup.index_version(
            connection, page_id, version_id, fields["body"], fingerprint, at
        )
        if changed:
            rows = [
                {
                    "version_id": version_id,
                    "field": f,
                    "change_class": field_classes[f],
                    "chars_added": counts[f][0],
                    "chars_removed": counts[f][1],
                }
                for f in changed
            ]
            connection.execute(inserting(CHANGE), rows)
        return _Decision(outcome, version_id, number, tuple(changed), fields, tuple(duplicates))

    def _baseline(
        self, connection: Connection, latest: Any, observation: Observation
    ) -> Mapping[str, Any] | None:
        """The latest version's own bytes read by today's parser, when the parser has changed."""
        assert observation.extracted is not None
        if self.reparse is None or latest.parser_version == observation.extracted.parser_version:
            return None
        source = connection.execute(_VERSION_PAYLOAD, {"version_id": latest.id}).first()
        if source is None:
            return None
        payload = blobs.read(connection, source.payload_sha256)
        content_type = next((v for k, v in source.headers if k.lower() == "content-type"), None)
        return self.reparse(payload, content_type, observation.url)

    def _update_page(
        self,
        connection: Connection,
        page: Any,
        observation: Observation,
        decision: _Decision,
        events: _Events,
        moved_from: str | None,
    ) -> None:
        """The page row is current state, derived from history: the one row updated in place."""
        at = observation.fetched_at
        values: dict[str, Any] = {
            "page_id_": page.id,
            "last_captured_at": max(page.last_captured_at, at),
            "last_status": observation.status,
            "last_outcome": decision.outcome.value,
        }
        if moved_from is not None:
            values["current_url"] = observation.url
            events.add(Event.MOVED, {"from": moved_from, "to": observation.url})
        elif observation.moved_to:
            values.update(_follow_move(connection, page, observation.moved_to, at, events))
        if page.kind == PageKind.ARTICLE.value:
            values.update(self._lifecycle(page, observation, events))
        if observation.verdict in (Outcome.CONTENT, Outcome.FILE, Outcome.NOT_MODIFIED):
            values["etag"] = observation.header("ETag")
            values["last_modified"] = observation.header("Last-Modified")
        if decision.new_fields is not None:
            # The page's publication time is always its latest version's (reparsed ones too).
            values["published_at"] = _instant(decision.new_fields["published_at"])
        if decision.outcome is Outcome.CHANGED:
            values["last_changed_at"] = at
        connection.execute(_UPDATE_PAGE, values)

    def _lifecycle(self, page: Any, observation: Observation, events: _Events) -> dict[str, Any]:
        if page.state == State.UNTRACKED.value:
            return {}  # an archivist took it out of the crawl: only `track` puts it back
        before = Status(State(page.state), page.missing_since, page.missing_checks)
        after, event = lifecycle.after_capture(
            before, observation.verdict, observation.fetched_at, self.rules
        )
        values: dict[str, Any] = {
            "state": after.state.value,
            "missing_since": after.missing_since,
            "missing_checks": after.missing_checks,
        }
        if after.state is not before.state:
            values["state_since"] = observation.fetched_at
        if event is not None:
            detail = {"status": observation.status, "outcome": observation.verdict.value}
            if after.missing_since is not None:
                detail["missing_since"] = after.missing_since.astimezone(UTC).isoformat()
            events.add(event, detail)
        return values


class _Events:
    """Lifecycle events of one page, tied to the capture (or run) that caused them."""

    def __init__(
        self,
        connection: Connection,
        page_id: int,
        at: datetime,
        capture_id: int | None,
        run_id: int | None,
    ) -> None:
        self.connection = connection
        self.page_id, self.at, self.capture_id, self.run_id = page_id, at, capture_id, run_id

    def add(self, kind: Event, detail: Mapping[str, Any]) -> None:
        values = {
            "page_id": self.page_id,
            "kind": kind.value,
            "at": self.at,
            "capture_id": self.capture_id,
            "run_id": self.run_id,
            "detail": dict(detail),
        }
        self.connection.execute(inserting(EVENT), values)


def _page_for(
    connection: Connection, site_id: int, observation: Observation
) -> tuple[Any, str | None]:
    """The page `observation.url` belongs to, and the URL it moved from if the URL is new to it.

    A URL seen before is looked up among every URL a page has had. A new article URL with the
    doc id of a known article is that article, moved; anything else new is a new page.
    """
    found = _locked_page(connection, observation.url)
    if found is not None:
        return found, None
    if observation.kind is PageKind.ARTICLE and observation.doc_id:
        same_doc = next(
            (
                page
                for page in connection.execute(
                    _locking(connection, _PAGES_BY_DOC_ID),
                    {"site_id": site_id, "doc_id": observation.doc_id},
                )
                if page.kind == PageKind.ARTICLE.value
            ),
            None,
        )
        if same_doc is not None:
            if _add_url(connection, same_doc.id, observation.url, observation.fetched_at):
                return same_doc, same_doc.current_url
            # Another writer gave the page this URL meanwhile (its first capture there).
            return _locked_page(connection, observation.url), None
    created = _create_page(connection, site_id, observation)
    if created is None:  # another writer made the page meanwhile: it is that page's capture
        return _locked_page(connection, observation.url), None
    return created, None


def _take_write_lock(connection: Connection) -> None:
    """On SQLite, the database's write lock for this transaction now, before anything is read:
    writers in other processes then wait their turn (busy timeout) and read what the one
    before them committed, instead of deciding on a stale read and colliding at commit."""
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not getattr(driver, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _locked_page(connection: Connection, url: str) -> Any:
    return connection.execute(_locking(connection, _PAGE_BY_URL), {"url": url}).first()


def _locking(connection: Connection, statement: Select[Any]) -> Select[Any]:
    """`statement` locking the page rows it reads until the transaction ends, on servers that
    lock rows: two writers of one page then take turns, so the second decides its version
    against the first one's. (SQLite has one writer at a time: Store.record begins with a
    write, which takes the database's write lock before any page is read.)"""
    if connection.dialect.name == "postgresql":
        return statement.with_for_update(of=PAGE)
    return statement


class _NewPage(NamedTuple):
    """A page just created, with the columns _PAGE_BY_URL reads (no need to read it back)."""

    id: int
    kind: str
    current_url: str
    state: str
    missing_since: datetime | None
    missing_checks: int
    last_captured_at: datetime
    is_listed: bool


def _create_page(connection: Connection, site_id: int, observation: Observation) -> Any:
    """The new page, or None when another writer created it first (its URL is taken)."""
    values = {
        "site_id": site_id,
        "url": observation.url,
        "current_url": observation.url,
        "kind": observation.kind.value,
        "doc_id": observation.doc_id,
        "first_seen_at": observation.fetched_at,
        "last_captured_at": observation.fetched_at,
        "last_outcome": observation.verdict.value,
        "state": State.LIVE.value,
        "state_since": observation.fetched_at,
    }
    page_id = _insert_once(connection, PAGE, values, "url")
    if page_id is None:
        return None
    _add_url(connection, page_id, observation.url, observation.fetched_at)
    return _NewPage(
        page_id,
        observation.kind.value,
        observation.url,
        State.LIVE.value,
        None,
        0,
        observation.fetched_at,
        True,
    )


def _add_url(connection: Connection, page_id: int, url: str, at: datetime) -> bool:
    """Whether `url` was added to the page: False when a concurrent writer already added it."""
    values = {"page_id": page_id, "url": url, "first_seen_at": at}
    return _insert_once(connection, PAGE_URL, values, "url") is not None


def _follow_move(
    connection: Connection, page: Any, moved_to: str, at: datetime, events: _Events
) -> dict[str, Any]:
    """A redirect to another article URL: the page continues there (unless that URL is another page's)."""
    if moved_to == page.current_url:
        return {}
    owner = connection.scalar(_URL_OWNER, {"url": moved_to})
    if owner is None:
        _add_url(connection, page.id, moved_to, at)
    if owner in (None, page.id):
        events.add(Event.MOVED, {"from": page.current_url, "to": moved_to})
        return {"current_url": moved_to}
    events.add(Event.MOVED, {"from": page.current_url, "to": moved_to, "to_page": owner})
    return {}


def _unlisted_since(page: Any, covered_since: datetime) -> bool:
    """Listed before, live, and not on any list page read since: taken off the list, still online."""
    listed_before = page.last_listed_at is not None and page.last_listed_at < covered_since
    return bool(page.is_listed and page.state == State.LIVE.value and listed_before)


def _classes(
    changed: list[str], old: Mapping[str, Any], new: Mapping[str, Any]
) -> dict[str, str | None]:
    """Each changed field's class; a field that differs only from the stored parent is a reparse."""
    classes = changes.classify(changed, old, new)
    return {f: (changes.REPARSE if old.get(f) == new.get(f) else cls) for f, cls in classes.items()}


def _decide_file(
    connection: Connection, page: Any, observation: Observation, payload_sha256: str | None
) -> _Decision:
    """A file's capture: NEW the first time its bytes are held, then CHANGED or UNCHANGED by
    them; any other verdict (304, 404, refused, failed) as the crawler judged it."""
    if observation.verdict is not Outcome.FILE:
        return _Decision(observation.verdict)
    latest = None
    if not isinstance(page, _NewPage):
        latest = connection.scalar(_LATEST_FILE_BYTES, {"page_id": page.id})
    if latest is None:
        return _Decision(Outcome.NEW)
    return _Decision(Outcome.UNCHANGED if latest == payload_sha256 else Outcome.CHANGED)


def _insert_once(
    connection: Connection, table: Table, values: dict[str, Any], unique: str
) -> int | None:
    """Insert a row unless one with the same `unique` column exists (made by a concurrent writer:
    it waits for that writer's transaction to end): the new row's id, or None."""
    dialect = connection.dialect.name
    if dialect not in _UPSERT_DIALECTS:
        return _insert(connection, table, values)
    found = connection.scalar(_insert_once_statement(dialect, table, unique), values)
    return None if found is None else int(found)


@functools.cache
def _insert_once_statement(dialect: str, table: Table, unique: str) -> Any:
    """Built once: SQLAlchemy then finds the compiled form without working out its cache key."""
    statement = _UPSERT_DIALECTS[dialect](table).on_conflict_do_nothing(index_elements=[unique])
    return statement.returning(table.c.id)


@functools.cache
def inserting(table: Table) -> Insert:
    """`insert(table)`, built once per table (a page writes a few dozen rows)."""
    return insert(table)


def _insert(connection: Connection, table: Table, values: dict[str, Any]) -> int:
    key = connection.execute(inserting(table), values).inserted_primary_key
    assert key is not None
    return int(key[0])


def _fields_of(connection: Connection, version_id: int) -> dict[str, Any]:
    row = connection.execute(_VERSION_FIELDS, {"version_id": version_id}).one()
    return dict(row._mapping)


def _instant(iso: str | None) -> datetime | None:
    return datetime.fromisoformat(iso) if iso else None


def _capture_values(
    observation: Observation,
    page_id: int,
    run_id: int | None,
    payload_sha256: str | None,
    decision: _Decision,
) -> dict[str, Any]:
    return {
        "page_id": page_id,
        "run_id": run_id,
        "captured_at": observation.fetched_at,
        "requested_url": observation.requested_url,
        "final_url": observation.final_url,
        "status": observation.status,
        "headers": [list(pair) for pair in observation.headers],
        "payload_sha256": payload_sha256,
        "payload_size": len(observation.payload) if observation.payload is not None else None,
        "outcome": decision.outcome.value,
        "version_id": decision.version_id,
        "error": observation.error,
        "media_type": observation.media_type,
    }
