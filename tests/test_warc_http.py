"""The HTTP exchange in the WARC export: headers that agree with the stored payload whatever the
server's framing was (a real fetch through a gzip-encoding, chunking server; and a capture
stored with the received Content-Encoding, Transfer-Encoding and Content-Length, which are kept
renamed), the request the archive knows of, status lines, and a capture that got no answer."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from archive.database import open_archive
from archive.formats.http import agreeing_headers, request_head, response_head, status_line
from archive.records import Observation, Outcome, PageKind
from archive.store import Store
from tests.cli import newsarchive

BIN = Path(sys.executable).parent


@contextmanager
def gzip_chunked_proxy(upstream: str) -> Iterator[str]:
    """A server on loopback answering every GET with `upstream`'s answer gzip-encoded and sent
    in chunks (no Content-Length), as many real servers do."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            try:
                with urllib.request.urlopen(upstream + self.path, timeout=30) as answer:
                    status, headers, body = answer.status, answer.headers, answer.read()
            except urllib.error.HTTPError as refused:
                status, headers, body = refused.code, refused.headers, refused.read()
            packed = gzip.compress(body, mtime=0)
            self.send_response(status)
            for name in ("Content-Type", "ETag", "Last-Modified"):
                if headers.get(name):
                    self.send_header(name, headers[name])
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(packed), 1000):
                chunk = packed[start : start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *arguments: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def responses(path: Path) -> list[tuple[str, list[tuple[str, str]], bytes]]:
    """(target, HTTP headers, payload as warcio decodes it for a reader) of each response."""
    found = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                target = record.rec_headers.get_header("WARC-Target-URI")
                found.append(
                    (target, list(record.http_headers.headers), record.content_stream().read())
                )
    return found


def rows(db: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(db)) as connection:
        return connection.execute(query).fetchall()


def warcio_check(path: Path) -> None:
    done = subprocess.run(
        [str(BIN / "warcio"), "check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_page_served_gzipped_and_chunked_exports_headers_that_agree_with_its_bytes(
    replica, tmp_path
):
    url = replica.truth()["articles"][0]["url"]
    db, warc = tmp_path / "archive.db", tmp_path / "gzip.warc.gz"
    with gzip_chunked_proxy(replica.base_url) as origin:
        fetched = subprocess.run(
            [sys.executable, "-m", "newsarchive", "fetch", url, "--base-url", origin, "--db", db],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert fetched.returncode == 0, fetched.stderr
    assert newsarchive("export", "--format", "warc", "-o", warc, db=db).returncode == 0
    warcio_check(warc)
    path = url.removeprefix("http://www.chencang.gov.cn")
    [(_, headers, payload)] = [r for r in responses(warc) if r[0].endswith(path)]
    # Decoded by the crawler, as the archive keeps it.
    [(stored,)] = rows(db, "SELECT payload_sha256 FROM capture WHERE status = 200")
    assert payload.startswith(b"<!DOCTYPE") and hashlib.sha256(payload).hexdigest() == stored
    names = {name.lower(): value for name, value in headers}
    assert names["content-length"] == str(len(payload))
    # The crawler keeps neither header (Scrapy drops them once it has decoded the body), so
    # nothing claims an encoding the bytes no longer have.
    assert "content-encoding" not in names and "transfer-encoding" not in names


def test_received_framing_headers_are_kept_renamed_when_the_payload_is_decoded(tmp_path):
    body = "<html><body>陈仓要闻</body></html>".encode()
    received = [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"),
        ("Content-Length", "1234"),
    ]
    db, warc = tmp_path / "archive.db", tmp_path / "renamed.warc.gz"
    record(db, _observation(headers=received, payload=body, at=datetime(2025, 12, 1, tzinfo=UTC)))
    still = gzip.compress(body, mtime=0)
    encoded = [("Content-Type", "text/html"), ("Content-Encoding", "gzip")]
    record(db, _observation(headers=encoded, payload=still, at=datetime(2025, 12, 2, tzinfo=UTC)))
    assert newsarchive("export", "--format", "warc", "-o", warc, db=db).returncode == 0
    warcio_check(warc)
    decoded, kept = [(headers, payload) for _, headers, payload in responses(warc)]
    assert decoded == (
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("X-Archive-Orig-Content-Encoding", "gzip"),
            ("X-Archive-Orig-Transfer-Encoding", "chunked"),
            ("X-Archive-Orig-Content-Length", "1234"),
            ("Content-Length", str(len(body))),
        ],
        body,
    )
    # Still gzip-encoded (the crawler could not decode it): the header is true and stays.
    assert kept == ([*encoded, ("Content-Length", str(len(still)))], body)


def test_a_capture_without_an_answer_is_a_metadata_record_only(tmp_path):
    db, warc = tmp_path / "archive.db", tmp_path / "error.warc.gz"
    record(
        db, _observation(headers=[], payload=b"<html></html>", at=datetime(2025, 12, 1, tzinfo=UTC))
    )
    failed = _observation(headers=[], payload=None, at=datetime(2025, 12, 2, tzinfo=UTC))
    record(db, dataclasses.replace(failed, status=None, error="DNSLookupError: DNS lookup failed"))
    done = newsarchive("export", "--format", "warc", "-o", warc, db=db)
    assert done.returncode == 0 and "2 captures (1 responses, 0 not-modified" in done.stderr
    assert "1 without an answer" in done.stderr
    kinds, unanswered = [], []
    with warc.open("rb") as stream:
        for item in ArchiveIterator(stream):
            kinds.append(item.rec_type)
            body = item.content_stream().read()
            if item.rec_type == "metadata" and b'"type":"capture"' in body and b"DNS" in body:
                unanswered.append((item.rec_headers.get_header("WARC-Concurrent-To"), body))
    assert kinds.count("response") == kinds.count("request") == 1
    [(concurrent, body)] = unanswered
    assert concurrent is None and b'"status":null' in body


def test_the_request_is_what_the_archive_knows_of_it():
    assert request_head("http://127.0.0.1:8000/a/b.html?x=1", None) == (
        b"GET /a/b.html?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n"
    )
    assert request_head("http://www.chencang.gov.cn", "newsarchive/0.1") == (
        b"GET / HTTP/1.1\r\nHost: www.chencang.gov.cn\r\nUser-Agent: newsarchive/0.1\r\n\r\n"
    )


def test_status_lines_carry_the_standard_reason_phrase():
    assert status_line(200) == "HTTP/1.1 200 OK"
    assert status_line(410) == "HTTP/1.1 410 Gone"
    assert status_line(521) == "HTTP/1.1 521 Unknown"
    assert (
        response_head(304, [["ETag", '"a"']], None)
        == b'HTTP/1.1 304 Not Modified\r\nETag: "a"\r\n\r\n'
    )


def test_content_length_is_the_payloads_and_a_true_one_is_left_alone():
    assert agreeing_headers([("Content-Length", "3")], b"abc") == [("Content-Length", "3")]
    assert agreeing_headers([("content-length", "9")], b"abc") == [
        ("X-Archive-Orig-content-length", "9"),
        ("Content-Length", "3"),
    ]
    deflated = agreeing_headers([("Content-Encoding", "deflate")], b"<html>")
    assert deflated[0] == ("X-Archive-Orig-Content-Encoding", "deflate")
    assert agreeing_headers([("Content-Encoding", "identity")], b"x")[0] == (
        "Content-Encoding",
        "identity",
    )


URL = "http://www.chencang.gov.cn/col8173/col8174/202402/t20240207_160040.html"


def _observation(*, headers, payload, at):
    return Observation(
        site="chencang",
        site_origin="http://www.chencang.gov.cn",
        url=URL,
        kind=PageKind.ARTICLE,
        requested_url=URL,
        final_url=URL,
        fetched_at=at,
        verdict=Outcome.SOFT_404 if payload is not None else Outcome.ERROR,
        status=200,
        headers=headers,
        payload=payload,
        doc_id="160040",
    )


def record(db: Path, observation: Observation) -> None:
    archive = open_archive(str(db))
    try:
        Store(archive).record(observation)
    finally:
        archive.close()
