"""Reading a WARC file (or the WARC files of a WACZ package) as the exchanges an import records:
each response or revisit with its HTTP answer and, in newsarchive's own exports, the capture's
metadata; newsarchive's events that no capture caused; and one sentence per record that could
not be read (a digest that does not match, a file cut short)."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed

NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
IDENTICAL = "identical-payload-digest"  # both WARC 1.0's and 1.1's profile URIs end so
METADATA = "urn:newsarchive:"
_DECODABLE = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate", "br": "br"}


class NotAWarc(Exception):
    """The file is neither a WARC file nor a WACZ package; the message says what it is."""


@dataclass
class Exchange:
    """One capture in a WARC: its HTTP answer (None: it got none, a newsarchive capture
    recorded from its metadata alone), and newsarchive's metadata of it when the file has it."""

    record_id: str
    target: str
    at: datetime
    status: int | None
    headers: list[tuple[str, str]]
    payload: bytes | None
    revisit: str | None = None  # not-modified | identical
    payload_digest: str | None = None
    meta: dict[str, Any] | None = None


@dataclass(frozen=True)
class StandaloneEvent:
    """A newsarchive lifecycle event no capture caused (unlisted, relisted, untracked, tracked)."""

    meta: dict[str, Any]


@dataclass(frozen=True)
class StandaloneVersion:
    """A newsarchive version no capture added (a stored answer read again by `reparse`)."""

    meta: dict[str, Any]


@dataclass(frozen=True)
class Unreadable:
    """A record (or the rest of a file) that could not be read: one sentence."""

    sentence: str


Item = Exchange | StandaloneEvent | StandaloneVersion | Unreadable
# What a record that adds nothing (warcinfo, a request, another tool's metadata) comes to.
_NOTHING = object()


def read_items(path: Path) -> Iterator[Item]:
    """Every item of the WARC file or WACZ package at `path`, in file order. NotAWarc when
    the file is neither."""
    if zipfile.is_zipfile(path):
        yield from _wacz(path)
        return
    with path.open("rb") as stream:
        yield from _warc(stream, path.name)


def _wacz(path: Path) -> Iterator[Item]:
    with zipfile.ZipFile(path) as package:
        names = sorted(n for n in package.namelist() if n.startswith("archive/") and ".warc" in n)
        if not names:
            raise NotAWarc(f"{path.name} is a zip file without archive/*.warc.gz: not a WACZ.")
        for name in names:
            with package.open(name) as stream:
                yield from _warc(stream, f"{path.name}:{name}")


def _warc(stream: IO[bytes], name: str) -> Iterator[Item]:
    records = ArchiveIterator(_decompressed(stream), check_digests=True)
    current: Exchange | None = None
    whole = 0  # records read to their end
    try:
        for record in records:
            if not str(record.format).startswith("warc"):
                # warcio reads any first line as an old ARC record; a WARC is what is asked for.
                raise ArchiveLoadFailed(f"it begins as no WARC record does ({record.format})")
            item = _item(record, current)
            whole += 1
            if item is _NOTHING or item is current:
                continue
            if current is not None:
                yield current
            current = item if isinstance(item, Exchange) and item.record_id else None
            if current is None:
                yield item  # type: ignore[misc]
    except ArchiveLoadFailed as exc:
        if whole == 0:
            raise NotAWarc(f"{name} is not a WARC file ({_first_line(exc)}).") from None
        yield Unreadable(f"{name} cannot be read after its record {whole}: {_first_line(exc)}.")
    except (_CutShort, OSError, ValueError) as exc:
        yield Unreadable(f"{name} is cut short after its record {whole} ({exc}).")
    if current is not None:
        yield current


class _CutShort(Exception):
    """The file ends inside a record. Not an EOFError: warcio takes those for the end."""


def _decompressed(stream: IO[bytes]) -> _EndChecked:
    """The stream as WARC text that raises _CutShort when read past its end if the file was
    cut inside a record: Python's gzip knows a member cut short (warcio's own decompression
    ends there in silence), and a plain WARC ends with a record's blank lines."""
    magic = stream.read(2)
    stream.seek(0)
    if magic == b"\x1f\x8b":
        return _EndChecked(gzip.GzipFile(fileobj=stream), ends_well=lambda tail: True)
    return _EndChecked(stream, ends_well=lambda tail: tail == b"\r\n\r\n")


class _EndChecked(io.RawIOBase):
    """A stream that raises _CutShort at its end unless its last bytes end as a record does."""

    def __init__(
        self, stream: IO[bytes] | gzip.GzipFile, ends_well: Callable[[bytes], bool]
    ) -> None:
        self._stream = stream
        self._ends_well = ends_well
        self._tail = b""
        self._read = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        # read1: one read at a time, so what comes before an EOFError is returned first.
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            data: bytes = read(-1 if size is None else size)
        except EOFError as exc:
            raise _CutShort("its last gzip member ends early") from exc
        if data:
            self._read += len(data)
            self._tail = (self._tail + data)[-4:]
        elif self._read and not self._ends_well(self._tail):
            raise _CutShort("the file ends inside a record")
        return data

    def tell(self) -> int:
        return self._read


def _block(record: Any) -> bytes:
    """The rest of a record's block; _CutShort when the file ends before the block does."""
    block: bytes = record.raw_stream.read()
    length = record.rec_headers.get_header("Content-Length")
    if length is None or getattr(record.raw_stream, "limit", 0) > 0:
        raise _CutShort("its last record ends early")
    return block


def _item(record: Any, current: Exchange | None) -> object:
    """What a record adds: a new exchange, its metadata (attached to `current`, returned as
    `current`), a standalone item, or nothing (warcinfo, requests, other metadata)."""
    kind = record.rec_type
    headers = record.rec_headers
    if kind in ("response", "revisit"):
        return _exchange(record)
    if kind != "metadata" or not (headers.get_header("WARC-Target-URI") or "").startswith(METADATA):
        _block(record)
        return _NOTHING
    shape = json.loads(_block(record).decode("utf-8"))
    if not _digest_passed(record):
        return Unreadable(_digest_sentence(headers))
    concurrent = headers.get_header("WARC-Concurrent-To")
    if shape.get("type") == "capture":
        if current is not None and concurrent == current.record_id:
            current.meta = shape
            return current
        return _answerless(shape)
    if shape.get("type") == "event" and shape.get("capture") is None:
        return StandaloneEvent(shape)
    if shape.get("type") == "version" and shape.get("capture") is None:
        return StandaloneVersion(shape)
    return _NOTHING


def _exchange(record: Any) -> Exchange | Unreadable:
    headers = record.rec_headers
    raw = _block(record)
    if not _digest_passed(record):
        return Unreadable(_digest_sentence(headers))
    http = record.http_headers
    pairs = [(str(k), str(v)) for k, v in (http.headers if http else [])]
    profile = headers.get_header("WARC-Profile") or ""
    revisit = None
    if record.rec_type == "revisit":
        revisit = "identical" if profile.endswith(IDENTICAL) else "not-modified"
    status = int(http.get_statuscode()) if http and http.get_statuscode() else None
    return Exchange(
        record_id=headers.get_header("WARC-Record-ID"),
        target=headers.get_header("WARC-Target-URI"),
        at=_when(headers.get_header("WARC-Date")),
        # A not-modified revisit may have an empty block: it stands for a 304.
        status=status or (304 if revisit == "not-modified" else None),
        headers=pairs,
        payload=_decoded(raw, pairs) if record.rec_type == "response" else None,
        revisit=revisit,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
    )


def _answerless(shape: dict[str, Any]) -> Exchange:
    """A newsarchive capture that got no answer: its metadata record is all there is."""
    return Exchange(
        record_id="",
        target=shape["final_url"],
        at=_when(shape["captured_at"]),
        status=None,
        headers=[],
        payload=None,
        meta=shape,
    )


def _decoded(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    """The payload as a crawler keeps it: chunking removed, a content encoding decoded."""
    lowered = {k.lower(): v.lower() for k, v in headers}
    body = raw
    if "chunked" in lowered.get("transfer-encoding", ""):
        body = ChunkedDataReader(io.BytesIO(body)).read()
    encoding = _DECODABLE.get(lowered.get("content-encoding", "").strip())
    if encoding:
        # Bytes that are not what the header says are kept as they came.
        with contextlib.suppress(Exception):
            body = DecompressingBufferedReader(io.BytesIO(body), decomp_type=encoding).read()
    return body


def _digest_passed(record: Any) -> bool:
    checker = getattr(record, "digest_checker", None)
    return checker is None or checker.passed is not False


def _digest_sentence(headers: Any) -> str:
    target = headers.get_header("WARC-Target-URI")
    return (
        f"The record {headers.get_header('WARC-Record-ID')} of {target} does not match its "
        "digest: skipped."
    )


def _when(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().split("\n", 1)[0].rstrip(".")
