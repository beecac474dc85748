"""Fixity: digests that make a changed byte, an edited record or a removed capture detectable.

Every blob is addressed by the SHA-256 of its bytes (recomputed over the bytes its stored form
decodes to: a dictionary frame, a delta after its base, zlib); every version carries the hash of
its fields (recomputed over its packed text unpacked); every compression dictionary the hash of
its content;
and the captures are chained: each capture's chain digest covers its own evidence and the digest of
the capture before it in its run, the first capture of a run links to the last capture of the runs
before it (as its writer saw them: runs of other sites may be writing at the same time), and a
finished run keeps its final digest. Altering a capture breaks its link; removing one breaks the
next link (or the run's final digest, if it was the last).

Every capture has its digest, but a quiet one (a re-check that found its page as archived: most
of a day's captures) stores it only as a checkpoint: when it is the first its writer wrote of its
run (it links to a digest read from the archive), or when the 63 captures of its run before it
stored none (archive.store.CHECKPOINT_EVERY). The others are recomputed through, and covered by
the next stored digest of their run, or, for the last ones, by the run's own digest: every
transaction that writes captures keeps on the run the head its chain reached, so a run
interrupted mid-way still records where its chain ended. An altered or removed quiet capture
breaks its checkpoint, or the run's digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    String,
    Table,
    TypeDecorator,
    bindparam,
    select,
    type_coerce,
)

from archive import blobs, columns, packing
from archive.columns import EpochMicros, OutcomeCode
from archive.database import Archive
from archive.models import (
    Blob,
    Capture,
    CompressionDictionary,
    CrawlRun,
    Page,
    UTCDateTime,
    Version,
)
from archive.packing import PackedJSON, PackedText
from archive.records import RECORD_FIELDS, Outcome, content_sha256, record_sha256
from archive.search import check_index

CAPTURE, RUN, VERSION = (cast(Table, m.__table__) for m in (Capture, CrawlRun, Version))
BLOB, PAGE = cast(Table, Blob.__table__), cast(Table, Page.__table__)
DICTIONARY = cast(Table, CompressionDictionary.__table__)
GENESIS = ""
_TIME_COLUMNS = frozenset({"captured_at"})
_JSON_COLUMNS = frozenset({"headers", "images", "attachments", "links", "provenance"})
_PACKED_COLUMNS = frozenset({"body", "body_html"})
_URL_COLUMNS = frozenset({"requested_url", "final_url"})
# The evidence a capture's digest covers: what was asked, when, what came back, what it meant.
CHAINED = (
    "page_id",
    "run_id",
    "captured_at",
    "requested_url",
    "final_url",
    "status",
    "headers",
    "payload_sha256",
    "payload_size",
    "outcome",
    "version_id",
    "error",
)
# A re-check that found the page as archived: its digest is stored only at checkpoints.
QUIET = frozenset({Outcome.NOT_MODIFIED.value, Outcome.UNCHANGED.value})
_LAST_IN_RUN = (
    select(CAPTURE.c.chain_sha256)
    .where(CAPTURE.c.run_id == bindparam("run_id"), CAPTURE.c.chain_sha256.is_not(None))
    .order_by(CAPTURE.c.id.desc())
    .limit(1)
)
_LAST_BEFORE_RUN = (
    select(CAPTURE.c.chain_sha256)
    .where(CAPTURE.c.run_id < bindparam("run_id"), CAPTURE.c.chain_sha256.is_not(None))
    .order_by(CAPTURE.c.id.desc())
    .limit(1)
)


def checkpoint(outcome: str) -> bool:
    """Whether a capture with this outcome always stores its digest: all but the quiet ones,
    which store it only as a checkpoint."""
    return outcome not in QUIET


def capture_digest(previous: str, values: dict[str, Any]) -> str:
    """The chain digest of a capture with these column values, after `previous`. Each value is
    taken in one canonical form, whatever form it arrived in: a time as UTC (the archive keeps
    no offset, so one written at +08:00 must hash as it reads back), sequences as lists."""
    evidence = {name: canonical(values.get(name)) for name in CHAINED}
    text = previous + json.dumps(
        evidence, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def chain_head(connection: Connection, run_id: int) -> str:
    """The digest the run's next capture links to: the head its last transaction recorded
    on the run (its last capture's), else the earlier runs' last stored one."""
    recorded = connection.scalar(select(RUN.c.chain_sha256).where(RUN.c.id == run_id))
    if recorded is not None:
        return str(recorded)
    # A run written before runs kept their head: its last stored digest.
    last = connection.scalar(_LAST_IN_RUN, {"run_id": run_id})
    if last is not None:
        return str(last)
    earlier = connection.scalar(_LAST_BEFORE_RUN, {"run_id": run_id})
    return str(earlier) if earlier is not None else GENESIS


def canonical(value: Any) -> Any:
    """`value` as its digest sees it: aware times in UTC ISO 8601, tuples as lists."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the archive keeps aware times only")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | tuple):
        return [canonical(item) for item in value]
    if isinstance(value, dict):
        return {str(key): canonical(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class Problem:
    kind: str
    detail: str
    pages: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": self.detail, "pages": list(self.pages)}


@dataclass
class Report:
    blobs: int = 0
    versions: int = 0
    captures: int = 0
    runs: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": {
                "blobs": self.blobs,
                "versions": self.versions,
                "captures": self.captures,
                "runs": self.runs,
            },
            "problems": [p.to_json() for p in self.problems],
        }


def verify(archive: Archive) -> Report:
    """Recompute every blob's SHA-256, every version's digests and every run's chain, and check
    the search index against the versions."""
    report = Report()
    packing.forget_bases(archive.engine.dialect)  # base captures as they are now, not as read
    with archive.engine.connect() as connection:
        _verify_dictionaries(connection, report)
        _verify_blobs(connection, report)
        _verify_versions(connection, report)
        _verify_chains(connection, report)
        for problem in check_index(connection):
            report.problems.append(Problem("index", problem))
    return report


def _verify_dictionaries(connection: Connection, report: Report) -> None:
    """A dictionary's content decodes the blobs and text made with it: it must not change."""
    for row in connection.execute(
        select(DICTIONARY.c.id, DICTIONARY.c.sha256, DICTIONARY.c.content)
    ):
        if blobs.sha256_hex(bytes(row.content)) != row.sha256:
            detail = f"compression dictionary {row.id} no longer has the SHA-256 it was stored with"
            report.problems.append(Problem("dictionary", detail))


def _verify_blobs(connection: Connection, report: Report) -> None:
    """Each blob decoded from its stored form (a delta after its base's bytes) and hashed."""
    reader = blobs.Reader(connection)
    columns = ("sha256", "compression", "data", "dictionary_id", "base_sha256")
    query = select(*(BLOB.c[name] for name in columns)).execution_options(yield_per=500)
    for row in connection.execute(query):
        report.blobs += 1
        try:
            intact = blobs.sha256_hex(reader.decode(row)) == row.sha256
        except Exception:  # a flipped byte can make the compressed data unreadable too
            intact = False
        if not intact:
            pages = _pages_of(connection, CAPTURE.c.payload_sha256 == row.sha256)
            detail = f"the bytes stored as {row.sha256} no longer have that SHA-256"
            if row.compression == blobs.DELTA:
                detail += f" (a delta of {row.base_sha256}: that one may be the damaged one)"
            report.problems.append(Problem("blob", detail, pages))


def _verify_versions(connection: Connection, report: Report) -> None:
    """Each version's content hash, and the digest of every stored field where it has one
    (versions written before revision 0005 were given it by that migration)."""
    columns = [
        VERSION.c.id,
        VERSION.c.number,
        VERSION.c.content_sha256,
        VERSION.c.record_sha256,
        PAGE.c.current_url,
    ]
    stored = [_as_stored(VERSION.c[name]) for name in (*RECORD_FIELDS, "provenance")]
    query = select(*columns, *stored).join(PAGE, PAGE.c.id == VERSION.c.page_id)
    for row in connection.execute(query):
        report.versions += 1
        stored_fields = {name: row._mapping[name] for name in RECORD_FIELDS}
        fields = _read_back(stored_fields, connection.dialect)
        # The provenance has no digest, but must still read back (it may be packed).
        readable = _read_back({"provenance": row.provenance}, connection.dialect) is not None
        intact = (
            fields is not None
            and readable
            and content_sha256(fields) == row.content_sha256
            and (row.record_sha256 is None or record_sha256(fields) == row.record_sha256)
        )
        if not intact:
            detail = f"version {row.number} of {row.current_url} no longer matches its digests"
            report.problems.append(Problem("version", detail, (row.current_url,)))


def _verify_chains(connection: Connection, report: Report) -> None:
    for run in connection.execute(select(RUN.c.id, RUN.c.chain_sha256).order_by(RUN.c.id)):
        report.runs += 1
        head, since = _verify_run(connection, run.id, report)
        if (
            run.chain_sha256 is not None
            and head != _BROKEN
            and not _run_ends_on(connection, run.id, run.chain_sha256, head)
        ):
            # The captures after its last stored digest, if any: else it may be that one.
            where = PAGE.c.id.in_(set(since)) if since else CAPTURE.c.run_id == run.id
            detail = (
                f"run {run.id} ended on a different chain digest: a capture was removed or altered"
            )
            report.problems.append(Problem("run", detail, _pages_of(connection, where)))


def _verify_run(
    connection: Connection, run_id: int, report: Report
) -> tuple[str | None, list[int]]:
    """Walks the run's captures, recomputing the digest of each one that stores none from the
    one before it; returns the digest its last capture has (None when no capture is chained:
    captures from before the chain existed), and the pages of those after its last stored one."""
    head: str | None = None
    since: list[int] = []  # the pages of the captures since the last stored digest
    for capture in _captures(connection, run_id):
        report.captures += 1
        stored = capture["chain_sha256"]
        if stored is None and head is None:
            continue  # before the chain existed
        values = _read_back(capture, connection.dialect)
        since.append(capture["page_id"])
        if values is None:
            report.problems.append(_unreadable(connection, capture, run_id))
        if stored is None:
            head = _through(head, values)
            continue
        if (
            values is not None
            and head != _BROKEN
            and not _follows(connection, capture, values, head)
        ):
            report.problems.append(_broken_link(connection, capture, run_id, since))
        head, since = str(stored), []
    return head, since


def _through(head: str | None, values: dict[str, Any] | None) -> str:
    """The walk's head after a capture that stores no digest: its recomputed digest, or
    _BROKEN when it no longer reads back or follows one that did not."""
    if values is None or head is None or head == _BROKEN:
        return _BROKEN
    return capture_digest(head, values)


def _unreadable(connection: Connection, capture: dict[str, Any], run_id: int) -> Problem:
    url = connection.scalar(select(PAGE.c.current_url).where(PAGE.c.id == capture["page_id"]))
    detail = (
        f"capture {capture['id']} (run {run_id}) no longer reads back: a stored value of it "
        "was altered"
    )
    return Problem("capture", detail, (url,) if url else ())


# The walk's head after a capture with no stored digest that no longer reads back (or follows
# one that did not): reported there; the next stored digest, or the run's, cannot be checked.
_BROKEN = "broken"


def _broken_link(
    connection: Connection, capture: dict[str, Any], run_id: int, since: list[int]
) -> Problem:
    """A stored digest that does not follow: the capture, or one since the last stored digest
    (whose pages are named too), was altered, or one was removed."""
    urls = connection.scalars(select(PAGE.c.current_url).where(PAGE.c.id.in_(set(since))))
    detail = (
        f"capture {capture['id']} (run {run_id}) does not follow the one before it: it or a "
        "capture since its run's previous stored digest was altered, or one was removed"
    )
    return Problem("capture", detail, tuple(sorted(urls)))


# How many of the captures before it a run's first capture may link to. That link is the
# last capture of the earlier runs as its writer saw it (chain_head): for runs one after the
# other, the capture just before it; for a run started while others were writing (crawls of
# other sites, workers), one they had committed by then, which captures committed later,
# with lower ids, may follow (PostgreSQL allocates ids before commit) — a handful in practice.
LINK_CANDIDATES = 1000


# The chain digests of the captures of earlier runs before a capture, nearest first.
_EARLIER = (
    select(CAPTURE.c.chain_sha256)
    .where(
        CAPTURE.c.run_id < bindparam("run_id"),
        CAPTURE.c.id < bindparam("id"),
        CAPTURE.c.chain_sha256.is_not(None),
    )
    .order_by(CAPTURE.c.id.desc())
)


def _follows(
    connection: Connection, capture: dict[str, Any], values: dict[str, Any], head: str | None
) -> bool:
    """Whether the capture's digest follows its run's previous capture (`head`), or, for the
    run's first, the start of the chain or one of the captures of earlier runs before it."""
    stored = str(capture["chain_sha256"])
    if head is not None:
        return capture_digest(head, values) == stored
    key = {"run_id": capture["run_id"], "id": capture["id"]}
    # Runs one after the other link to the capture just before: tried alone first, so the
    # other candidates are read only for a run that started beside others (or a broken link).
    nearest = connection.scalar(_EARLIER.limit(1), key)
    if nearest is not None and capture_digest(nearest, values) == stored:
        return True
    earlier = connection.scalars(_EARLIER.limit(LINK_CANDIDATES), key)
    return any(capture_digest(previous, values) == stored for previous in (*earlier, GENESIS))


def _run_ends_on(connection: Connection, run_id: int, recorded: str, head: str | None) -> bool:
    """A run's recorded digest is its last capture's; a run without captures records the one
    the chain ended on when it finished: the start, or a capture of an earlier run."""
    if head is not None:
        return recorded == head
    if recorded == GENESIS:
        return True
    found = connection.scalar(
        select(CAPTURE.c.id)
        .where(CAPTURE.c.run_id < run_id, CAPTURE.c.chain_sha256 == recorded)
        .limit(1)
    )
    return found is not None


def _captures(connection: Connection, run_id: int) -> Iterator[dict[str, Any]]:
    columns = [_as_stored(CAPTURE.c[name]) for name in ("id", *CHAINED, "chain_sha256")]
    query = select(*columns).where(CAPTURE.c.run_id == run_id).order_by(CAPTURE.c.id)
    for row in connection.execute(query):
        yield dict(row._mapping)


def _as_stored(column: Any) -> Any:
    """A time, JSON or packed column as the driver returns it, without the type's conversion: a
    value altered into something that no longer converts is then a finding, not a crash."""
    if isinstance(
        column.type,
        JSON | DateTime | UTCDateTime | EpochMicros | OutcomeCode | PackedText | PackedJSON,
    ):
        return type_coerce(column, _Stored()).label(column.name)
    return column


class _Stored(TypeDecorator[Any]):
    impl = String
    cache_ok = True


def _read_back(values: dict[str, Any], dialect: Any) -> dict[str, Any] | None:
    """The stored values converted as their types would (JSON text parsed, times made UTC,
    packed text unpacked), or None when one no longer converts."""
    try:
        return {name: _converted(name, value, dialect) for name, value in values.items()}
    except (TypeError, ValueError, OverflowError):
        return None


def _converted(name: str, value: Any, dialect: Any) -> Any:
    if name in _PACKED_COLUMNS and value is not None:
        return packing.unpack(value, dialect)
    if name == "outcome" and value is not None:
        return OutcomeCode().process_result_value(value, dialect)  # one character, since 0014
    if name in _URL_COLUMNS and value is not None:
        return packing.unpack(value, dialect, name)  # maybe relative to the base capture's
    if name in _TIME_COLUMNS and value is not None:
        if isinstance(value, int):  # integer microseconds (archive.columns), since 0014
            return columns.from_micros(value)
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            raise TypeError(f"{name} is not a time")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    if name in _JSON_COLUMNS and isinstance(value, str | bytes | memoryview):
        relative = name if name in packing.RELATIVE_COLUMNS else None
        return json.loads(packing.unpack(value, dialect, relative))  # JSON text, maybe packed
    return value


def _pages_of(connection: Connection, condition: Any) -> tuple[str, ...]:
    query = (
        select(PAGE.c.current_url)
        .join(CAPTURE, CAPTURE.c.page_id == PAGE.c.id)
        .where(condition)
        .distinct()
    )
    return tuple(sorted(connection.scalars(query)))
