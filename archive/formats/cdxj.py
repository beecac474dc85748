"""CDXJ index lines of written WARC records, exactly as pywb's cdxj-indexer writes them.

`SURT-key 14-digit-timestamp {"url", "mime", "status", "digest", "length", "offset",
"filename"}` for response, revisit, resource and metadata records (warc-fields metadata,
requests and warcinfo are not indexed); a field the record does not have is left out. Lines
sort in byte order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC

import surt

from archive.formats.warc import Record, Written

INDEXED = frozenset({"response", "revisit", "resource", "metadata"})
_HTTP = frozenset({"response", "revisit", "request"})
_SPACE = re.compile(r"[;\s]")


def index_line(written: Written, filename: str) -> str | None:
    """The record's line, or None when the indexer leaves such a record out."""
    record = written.record
    if record.type not in INDEXED or record.target_uri is None:
        return None
    if record.type == "metadata" and record.content_type == "application/warc-fields":
        return None
    status, content_type, payload = _http_parts(record.type, record.target_uri, record.block)
    if record.type == "revisit":
        mime: str | None = "warc/revisit"
    else:
        mime = _mime(content_type if record.type in _HTTP else record.content_type)
    fields = {
        "url": record.target_uri,
        "mime": mime,
        "status": status,
        "digest": _digest(record, payload),
        "length": str(written.length),
        "offset": str(written.offset),
        "filename": filename,
    }
    entry = {key: value for key, value in fields.items() if value is not None}
    return f"{url_key(record.target_uri)} {_timestamp(record)} {json.dumps(entry)}"


def url_key(url: str) -> str:
    """The SURT form of `url` (`cn,gov,chencang)/col8173/…`), as the indexer makes it."""
    try:
        return str(surt.surt(url))
    except Exception:  # the indexer keys what SURT cannot read by the URL itself
        return url


def _timestamp(record: Record) -> str:
    return record.date.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _http_parts(kind: str, url: str, block: bytes) -> tuple[str | None, str | None, bytes]:
    """(status code, Content-Type, payload) of an HTTP block; a record that holds no HTTP
    message (metadata, an empty revisit, a non-HTTP target) is all payload."""
    if kind not in _HTTP or not block or not url.startswith(("http:", "https:")):
        return None, None, block
    head, _, payload = block.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)[1] if kind != "request" else None
    content_type = next(
        (
            line.partition(":")[2].strip()
            for line in lines[1:]
            if line.partition(":")[0].strip().lower() == "content-type"
        ),
        None,
    )
    return status, content_type, payload


def _digest(record: Record, payload: bytes) -> str | None:
    """The payload digest the record declares; else, as the indexer computes it, the SHA-1 of
    the payload in base 32, except for a revisit (whose payload is elsewhere)."""
    if record.payload_digest is not None or record.type == "revisit":
        return record.payload_digest
    return "sha1:" + base64.b32encode(hashlib.sha1(payload).digest()).decode("ascii")


def _mime(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return _SPACE.split(content_type, maxsplit=1)[0].strip() or None
