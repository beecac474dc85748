"""WARC 1.1 records as bytes: named fields, SHA-256 digests, one deterministic gzip member each."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

WARC_VERSION = b"WARC/1.1"
HTTP_RESPONSE = "application/http; msgtype=response"
HTTP_REQUEST = "application/http; msgtype=request"
REVISIT_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
REVISIT_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# The gzip header of every member: no name, no time (mtime 0), OS "unknown" (255), so the same
# records compress to the same bytes on any machine with the same zlib.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6


@dataclass(frozen=True)
class Record:
    """One WARC record before serialisation. `fields` are the named fields after the ones every
    record has (type, ID, date, length, digest); `payload_digest` is written as given."""

    type: str
    record_id: str
    date: datetime
    block: bytes
    target_uri: str | None = None
    content_type: str | None = None
    payload_digest: str | None = None
    fields: Sequence[tuple[str, str]] = ()


@dataclass(frozen=True)
class Written:
    """Where a record landed in the file: the offset and length of its gzip member."""

    record: Record
    offset: int
    length: int


def record_id(namespace: uuid.UUID, name: str) -> str:
    """A record ID derived from the archive's identity and a stable name (`capture/12/response`):
    the same record gets the same ID in every export."""
    return f"<urn:uuid:{uuid.uuid5(namespace, name)}>"


def warc_date(moment: datetime) -> str:
    """WARC-Date in UTC; fractions of a second only when the time has them (WARC 1.1)."""
    utc = moment.astimezone(UTC)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_label(data: bytes) -> str:
    """A digest as WARC fields carry it here: `sha256:` and lowercase hex."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serialise(record: Record) -> bytes:
    """The record's bytes: version line, named fields, a blank line, the block, two CRLFs."""
    fields = [
        ("WARC-Type", record.type),
        ("WARC-Record-ID", record.record_id),
        ("WARC-Date", warc_date(record.date)),
    ]
    if record.target_uri is not None:
        fields.append(("WARC-Target-URI", record.target_uri))
    fields.extend(record.fields)
    if record.content_type is not None:
        fields.append(("Content-Type", record.content_type))
    fields.append(("WARC-Block-Digest", sha256_label(record.block)))
    if record.payload_digest is not None:
        fields.append(("WARC-Payload-Digest", record.payload_digest))
    fields.append(("Content-Length", str(len(record.block))))
    head = b"".join(f"{name}: {value}\r\n".encode() for name, value in fields)
    return WARC_VERSION + b"\r\n" + head + b"\r\n" + record.block + b"\r\n\r\n"


def gzip_member(data: bytes) -> bytes:
    """`data` as one gzip member with a fixed header (see _GZIP_HEADER)."""
    packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = packer.compress(data) + packer.flush()
    trailer = struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)
    return _GZIP_HEADER + body + trailer


class WarcWriter:
    """Writes records, each as its own gzip member, and says where each one landed."""

    def __init__(self, out: BinaryIO | None) -> None:
        # None counts the bytes without keeping them (an index of a WARC not written).
        self.out = out
        self.offset = 0
        self.count = 0

    def write(self, record: Record) -> Written:
        member = gzip_member(serialise(record))
        if self.out is not None:
            self.out.write(member)
        written = Written(record, self.offset, len(member))
        self.offset += len(member)
        self.count += 1
        return written
