"""Fixity: a flipped byte, an edited field or a removed capture is found and named, with its page."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from archive import codec
from tests.cli import crawl, newsarchive


@pytest.fixture(scope="module")
def pristine(replica, day1_archive, tmp_path_factory):
    db = tmp_path_factory.mktemp("fixity") / "archive.db"
    shutil.copy(day1_archive, db)
    crawl(replica.base_url, db, "--full")  # a second run, chained to the first
    with sqlite3.connect(db) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db


@pytest.fixture
def archived(pristine, tmp_path):
    """A copy of the crawled archive for each test to damage."""
    db = tmp_path / "archive.db"
    shutil.copy(pristine, db)
    return db


def verify(db):
    done = newsarchive("verify", "--json", db=db)
    return done.returncode, json.loads(done.stdout)


def test_an_intact_archive_verifies(archived):
    code, report = verify(archived)
    assert code == 0 and report["ok"] is True and report["problems"] == []
    assert report["checked"]["runs"] == 2
    assert report["checked"]["captures"] > 50


def one(db, query, *args):
    with sqlite3.connect(db) as connection:
        return connection.execute(query, args).fetchone()


def test_a_flipped_byte_in_a_blob_is_found(archived):
    """The bytes changed under a stored form that still decodes: only the SHA-256 tells."""
    sha256, data, url = one(
        archived,
        "SELECT b.sha256, b.data, p.current_url FROM blob b JOIN capture c ON c.payload_sha256 = b.sha256 "
        "JOIN page p ON p.id = c.page_id WHERE p.kind = 'article' AND b.compression = 'zstd' "
        "AND b.dictionary_id IS NULL LIMIT 1",
    )
    raw = bytearray(codec.decompress(data))
    raw[len(raw) // 2] ^= 0x01
    with sqlite3.connect(archived) as connection:
        connection.execute(
            "UPDATE blob SET data = ? WHERE sha256 = ?", (codec.compress(bytes(raw)), sha256)
        )
    code, report = verify(archived)
    assert code == 1
    # The blob, and any later payload of its page stored as a delta of it (unreadable now too).
    assert {problem["kind"] for problem in report["problems"]} == {"blob"}
    (problem,) = [
        p for p in report["problems"] if p["detail"].startswith(f"the bytes stored as {sha256} ")
    ]
    assert url in problem["pages"]


def test_an_edited_version_field_is_found(archived):
    version_id, url = one(
        archived,
        "SELECT v.id, p.current_url FROM version v JOIN page p ON p.id = v.page_id LIMIT 1",
    )
    with sqlite3.connect(archived) as connection:
        connection.execute(
            "UPDATE version SET title = title || '（已更正）' WHERE id = ?", (version_id,)
        )
    code, report = verify(archived)
    assert code == 1
    by_kind = {problem["kind"]: problem for problem in report["problems"]}
    assert set(by_kind) == {"version", "index"}  # the search index no longer holds it either
    assert by_kind["version"]["pages"] == [url]


@pytest.mark.parametrize("which", ["middle", "last"])
def test_a_deleted_capture_is_found(archived, which):
    order = "ASC LIMIT 1 OFFSET 5" if which == "middle" else "DESC LIMIT 1"
    run_id = one(archived, "SELECT max(run_id) FROM capture")[0]
    (victim,) = one(
        archived, f"SELECT id FROM capture WHERE run_id = ? ORDER BY id {order}", run_id
    )
    with sqlite3.connect(archived) as connection:
        connection.execute("DELETE FROM capture WHERE id = ?", (victim,))
    code, report = verify(archived)
    assert code == 1
    kinds = {problem["kind"] for problem in report["problems"]}
    assert kinds & {"capture", "run"}
    assert all(problem["pages"] for problem in report["problems"])


def test_an_altered_capture_is_found(archived):
    capture_id, url = one(
        archived,
        "SELECT c.id, p.current_url FROM capture c JOIN page p ON p.id = c.page_id "
        "WHERE c.status = 200 AND p.kind = 'article' LIMIT 1",
    )
    with sqlite3.connect(archived) as connection:
        connection.execute("UPDATE capture SET status = 404 WHERE id = ?", (capture_id,))
    code, report = verify(archived)
    assert code == 1
    assert any(p["kind"] == "capture" and p["pages"] == [url] for p in report["problems"])


def test_a_version_digested_before_published_precision_existed_still_verifies():
    """record_sha256 leaves a derived field added later out while it is empty, so the digests
    of versions written before it existed (over the twelve fields of the time) stay true."""
    import hashlib
    import json

    from archive.records import record_sha256

    fields = {
        "title": "题",
        "published_at": "2025-11-18T12:58:00+08:00",
        "source": "区教体局",
        "editor": "",
        "author": "",
        "column": "陈仓要闻",
        "body": "正文",
        "body_html": "<p>正文</p>",
        "images": [],
        "attachments": [],
        "links": [],
        "doc_id": "1",
    }
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    before = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    assert record_sha256({**fields, "published_precision": None}) == before
    assert record_sha256({**fields, "published_precision": "minute"}) != before
