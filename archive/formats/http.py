"""A capture's HTTP exchange as a WARC holds it: the request the archive knows of, and the
response's status line and stored headers made to agree with the stored payload."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from http import HTTPStatus
from urllib.parse import urlsplit

# The prefix that keeps a received header visible once its bytes no longer describe the payload
# (the downloader decoded it): Content-Encoding, Transfer-Encoding and Content-Length.
RENAMED = "X-Archive-Orig-"
# The archive does not keep the protocol version; Scrapy speaks HTTP/1.1.
PROTOCOL = "HTTP/1.1"

Headers = list[tuple[str, str]]


def status_line(status: int) -> str:
    """`HTTP/1.1 200 OK`: the archive keeps the code; the reason is the standard phrase."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    return f"{PROTOCOL} {status} {reason}"


def response_head(status: int, headers: Sequence[Sequence[str]], payload: bytes | None) -> bytes:
    """The status line and headers, ending with the blank line. With a payload, the headers are
    made to agree with it (see agreeing_headers); without one (a 304) they are as stored."""
    pairs: Headers = [(name, value) for name, value in headers]
    if payload is not None:
        pairs = agreeing_headers(pairs, payload)
    return _head(status_line(status), pairs)


def request_head(url: str, user_agent: str | None) -> bytes:
    """What the archive knows of the request: GET, the target, its Host, and the User-Agent when
    the run recorded it. Conditional headers (If-None-Match, If-Modified-Since) and Scrapy's
    defaults (Accept, Accept-Language, Accept-Encoding) are not stored, so not written."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers: Headers = [("Host", parts.netloc)]
    if user_agent:
        headers.append(("User-Agent", user_agent))
    return _head(f"GET {target} {PROTOCOL}", headers)


def agreeing_headers(headers: Headers, payload: bytes) -> Headers:
    """The stored headers with the payload's framing told truthfully. The downloader removes
    chunking and, for the encodings it knows, Content-Encoding from the body it hands on; the
    stored payload is that body. So Transfer-Encoding is always renamed, Content-Encoding is
    renamed when the payload is no longer in it, and Content-Length is the payload's length (a
    different received value renamed). Renamed headers keep their place and value."""
    encoded = _still_encoded(headers, payload)
    fixed: Headers = []
    for name, value in headers:
        lower = name.lower()
        if (
            lower == "transfer-encoding"
            or (lower == "content-encoding" and not encoded)
            or (lower == "content-length" and value.strip() != str(len(payload)))
        ):
            fixed.append((RENAMED + name, value))
        else:
            fixed.append((name, value))
    if not any(name.lower() == "content-length" for name, _ in fixed):
        fixed.append(("Content-Length", str(len(payload))))
    return fixed


def header(headers: Sequence[Sequence[str]], name: str) -> str | None:
    """The first value of header `name` (case-insensitive)."""
    wanted = name.lower()
    return next((pair[1] for pair in headers if pair[0].lower() == wanted), None)


def _head(first_line: str, headers: Headers) -> bytes:
    lines = [first_line, *(f"{name}: {value}" for name, value in headers)]
    # Headers came off the wire as bytes and were stored decoded as Latin-1: this is the inverse.
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace")


def _still_encoded(headers: Headers, payload: bytes) -> bool:
    """Whether the payload is still in its declared Content-Encoding (the downloader keeps
    encodings it cannot decode), judged by the bytes: gzip and zstd by their magic numbers,
    deflate by its zlib header, brotli by whether it decodes. None declared counts as encoded."""
    declared = header(headers, "Content-Encoding")
    if declared is None:
        return True
    last = declared.split(",")[-1].strip().lower()
    if last in ("", "identity"):
        return True
    if last in ("gzip", "x-gzip"):
        return payload.startswith(b"\x1f\x8b")
    if last == "zstd":
        return payload.startswith(b"\x28\xb5\x2f\xfd")
    if last == "deflate":
        return _looks_deflated(payload)
    if last == "br":
        return _decodes_as_brotli(payload)
    return True


def _looks_deflated(payload: bytes) -> bool:
    if len(payload) >= 2 and payload[0] & 0x0F == 8 and (payload[0] << 8 | payload[1]) % 31 == 0:
        return True
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send it
    try:
        inflater.decompress(payload)
    except zlib.error:
        return False
    return inflater.eof


def _decodes_as_brotli(payload: bytes) -> bool:
    try:
        import brotli  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # the downloader could not have decoded it either
        return True
    try:
        brotli.decompress(payload)
    except Exception:  # brotli raises its own error type
        return False
    return True
